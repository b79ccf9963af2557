/**
 * Builds the classifiers rules can name, from configuration. `builtin` is always there (offline,
 * the default); the OpenAI ones only when an API key is configured. Paid/remote classifiers are
 * wrapped in the cache (by normalised-text hash) when one is given; the builtin model is faster
 * than any cache lookup, so it is not.
 */
import type { Classifier } from '../moderation/index.js';
import { createBuiltinClassifier, type SpamModelSource } from './builtin/index.js';
import { type ClassifierCache, withCache } from './cache.js';
import { type ClassifierBudget, DailyBudget } from './openai/budget.js';
import { createOpenAIModerationClassifier, OPENAI_MODERATION_DEFAULTS } from './openai/moderation.js';
import { createOpenAIPolicyClassifier, OPENAI_POLICY_DEFAULTS } from './openai/policy.js';

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
  /** Where the builtin classifier reads its spam model (Node: the learned model in force); default the shipped one. */
  readonly spamModel?: SpamModelSource;
  /** Default 7 days: campaigns repeat the same text for days. */
  readonly cacheTtlMs?: number;
}

export const DEFAULT_CACHE_TTL_MS = 7 * 24 * 3600 * 1000;
export const DEFAULT_POLICY_BUDGET = { maxCallsPerDay: 2000, maxUsdPerDay: 1 } as const;

export function createClassifiers(config: ClassifierConfig = {}): Map<string, Classifier> {
  const out = new Map<string, Classifier>();
  out.set('builtin', createBuiltinClassifier(config.spamModel ? { spamModel: config.spamModel } : {}));
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
  out.set(
    'openai-moderation',
    config.cache ? withCache(moderation, config.cache, { ttlMs, namespace: moderationModel }) : moderation,
  );
  out.set(
    'openai-policy',
    config.cache ? withCache(policy, config.cache, { ttlMs, namespace: `${policyModel}:p1` }) : policy,
  );
  return out;
}
