/**
 * The admin API's audit log routes: decisions, newest first, filtered and paged; one decision
 * explained; counts by rule, action, day, account, author or outcome. Schemas, routes, handlers;
 * the queries are in src/audit/ (the same as `modbot audit`).
 */
import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import {
  AuditInputError,
  decisionActions,
  outcomeFilters,
  parseAuditFilter,
  parseLimit,
  statsDimensions,
} from '../../audit/filters.js';
import type { AuditService } from '../../audit/service.js';
import type { AppEnv } from '../context.js';
import { ErrorSchema, errors, json, queryKeysCheck } from './common.js';

const filterParams = {
  account: z
    .string()
    .optional()
    .openapi({ description: 'Instagram account id', example: '17841400000000001' }),
  media: z.string().optional().openapi({ description: 'media (post) id' }),
  comment: z.string().optional().openapi({ description: 'comment id' }),
  author: z.string().optional().openapi({ description: 'commenter id, or username (@name)' }),
  rule: z
    .string()
    .optional()
    .openapi({ description: 'a rule that fired (enforced or shadow)', example: 'dm-me-pitch' }),
  action: z
    .string()
    .optional()
    .openapi({ description: `decided action: ${decisionActions.join(', ')}` }),
  outcome: z
    .string()
    .optional()
    .openapi({ description: `what became of the actions: ${outcomeFilters.join(', ')}` }),
  classifier: z
    .string()
    .optional()
    .openapi({ description: 'classifier[:category] that scored the comment', example: 'builtin:scam' }),
  minScore: z
    .string()
    .optional()
    .openapi({ description: 'with classifier: lowest score, 0..1', example: '0.8' }),
  since: z
    .string()
    .optional()
    .openapi({ description: 'relative (30m, 24h, 7d, 2w) or ISO date/time', example: '24h' }),
  until: z.string().optional().openapi({ description: 'relative or ISO, exclusive' }),
  q: z
    .string()
    .optional()
    .openapi({ description: 'words in the comment text (as written or normalised); "phrase", -not' }),
  dryRun: z
    .string()
    .optional()
    .openapi({ description: 'true: only dry-run decisions; false: only live ones' }),
};
const filterKeys = Object.keys(filterParams);

const ActionSummarySchema = z
  .object({ id: z.string(), type: z.string(), status: z.string(), actor: z.string() })
  .openapi('ActionSummary');

const DecisionSummarySchema = z
  .object({
    id: z.string().uuid(),
    createdAt: z.string(),
    accountId: z.string(),
    mediaId: z.string().nullable(),
    commentId: z.string().nullable(),
    kind: z.string(),
    authorId: z.string().nullable(),
    authorUsername: z.string().nullable(),
    text: z.string().nullable(),
    action: z.string(),
    outcome: z.string(),
    decidingRule: z.string().nullable(),
    firedRules: z.array(z.string()),
    dryRun: z.boolean(),
    redacted: z.boolean(),
    actions: z.array(ActionSummarySchema),
  })
  .openapi('DecisionSummary');

const DecisionPageSchema = z
  .object({
    items: z.array(DecisionSummarySchema),
    nextCursor: z.string().nullable().openapi({ description: 'pass as cursor for the next (older) page' }),
  })
  .openapi('DecisionPage');

const AttemptSchema = z.object({
  attempt: z.number(),
  startedAt: z.string(),
  durationMs: z.number(),
  request: z.string(),
  httpStatus: z.number().nullable(),
  outcome: z.string(),
  errorCode: z.number().nullable(),
  errorSubcode: z.number().nullable(),
  error: z.string().nullable(),
  response: z.unknown(),
});

const ActionViewSchema = z
  .object({
    id: z.string(),
    decisionId: z.string().nullable(),
    type: z.string(),
    status: z.string(),
    actor: z.string(),
    ruleId: z.string().nullable(),
    message: z.string().nullable(),
    reason: z.string().nullable(),
    lastError: z.string().nullable(),
    result: z.unknown(),
    createdAt: z.string(),
    completedAt: z.string().nullable(),
    attempts: z.array(AttemptSchema),
  })
  .openapi('Action');

const DecisionDetailSchema = z
  .object({
    id: z.string(),
    createdAt: z.string(),
    inboxId: z.number(),
    accountId: z.string(),
    kind: z.string(),
    mediaId: z.string().nullable(),
    commentId: z.string().nullable(),
    authorId: z.string().nullable(),
    authorUsername: z.string().nullable(),
    text: z.string().nullable(),
    normalisedText: z.string().nullable(),
    ruleSetHash: z.string(),
    outcome: z.string(),
    action: z.string(),
    decidingRule: z.string().nullable(),
    firedRules: z.array(z.string()),
    detail: z.unknown().openapi({
      description:
        'the engine decision: fired rules with condition traces and matched terms, classifier calls with scores, fallbacks, shadow',
    }),
    steps: z.unknown(),
    dryRun: z.boolean(),
    durationMs: z.number(),
    redactedAt: z.string().nullable(),
    rules: z
      .array(z.object({ ruleId: z.string(), path: z.string(), line: z.number(), text: z.string() }))
      .nullable(),
    ruleSetFirstSeenAt: z.string().nullable(),
    actions: z.array(ActionViewSchema),
    related: z.array(z.string()),
  })
  .openapi('Decision');

const StatsRowSchema = z.object({
  key: z.string().nullable(),
  label: z.string().nullable().optional(),
  decisions: z.number(),
  allow: z.number(),
  reply: z.number(),
  review: z.number(),
  hide: z.number(),
  delete: z.number(),
  deciding: z.number().optional(),
  shadow: z.number().optional(),
});
const StatsSchema = z
  .object({
    by: z.enum(statsDimensions),
    since: z.string(),
    until: z.string().nullable(),
    rows: z.array(StatsRowSchema),
  })
  .openapi('Stats');

const listRoute = createRoute({
  method: 'get',
  path: '/decisions',
  summary: 'Decisions, newest first, filtered; keyset paging with cursor',
  request: {
    query: z.object({
      ...filterParams,
      limit: z.string().optional().openapi({ description: 'rows per page, 1–1000 (default 50)' }),
      cursor: z.string().optional().openapi({ description: 'nextCursor of the previous page' }),
    }),
  },
  responses: { 200: json(DecisionPageSchema, 'a page of decisions'), ...errors },
});

const showRoute = createRoute({
  method: 'get',
  path: '/decisions/{id}',
  summary:
    'One decision explained: text, rules fired and why, classifier scores, actions with API outcomes, the rule text then',
  request: {
    params: z.object({
      id: z.string().openapi({ param: { name: 'id', in: 'path' }, description: 'decision id or comment id' }),
    }),
  },
  responses: {
    200: json(DecisionDetailSchema, 'the decision'),
    404: json(ErrorSchema, 'no such decision'),
    ...errors,
  },
});

const statsRoute = createRoute({
  method: 'get',
  path: '/stats',
  summary: 'Counts by rule, action, day, account, author or outcome (default: last 30 days)',
  request: {
    query: z.object({
      by: z
        .string()
        .optional()
        .openapi({ description: statsDimensions.join(', '), example: 'rule' }),
      ...filterParams,
    }),
  },
  responses: { 200: json(StatsSchema, 'counts'), ...errors },
});

export function registerAuditLogRoutes(api: OpenAPIHono<AppEnv>, audit: AuditService): void {
  api.openapi(listRoute, async (c) => {
    queryKeysCheck(c, [...filterKeys, 'limit', 'cursor']);
    const { limit, cursor, ...filters } = c.req.valid('query');
    const page = await audit.listDecisions(parseAuditFilter(filters), {
      limit: parseLimit(limit),
      cursor,
    });
    return c.json(
      {
        items: page.items.map((i) => ({ ...i, firedRules: [...i.firedRules], actions: [...i.actions] })),
        nextCursor: page.nextCursor,
      },
      200,
    );
  });

  api.openapi(showRoute, async (c) => {
    const detail = await audit.getDecision(c.req.valid('param').id);
    if (!detail)
      return c.json({ error: 'not_found', message: 'no decision with this id or comment id' }, 404);
    return c.json(
      {
        ...detail,
        firedRules: [...detail.firedRules],
        rules: detail.rules ? [...detail.rules] : null,
        related: [...detail.related],
        actions: detail.actions.map((a) => ({ ...a, attempts: [...a.attempts] })),
      },
      200,
    );
  });

  api.openapi(statsRoute, async (c) => {
    queryKeysCheck(c, [...filterKeys, 'by']);
    const { by, ...filters } = c.req.valid('query');
    const dimension = statsDimensions.find((d) => d === (by ?? 'rule'));
    if (!dimension) throw new AuditInputError(`by is one of ${statsDimensions.join(', ')}`);
    const stats = await audit.stats(dimension, parseAuditFilter(filters));
    return c.json({ ...stats, rows: [...stats.rows] }, 200);
  });
}
