/**
 * The admin API's rules. GET /api/rules: the rule set in force (content hash, files, rule count,
 * when it was loaded), so an operator can tell whether a saved edit took effect (the same is
 * logged on each reload). A backtest of changed rule files (POST /api/rules/backtest: what the
 * rule set in force, with these files in place of the files of the same name, would have done
 * to the stored comments) and each rule's status (GET /api/rules/status). The same work as
 * `modbot rules backtest|status` (src/audit/backtest/, src/audit/rule-status.ts); calls no API.
 */
import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { BacktestReport } from '../../audit/backtest/run.js';
import { AuditInputError, parseTime } from '../../audit/filters.js';
import type { RulesStatus } from '../../audit/rule-status.js';
import type { AppEnv } from '../context.js';
import { errors, json } from './common.js';

/** What the runtime knows of the rule set in force; `loadedAt` null when not loaded from files. */
export interface RulesInForceView {
  readonly hash: string;
  readonly files: readonly string[];
  readonly rules: number;
  readonly loadedAt: Date | null;
}

const RulesInForce = z
  .object({
    hash: z.string(),
    files: z.array(z.string()),
    rules: z.number(),
    loadedAt: z.string().nullable(),
  })
  .openapi('RulesInForce');

const rulesRoute = createRoute({
  method: 'get',
  path: '/rules',
  summary: 'The rule set in force: content hash, files, number of rules, when it was loaded',
  responses: { 200: json(RulesInForce, 'the rule set in force'), ...errors },
});

export function registerRulesInForceRoute(api: OpenAPIHono<AppEnv>, inForce: () => RulesInForceView): void {
  api.openapi(rulesRoute, (c) => {
    const now = inForce();
    return c.json(
      {
        hash: now.hash,
        files: [...now.files],
        rules: now.rules,
        loadedAt: now.loadedAt?.toISOString() ?? null,
      },
      200,
    );
  });
}

export interface RulesBacktestInput {
  readonly files: readonly { path: string; content: string }[];
  readonly remove: readonly string[];
  readonly since: Date;
  readonly until: Date;
  readonly account?: string | undefined;
  readonly examples: number;
}

export type RulesBacktestResult =
  | { ok: true; replaced: string[]; added: string[]; report: BacktestReport }
  | { ok: false; errors: string[] };

/** Bound by the composition root to the rule set in force and the audit log. */
export interface RulesApi {
  backtest(input: RulesBacktestInput): Promise<RulesBacktestResult>;
  status(): Promise<RulesStatus>;
}

const Counts = z.object({ hidden: z.number(), deleted: z.number(), replied: z.number(), held: z.number() });

const BacktestReportSchema = z
  .object({
    replaced: z.array(z.string()).readonly(),
    added: z.array(z.string()).readonly(),
    report: z.object({
      window: z.object({ since: z.string(), until: z.string(), account: z.string().nullable() }),
      candidate: z.object({
        ruleSetHash: z.string(),
        rules: z.number(),
        classifiers: z.array(z.string()).readonly(),
      }),
      recordedRuleSets: z.record(z.string(), z.number()),
      totals: z.object({
        decisions: z.number(),
        compared: z.number(),
        redacted: z.number(),
        changed: z.number(),
        newly: Counts,
        noLonger: Counts,
      }),
      rules: z
        .array(
          z.object({
            ruleId: z.string(),
            newly: Counts,
            noLonger: Counts,
            examples: z
              .array(
                z.object({
                  decisionId: z.string(),
                  commentId: z.string().nullable(),
                  accountId: z.string(),
                  text: z.string(),
                  before: z.string(),
                  after: z.string(),
                  recordedRule: z.string().nullable(),
                  candidateRule: z.string().nullable(),
                }),
              )
              .readonly(),
          }),
        )
        .readonly(),
      labels: z.object({
        reversals: z.number(),
        reversalsAvoided: z.number(),
        reversalsRepeated: z.number(),
        manualHides: z.number(),
        manualHidesCaught: z.number(),
        manualHidesHeld: z.number(),
        examples: z.object({
          reversalsAvoided: z.array(z.string()).readonly(),
          reversalsRepeated: z.array(z.string()).readonly(),
          manualHidesCaught: z.array(z.string()).readonly(),
        }),
      }),
      scores: z.object({
        recorded: z.number(),
        cached: z.number(),
        offline: z.number(),
        candidate: z.number(),
        assumed: z.number(),
        commentsAssumed: z.number(),
        byClassifier: z.record(z.string(), z.number()),
        assumption: z.string(),
      }),
      elapsedMs: z.number(),
      commentsPerSecond: z.number(),
    }),
  })
  .openapi('BacktestResult');

const Rate = z.object({
  action: z.string(),
  decided: z.number(),
  reversed: z.number(),
  rate: z.number().nullable(),
});

const RulesStatusSchema = z
  .object({
    ruleSetHash: z.string(),
    at: z.string(),
    rules: z
      .array(
        z.object({
          ruleId: z.string(),
          file: z.string(),
          line: z.number(),
          mode: z.enum(['enforce', 'shadow']),
          actions: z.array(z.string()).readonly(),
          hits7Days: z.number(),
          hits30Days: z.number(),
          reversals: Rate.nullable(),
          shadow: z
            .object({
              since: z.string().nullable(),
              fired: z.number(),
              wouldHave: z.record(z.string(), z.number()),
              comparable: Rate.nullable(),
              promote: z.string(),
            })
            .nullable(),
        }),
      )
      .readonly(),
  })
  .openapi('RulesStatus');

const time = z.string().trim().max(40);

const backtestRoute = createRoute({
  method: 'post',
  path: '/rules/backtest',
  summary:
    'What the rules in force, with these files in place of the files of the same name (or added), would have done to the stored comments; calls no API',
  request: {
    body: {
      content: {
        'application/json': {
          schema: z
            .object({
              files: z
                .array(
                  z.object({ path: z.string().min(1).max(200), content: z.string().max(1_000_000) }).strict(),
                )
                .max(50)
                .default([]),
              remove: z.array(z.string().min(1).max(200)).max(50).default([]),
              since: time.default('30d'),
              until: time.optional(),
              account: z
                .string()
                .regex(/^[0-9A-Za-z_-]{1,64}$/, { message: 'account is an Instagram id (digits)' })
                .optional(),
              examples: z.number().int().min(0).max(100).default(3),
            })
            .strict(),
        },
      },
      required: true,
    },
  },
  responses: {
    200: json(BacktestReportSchema, 'the difference, per rule, with examples and the moderators’ labels'),
    422: json(
      z.object({ error: z.literal('invalid_rules'), message: z.string(), errors: z.array(z.string()) }),
      'the changed files do not load: every error as file:line:column message',
    ),
    ...errors,
  },
});

const statusRoute = createRoute({
  method: 'get',
  path: '/rules/status',
  summary:
    'Per rule in force: mode, hits over 7 and 30 days; for shadow rules what they would have done since added, the reversal rate of comparable enforced actions and the edit that promotes them',
  responses: { 200: json(RulesStatusSchema, 'each rule'), ...errors },
});

export function registerRulesRoutes(api: OpenAPIHono<AppEnv>, rules: RulesApi | undefined): void {
  const inForce = () => {
    if (!rules) throw new AuditInputError('this runtime has no rule set of its own (moderation is replaced)');
    return rules;
  };
  api.openapi(backtestRoute, async (c) => {
    const body = c.req.valid('json');
    const since = parseTime(body.since);
    if (!since)
      throw new AuditInputError(
        `since "${body.since}": a relative time like 30d, 24h, 2w or a date like 2026-11-01`,
      );
    const until = body.until === undefined ? new Date() : parseTime(body.until);
    if (!until)
      throw new AuditInputError(
        `until "${body.until}": a relative time like 1d, 24h or a date like 2026-11-01`,
      );
    if (since >= until) throw new AuditInputError('since must be before until');
    const result = await inForce().backtest({
      files: body.files,
      remove: body.remove,
      since,
      until,
      account: body.account,
      examples: body.examples,
    });
    if (!result.ok)
      return c.json(
        {
          error: 'invalid_rules' as const,
          message: `the changed rule files have ${result.errors.length} error(s); nothing was backtested`,
          errors: result.errors,
        },
        422,
      );
    c.get('log')?.info('rules backtest', {
      files: body.files.length,
      decisions: result.report.totals.decisions,
      elapsedMs: result.report.elapsedMs,
    });
    return c.json({ replaced: result.replaced, added: result.added, report: result.report }, 200);
  });
  api.openapi(statusRoute, async (c) => c.json(await inForce().status(), 200));
}
