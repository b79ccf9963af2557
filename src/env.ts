/**
 * Configuration: one zod schema, parsed once at start. The only module that knows variable names.
 * A wrong or missing value stops start-up with the variable's name and how to fix it.
 */
import { z } from 'zod';

const MiB = 1024 * 1024;

const bool = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'expected true or false' })
    .optional()
    .transform((v) => (v === undefined ? fallback : v === 'true' || v === '1' || v === 'yes'));

const int = (fallback: number, min: number, max: number) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === '') return fallback;
      const n = Number(v);
      if (!Number.isInteger(n) || n < min || n > max) {
        ctx.addIssue({
          code: 'custom',
          message: `expected a whole number from ${min} to ${max}, got "${v}"`,
        });
        return z.NEVER;
      }
      return n;
    });

const optionalSecret = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

const postgresUrl = z
  .string()
  .optional()
  .transform((v, ctx) => {
    if (v === undefined || v.trim() === '') return undefined;
    if (!/^postgres(ql)?:\/\//.test(v)) {
      ctx.addIssue({ code: 'custom', message: 'expected a URL starting with postgres:// or postgresql://' });
      return z.NEVER;
    }
    return v.trim();
  });

/** "alice:token,bob:token": each moderator signs in to the console with their own token; the audit records the name. */
const moderatorTokens = z
  .string()
  .optional()
  .transform((v, ctx) => {
    const pairs: { name: string; token: string }[] = [];
    for (const [i, part] of (v ?? '').split(',').entries()) {
      if (part.trim() === '') continue;
      const at = part.indexOf(':');
      const name = at > 0 ? part.slice(0, at).trim() : '';
      const token = at > 0 ? part.slice(at + 1).trim() : '';
      const problem = !/^[A-Za-z0-9._@-]{1,64}$/.test(name)
        ? 'expected name:token, the name of letters, digits, ".", "_", "@" or "-"'
        : token.length < 16
          ? `the token of "${name}" is too short: use at least 16 random characters`
          : pairs.some((p) => p.name === name)
            ? `"${name}" is named twice`
            : pairs.some((p) => p.token === token)
              ? `"${name}" has the same token as another moderator`
              : null;
      if (problem) {
        ctx.addIssue({ code: 'custom', message: `entry ${i + 1}: ${problem}` });
        return z.NEVER;
      }
      pairs.push({ name, token });
    }
    return pairs;
  });
const httpUrl = (message: string) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === '') return undefined;
      if (!/^https?:\/\/[^/\s]+/.test(v.trim())) {
        ctx.addIssue({ code: 'custom', message });
        return z.NEVER;
      }
      return v.trim();
    });

export const envSchema = z
  .object({
    HOST: z.string().default('127.0.0.1'),
    PORT: int(8787, 0, 65535),
    DATABASE_URL: postgresUrl,
    MODBOT_DATA_DIR: z.string().default('.modbot'),
    META_APP_SECRET: optionalSecret,
    INSTAGRAM_APP_SECRET: optionalSecret,
    META_VERIFY_TOKEN: optionalSecret,
    DRY_RUN: bool(true),
    WEBHOOK_MAX_BODY_BYTES: int(5 * MiB, 1024, 100 * MiB),
    INBOX_WORKERS: int(2, 0, 64),
    INBOX_BATCH_SIZE: int(32, 1, 1000),
    INBOX_MAX_ATTEMPTS: int(8, 1, 100),
    INBOX_LEASE_SECONDS: int(60, 1, 3600),
    INBOX_POLL_MS: int(1000, 10, 60_000),
    RULES_DIR: z.string().default('rules'),
    MODBOT_ENCRYPTION_KEY: optionalSecret,
    IG_ACCOUNT_ID: z
      .string()
      .optional()
      .transform((v) => (v?.trim() ? v.trim() : undefined)),
    IG_ACCESS_TOKEN: optionalSecret,
    IG_USERNAME: z
      .string()
      .optional()
      .transform((v) => (v?.trim() ? v.trim().replace(/^@/, '') : undefined)),
    IG_LOGIN_TYPE: z
      .enum(['facebook', 'instagram'], { error: 'expected facebook or instagram' })
      .default('instagram'),
    GRAPH_API_VERSION: z
      .string()
      .regex(/^v\d+\.\d+$/, { error: 'expected a version like v25.0' })
      .default('v25.0'),
    GRAPH_API_BASE_URL: z
      .string()
      .optional()
      .transform((v, ctx) => {
        if (v === undefined || v.trim() === '') return undefined;
        if (!/^https?:\/\//.test(v)) {
          ctx.addIssue({ code: 'custom', message: 'expected an http:// or https:// URL' });
          return z.NEVER;
        }
        return v.trim().replace(/\/+$/, '');
      }),
    GRAPH_PACING: z.enum(['adaptive', 'fixed'], { error: 'expected adaptive or fixed' }).default('adaptive'),
    GRAPH_WRITES_PER_SECOND_MAX: int(10, 1, 1000),
    GRAPH_WRITES_PER_MINUTE: int(30, 1, 1_000_000),
    GRAPH_WRITES_PER_HOUR: int(600, 1, 100_000_000),
    ACTION_WORKERS: int(2, 0, 64),
    ACTION_BATCH_SIZE: int(16, 1, 1000),
    SWEEP_INTERVAL_MINUTES: int(60, 0, 7 * 24 * 60),
    SWEEP_SINCE_HOURS: int(48, 1, 24 * 90),
    SWEEP_OLDER_MEDIA_CALLS: int(100, 0, 100_000),
    OPENAI_API_KEY: optionalSecret,
    OPENAI_BASE_URL: z
      .string()
      .optional()
      .transform((v, ctx) => {
        if (v === undefined || v.trim() === '') return undefined;
        if (!/^https?:\/\//.test(v)) {
          ctx.addIssue({ code: 'custom', message: 'expected an http:// or https:// URL' });
          return z.NEVER;
        }
        return v.trim();
      }),
    OPENAI_MODERATION_MODEL: z.string().default('omni-moderation-latest'),
    OPENAI_POLICY_MODEL: z.string().default('gpt-4o-mini'),
    OPENAI_TIMEOUT_MS: int(10_000, 100, 120_000),
    OPENAI_POLICY_MAX_CALLS_PER_DAY: int(2000, 0, 10_000_000),
    CLASSIFIER_CACHE_TTL_HOURS: int(168, 0, 24 * 365),
    ADMIN_TOKEN: z
      .string()
      .optional()
      .transform((v, ctx) => {
        if (v === undefined || v.trim() === '') return undefined;
        if (v.trim().length < 16) {
          ctx.addIssue({ code: 'custom', message: 'too short: use at least 16 random characters' });
          return z.NEVER;
        }
        return v.trim();
      }),
    RETENTION_DAYS: int(90, 1, 3650),
    ERASURE_HASH_KEY: optionalSecret,
    INTAKE_TIMEOUT_MS: int(5000, 100, 120_000),
    MODERATOR_TOKENS: moderatorTokens,
    CONSOLE_SESSION_HOURS: int(12, 1, 24 * 30),
    PUBLIC_URL: z
      .string()
      .optional()
      .transform((v, ctx) => {
        if (v === undefined || v.trim() === '') return undefined;
        if (!/^https?:\/\/[^/]+/.test(v.trim())) {
          ctx.addIssue({ code: 'custom', message: 'expected the https:// address Meta reaches modbot at' });
          return z.NEVER;
        }
        return v.trim().replace(/\/+$/, '');
      }),
    NOTIFY_WEBHOOK_URL: httpUrl(
      'expected the http(s):// address of a Slack-compatible incoming webhook or a JSON receiver',
    ),
    NOTIFY_INTERVAL_SECONDS: int(60, 1, 86_400),
    NOTIFY_REVIEW_QUEUE_OVER: int(50, 1, 1_000_000),
    LOG_LEVEL: z
      .enum(['debug', 'info', 'warn', 'error', 'silent'], {
        error: 'expected debug, info, warn, error or silent',
      })
      .default('info'),
  })
  .superRefine((env, ctx) => {
    // Live mode acts on real comments: it must be able to prove deliveries come from Meta.
    if (!env.DRY_RUN) {
      if (!env.META_APP_SECRET && !env.INSTAGRAM_APP_SECRET) {
        ctx.addIssue({ code: 'custom', path: ['META_APP_SECRET'], message: 'required when DRY_RUN=false' });
      }
      if (!env.META_VERIFY_TOKEN) {
        ctx.addIssue({ code: 'custom', path: ['META_VERIFY_TOKEN'], message: 'required when DRY_RUN=false' });
      }
    }
    if ((env.IG_ACCOUNT_ID === undefined) !== (env.IG_ACCESS_TOKEN === undefined)) {
      const missing = env.IG_ACCOUNT_ID === undefined ? 'IG_ACCOUNT_ID' : 'IG_ACCESS_TOKEN';
      ctx.addIssue({
        code: 'custom',
        path: [missing],
        message: 'IG_ACCOUNT_ID and IG_ACCESS_TOKEN go together: set both or neither',
      });
    }
  });

export type Env = z.output<typeof envSchema>;

/** What to do about each variable, shown next to the error. */
const hints: Record<string, string> = {
  HOST: 'the interface to listen on, e.g. 127.0.0.1 or 0.0.0.0',
  PORT: 'e.g. PORT=8787 (0: any free port)',
  DATABASE_URL:
    'e.g. DATABASE_URL=postgres://user:password@127.0.0.1:5432/modbot, or unset it to use the embedded database',
  MODBOT_DATA_DIR: 'a writable folder for the embedded database, e.g. .modbot',
  META_APP_SECRET: 'copy it from the Meta app dashboard: App settings > Basic > App secret',
  INSTAGRAM_APP_SECRET: 'copy it from Instagram > API setup with Instagram login > Business login settings',
  META_VERIFY_TOKEN:
    'any random string; enter the same one as the webhook "Verify token" in the Meta dashboard',
  DRY_RUN: 'DRY_RUN=true records what would be done without calling Instagram; false acts for real',
  WEBHOOK_MAX_BODY_BYTES: 'the largest webhook body accepted, in bytes (default 5242880 = 5 MiB)',
  INBOX_WORKERS: 'how many events the Node process moderates at once (0 disables processing)',
  INBOX_BATCH_SIZE: 'events one worker takes and decides together (one audit write); default 32',
  INBOX_MAX_ATTEMPTS: 'attempts before an event is dead-lettered',
  INBOX_LEASE_SECONDS:
    'how long a process may hold an event (just received, or claimed) before another may take it',
  INBOX_POLL_MS:
    "how often workers look in the database for retries, expired leases and other processes' events",
  LOG_LEVEL: 'one of debug, info, warn, error, silent',
  RULES_DIR: 'the folder of rule files, default rules',
  MODBOT_ENCRYPTION_KEY:
    '32 random bytes as 64 hex digits, to encrypt access tokens at rest (openssl rand -hex 32)',
  IG_ACCOUNT_ID: 'the Instagram professional account id, for a single account configured by environment',
  IG_ACCESS_TOKEN: "that account's access token (kept in memory, never stored or logged)",
  IG_USERNAME: "that account's username (used to recognise our own replies)",
  IG_LOGIN_TYPE: 'instagram (graph.instagram.com) or facebook (graph.facebook.com)',
  GRAPH_API_VERSION: 'the Graph API version to call, e.g. v25.0',
  GRAPH_API_BASE_URL:
    'override the Graph API base URL including the version, e.g. http://127.0.0.1:4010 for a mock',
  GRAPH_PACING:
    "adaptive (default): write as fast as Meta's usage headers allow; fixed: GRAPH_WRITES_PER_MINUTE",
  GRAPH_WRITES_PER_SECOND_MAX:
    'adaptive pacing: writes per second per account while usage is low (default 10)',
  GRAPH_WRITES_PER_MINUTE: 'fixed pacing: hides, deletes and replies per account per minute (token bucket)',
  GRAPH_WRITES_PER_HOUR: 'write budget per account per hour; past it actions wait',
  ACTION_WORKERS: 'how many loops claim Graph API actions in this process (0: none)',
  ACTION_BATCH_SIZE:
    'actions one loop claims and carries out side by side (per-account pacing still applies); default 16',
  SWEEP_INTERVAL_MINUTES:
    'how often to sweep each account for comments whose webhooks never arrived (0: never)',
  SWEEP_SINCE_HOURS: 'how far back each scheduled sweep looks, in hours (default 48)',
  SWEEP_OLDER_MEDIA_CALLS:
    'Graph calls per account per scheduled sweep for older media with new comments (default 100; 0: none)',
  OPENAI_API_KEY: 'an OpenAI API key; unset to use only the built-in offline classifier',
  OPENAI_BASE_URL: 'e.g. https://api.openai.com/v1, or a compatible gateway',
  OPENAI_MODERATION_MODEL: 'default omni-moderation-latest',
  OPENAI_POLICY_MODEL: 'the chat model answering policy questions, e.g. gpt-4o-mini',
  OPENAI_TIMEOUT_MS: 'how long one OpenAI call may take, in milliseconds (default 10000)',
  OPENAI_POLICY_MAX_CALLS_PER_DAY: 'daily cap on policy-question calls; past it the rule fallback applies',
  CLASSIFIER_CACHE_TTL_HOURS:
    'how long classifier results are reused for the same text (default 168 = 7 days)',
  ADMIN_TOKEN: 'the bearer token for /api, e.g. ADMIN_TOKEN=$(openssl rand -hex 32); unset, /api answers 503',
  MODERATOR_TOKENS:
    'named console sign-in tokens, "name:token" separated by commas, e.g. alice:<32 hex>,bob:<32 hex>',
  CONSOLE_SESSION_HOURS: 'how long a console sign-in lasts, in hours (default 12)',
  RETENTION_DAYS: 'days comment text and author names are kept before redaction (default 90)',
  ERASURE_HASH_KEY:
    'a secret (16+ random characters) the erasure record hashes erased ids with; default: the app secret',
  INTAKE_TIMEOUT_MS:
    'Postgres: how long storing a webhook may take before it is answered 503 and Meta retries (default 5000)',
  NOTIFY_WEBHOOK_URL:
    'where notices go (floods, lockdowns, re-authorisation, dead letters, review queue): a Slack incoming-webhook URL or any JSON receiver; unset: none',
  NOTIFY_INTERVAL_SECONDS: 'at most one notification message per this many seconds (default 60)',
  NOTIFY_REVIEW_QUEUE_OVER: 'tell people when more comments than this wait for review (default 50)',
  PUBLIC_URL:
    'the https:// address Meta reaches modbot at, used in data-deletion status URLs; required when DRY_RUN=false',
};

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Parses the environment; throws ConfigError naming every bad variable and how to fix it. */
export function parseEnv(source: Record<string, string | undefined>): Env {
  const result = envSchema.safeParse(source);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const name = String(issue.path[0] ?? 'configuration');
    const hint = hints[name];
    return `${name}: ${issue.message}${hint ? ` (${hint})` : ''}`;
  });
  throw new ConfigError(problems);
}

/** The secrets in a configuration, so the logger can make sure they never appear in output. */
export function secretsOf(env: Env): string[] {
  return [
    env.META_APP_SECRET,
    env.INSTAGRAM_APP_SECRET,
    env.META_VERIFY_TOKEN,
    env.OPENAI_API_KEY,
    env.IG_ACCESS_TOKEN,
    env.MODBOT_ENCRYPTION_KEY,
    env.ADMIN_TOKEN,
    env.ERASURE_HASH_KEY,
    ...env.MODERATOR_TOKENS.map((m) => m.token),
    env.NOTIFY_WEBHOOK_URL,
    passwordOf(env.DATABASE_URL),
  ].filter((s): s is string => typeof s === 'string' && s.length >= 4);
}

function passwordOf(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    const password = new URL(url).password;
    return password ? decodeURIComponent(password) : undefined;
  } catch {
    return undefined;
  }
}

/** The secret erasure records hash erased ids with (ERASURE_HASH_KEY, else an app secret). */
export function erasureHashKey(env: Env): string | undefined {
  return env.ERASURE_HASH_KEY ?? env.META_APP_SECRET ?? env.INSTAGRAM_APP_SECRET;
}

/**
 * What a server refuses to start without when it acts for real (DRY_RUN=false), beyond what
 * parseEnv checks: checked by the entries, so tools and tests can build a live configuration.
 */
export function liveStartProblems(env: Env): string[] {
  if (env.DRY_RUN) return [];
  return env.PUBLIC_URL
    ? []
    : [
        `PUBLIC_URL: required when DRY_RUN=false (${hints.PUBLIC_URL?.replace(/; required.*$/, '')}, e.g. PUBLIC_URL=https://modbot.example.com)`,
      ];
}

/** Settings a live deployment needs that are not set: printed at start in dry run. */
export function missingForLive(env: Env): string[] {
  const missing: string[] = [];
  if (!env.META_APP_SECRET && !env.INSTAGRAM_APP_SECRET)
    missing.push('META_APP_SECRET (or INSTAGRAM_APP_SECRET)');
  if (!env.META_VERIFY_TOKEN) missing.push('META_VERIFY_TOKEN');
  if (!env.PUBLIC_URL) missing.push('PUBLIC_URL');
  if (!env.DATABASE_URL)
    missing.push('DATABASE_URL (optional: the embedded database suits a single small instance)');
  return missing;
}
