/**
 * Audit filters: one zod schema shared by the CLI and the HTTP API, so both entry points
 * accept the same words and refuse the same mistakes with the same message. Values are
 * checked for shape here (ids are digits, rule ids lower-case-with-dashes…) and then only ever
 * reach SQL as bound parameters (src/db/repos/audit-queries.ts): validation gives clean 400s, parameters
 * give safety.
 */
import { z } from 'zod';

/** What happened to the actions a decision planned (from the actions outbox). */
export const outcomeFilters = [
  'done',
  'failed',
  'gone',
  'dry_run',
  'pending',
  'held',
  'dismissed',
  'allowed',
] as const;
export type OutcomeFilter = (typeof outcomeFilters)[number];

export const decisionActions = ['allow', 'reply', 'review', 'hide', 'delete'] as const;
export const statsDimensions = ['rule', 'action', 'day', 'account', 'author', 'outcome'] as const;
export type StatsDimension = (typeof statsDimensions)[number];

/** Thrown for input a caller must fix: the CLI prints it, the API answers 400 with it. */
export class AuditInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AuditInputError';
  }
}

const igId = (what: string) =>
  z
    .string()
    .trim()
    .regex(/^[0-9A-Za-z_-]{1,64}$/, {
      message: `${what} is an Instagram id: digits (letters, _ and - also accepted), at most 64`,
    });

/** "24h", "7d", "30m", "2w", or an ISO date/time ("2026-11-01", "2026-11-01T12:00:00Z"). */
export function parseTime(value: string, now: Date = new Date()): Date | null {
  const v = value.trim();
  const rel = /^(\d{1,6})\s*(m|min|h|d|w)$/i.exec(v);
  if (rel) {
    const n = Number(rel[1]);
    const unit = (rel[2] ?? 'h').toLowerCase();
    const ms = unit === 'w' ? 7 * 86_400_000 : unit === 'd' ? 86_400_000 : unit === 'h' ? 3_600_000 : 60_000;
    return new Date(now.getTime() - n * ms);
  }
  if (!/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(v)) return null;
  const t = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(v) ? `${v}T00:00:00Z` : v);
  return Number.isNaN(t) ? null : new Date(t);
}

/**
 * The times a filter may name: Postgres's own range is wider, but a year 0 or a six-digit year
 * (`0000-01-01`, `999999d` ago) is no audit time and would reach the database as text it refuses.
 */
export const timeRange = {
  from: new Date('1970-01-01T00:00:00Z'),
  to: new Date('9999-12-31T23:59:59Z'),
} as const;

const time = (name: string) =>
  z
    .string()
    .trim()
    .max(40)
    .transform((v, ctx) => {
      const t = parseTime(v);
      if (!t) {
        ctx.addIssue({
          code: 'custom',
          message: `${name}: expected a relative time like 24h, 7d, 30m, 2w or an ISO date like 2026-11-01`,
        });
        return z.NEVER;
      }
      if (t < timeRange.from || t > timeRange.to) {
        ctx.addIssue({ code: 'custom', message: `${name}: out of range (1970-01-01 to 9999-12-31)` });
        return z.NEVER;
      }
      return t;
    });

/**
 * A search as Postgres's websearch_to_tsquery can take it: a `-` that negates no word (runs like
 * `- - -a`, `-!-!`) is dropped, since each pushes a NOT and 32 of them overflow the parser's stack
 * ("tsquery stack too small"). `-word` and `-"a phrase"` keep their meaning.
 */
export function searchable(q: string): string {
  return q.replace(/-+(?![\p{L}\p{N}_"])/gu, ' ').replace(/-{2,}/g, '-');
}

export const auditFilterSchema = z.strictObject({
  account: igId('account').optional(),
  media: igId('media').optional(),
  comment: igId('comment').optional(),
  /** The commenter's id, or username (with or without @). */
  author: z
    .string()
    .trim()
    .regex(/^@?[A-Za-z0-9._-]{1,64}$/, {
      message: 'author is an Instagram user id or a username (letters, digits, . and _)',
    })
    .optional(),
  /** A rule that fired (enforced or shadow). */
  rule: z
    .string()
    .trim()
    .regex(/^[a-z0-9][a-z0-9-]{0,99}$/, {
      message: 'rule is a rule id: lower-case letters, digits and dashes, e.g. dm-me-pitch',
    })
    .optional(),
  action: z.enum(decisionActions, { error: `action is one of ${decisionActions.join(', ')}` }).optional(),
  outcome: z
    .string()
    .trim()
    .toLowerCase()
    .transform((v) =>
      v
        .replace(/[\s-]+/g, '_')
        .replace(/^held_for_review$/, 'held')
        .replace(/^dry$/, 'dry_run'),
    )
    .pipe(z.enum(outcomeFilters, { error: `outcome is one of ${outcomeFilters.join(', ')}` }))
    .optional(),
  /** A classifier name, optionally with a category: "builtin", "builtin:scam", "openai-moderation:harassment". */
  classifier: z
    .string()
    .trim()
    .regex(/^[a-z0-9][a-z0-9_-]{0,63}(:[a-z0-9][a-z0-9_/-]{0,63})?$/i, {
      message: 'classifier is a classifier name, optionally with a category, e.g. builtin or builtin:scam',
    })
    .optional(),
  minScore: z.coerce
    .number({ error: 'min score is a number from 0 to 1' })
    .min(0, { message: 'min score is a number from 0 to 1' })
    .max(1, { message: 'min score is a number from 0 to 1' })
    .optional(),
  since: time('since').optional(),
  until: time('until').optional(),
  /** Words to find in the comment text (as written or normalised); quotes and -not work. */
  q: z
    .string()
    .trim()
    .min(1)
    .max(200, { message: 'text search is at most 200 characters' })
    // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
    .refine((v) => !/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/.test(v), {
      message: 'text search cannot contain control characters',
    })
    .transform(searchable)
    .optional(),
  dryRun: z
    .enum(['true', 'false'], { error: 'dry run is true or false' })
    .transform((v) => v === 'true')
    .optional(),
});

export type AuditFilter = z.output<typeof auditFilterSchema>;
export type AuditFilterInput = z.input<typeof auditFilterSchema>;

/** Turns raw strings (CLI options, query parameters) into a filter, or throws AuditInputError naming what to fix. */
export function parseAuditFilter(input: Record<string, unknown>): AuditFilter {
  const cleaned: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(input)) if (v !== undefined && v !== '') cleaned[k] = v;
  const result = auditFilterSchema.safeParse(cleaned);
  if (!result.success) throw new AuditInputError(formatIssues(result.error));
  const f = result.data;
  if (f.minScore !== undefined && f.classifier === undefined)
    throw new AuditInputError('min score needs a classifier, e.g. --classifier builtin:scam --min-score 0.8');
  if (f.since && f.until && f.since > f.until) throw new AuditInputError('since is after until');
  return f;
}

export function formatIssues(error: z.ZodError): string {
  return error.issues
    .map((i) => {
      if (i.code === 'unrecognized_keys') return `unknown filter ${i.keys.map((k) => `"${k}"`).join(', ')}`;
      const field = i.path.length > 0 ? String(i.path[0]) : '';
      return field &&
        !i.message.startsWith(field) &&
        !/^(min score|author|rule|action|outcome|classifier|account|media|comment)/.test(i.message)
        ? `${field}: ${i.message}`
        : i.message;
    })
    .join('; ');
}

export const pageLimits = { default: 50, max: 1000 } as const;

export function parseLimit(value: unknown, max: number = pageLimits.max): number {
  if (value === undefined || value === '') return pageLimits.default;
  const n = typeof value === 'number' ? value : Number(String(value).trim());
  if (!Number.isInteger(n) || n < 1 || n > max)
    throw new AuditInputError(`limit is a whole number from 1 to ${max}`);
  return n;
}
