/**
 * Builds the classifiers rules can name, from configuration. `builtin` is always there (offline,
 * the default); the OpenAI ones only when an API key is configured. Paid/remote classifiers are
 * wrapped in the cache (by normalised-text hash) when one is given; the builtin model is faster
 * than any cache lookup, so it is not.
 */
import { createBuiltinClassifier } from './builtin/index.js';
import { type ClassifierCache, withCache } from './cache.js';
import { type ClassifierBudget, DailyBudget } from './openai/budget.js';
import { createOpenAIModerationClassifier, OPENAI_MODERATION_DEFAULTS } from './openai/moderation.js';
import { createOpenAIPolicyClassifier, OPENAI_POLICY_DEFAULTS } from './openai/policy.js';
import type { Classifier } from './port.js';

export interface ClassifierConfig {
  readonly openai?: {
    readonly apiKey: string;
    /** OPENAI_BASE_URL */
    readonly baseURL?: string;
    readonly moderationModel?: string;
    readonly policyModel?: string;
    readonly timeoutMs?: number;
    readonly maxRetries?: number;
    readonly policyMaxCallsPerDay?: number;
    readonly policyMaxUsdPerDay?: number;
    /** Shared budget store (several instances); default an in-process DailyBudget. */
    readonly policyBudget?: ClassifierBudget;
  };
  readonly cache?: ClassifierCache;
  /** Default 7 days: campaigns repeat the same text for days. */
  readonly cacheTtlMs?: number;
}

export const DEFAULT_CACHE_TTL_MS = 7 * 24 * 3600 * 1000;
export const DEFAULT_POLICY_BUDGET = { maxCallsPerDay: 2000, maxUsdPerDay: 1 } as const;

export function createClassifiers(config: ClassifierConfig = {}): Map<string, Classifier> {
  const out = new Map<string, Classifier>();
  out.set('builtin', createBuiltinClassifier());
  const o = config.openai;
  if (o === undefined) return out;
  const shared = {
    apiKey: o.apiKey,
    ...(o.baseURL !== undefined ? { baseURL: o.baseURL } : {}),
    ...(o.timeoutMs !== undefined ? { timeoutMs: o.timeoutMs } : {}),
    ...(o.maxRetries !== undefined ? { maxRetries: o.maxRetries } : {}),
  };
  const moderationModel = o.moderationModel ?? OPENAI_MODERATION_DEFAULTS.model;
  const policyModel = o.policyModel ?? OPENAI_POLICY_DEFAULTS.model;
  const moderation = createOpenAIModerationClassifier({ ...shared, model: moderationModel });
  const policy = createOpenAIPolicyClassifier({
    ...shared,
    model: policyModel,
    budget:
      o.policyBudget ??
      new DailyBudget({
        maxCallsPerDay: o.policyMaxCallsPerDay ?? DEFAULT_POLICY_BUDGET.maxCallsPerDay,
        maxUsdPerDay: o.policyMaxUsdPerDay ?? DEFAULT_POLICY_BUDGET.maxUsdPerDay,
      }),
  });
  const ttlMs = config.cacheTtlMs ?? DEFAULT_CACHE_TTL_MS;
  out.set('openai-moderation', config.cache ? withCache(moderation, config.cache, { ttlMs, namespace: moderationModel }) : moderation);
  out.set('openai-policy', config.cache ? withCache(policy, config.cache, { ttlMs, namespace: `${policyModel}:p1` }) : policy);
  return out;
}

/**
 * Classifier settings from environment variables. The lead may fold these into src/env.ts's zod
 * schema; until then commands call this with process.env.
 *   OPENAI_API_KEY, OPENAI_BASE_URL, MODBOT_OPENAI_MODERATION_MODEL, MODBOT_OPENAI_POLICY_MODEL,
 *   MODBOT_OPENAI_TIMEOUT_MS, MODBOT_OPENAI_MAX_RETRIES, MODBOT_POLICY_MAX_CALLS_PER_DAY,
 *   MODBOT_POLICY_MAX_USD_PER_DAY
 */
export function classifierConfigFromEnv(env: Readonly<Record<string, string | undefined>>): ClassifierConfig {
  const key = env.OPENAI_API_KEY?.trim();
  if (!key) return {};
  const num = (name: string): number | undefined => {
    const v = env[name];
    if (v === undefined || v === '') return undefined;
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a non-negative number, got "${v}"`);
    return n;
  };
  const entries: Array<[string, string | number | undefined]> = [
    ['baseURL', env.OPENAI_BASE_URL || undefined],
    ['moderationModel', env.MODBOT_OPENAI_MODERATION_MODEL || undefined],
    ['policyModel', env.MODBOT_OPENAI_POLICY_MODEL || undefined],
    ['timeoutMs', num('MODBOT_OPENAI_TIMEOUT_MS')],
    ['maxRetries', num('MODBOT_OPENAI_MAX_RETRIES')],
    ['policyMaxCallsPerDay', num('MODBOT_POLICY_MAX_CALLS_PER_DAY')],
    ['policyMaxUsdPerDay', num('MODBOT_POLICY_MAX_USD_PER_DAY')],
  ];
  const openai: Record<string, string | number> = { apiKey: key };
  for (const [k, v] of entries) if (v !== undefined) openai[k] = v;
  return { openai: openai as unknown as NonNullable<ClassifierConfig['openai']> };
}
