/**
 * The admin HTTP API under /api: the audit log (decisions, one decision, stats), the review
 * queue, moderator actions (approve, hide, unhide = undo, delete, reply), erasure and retention.
 * Every route, /api/openapi.json included, needs `Authorization: Bearer <ADMIN_TOKEN>`; without
 * ADMIN_TOKEN configured the API answers 503 rather than being open. Transport only: the work is
 * in src/audit/ (the same functions as `modbot audit`).
 */
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import {
  AuditInputError,
  decisionActions,
  formatIssues,
  outcomeFilters,
  parseAuditFilter,
  parseLimit,
  statsDimensions,
} from '../audit/filters.js';
import {
  ModerationConflict,
  moderatorActionKinds,
  moderatorActor,
  TargetNotFound,
} from '../audit/moderator-action.js';
import type { AuditService } from '../audit/service.js';
import type { AppEnv } from './context.js';

export interface ApiDeps {
  readonly audit: AuditService;
  /** ADMIN_TOKEN; undefined → every /api route answers 503. */
  readonly adminToken: string | undefined;
}

// ---------------------------------------------------------------------------------------------
// Auth: constant-time comparison through HMAC (both sides hashed with a per-process random key,
// then crypto.subtle.verify compares the digests in constant time, whatever the lengths).

const encoder = new TextEncoder();

function tokenChecker(token: string) {
  const ready = (async () => {
    const key = await crypto.subtle.generateKey({ name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);
    const expected = await crypto.subtle.sign('HMAC', key, encoder.encode(token));
    return { key, expected };
  })();
  return async (presented: string): Promise<boolean> => {
    const { key, expected } = await ready;
    return crypto.subtle.verify('HMAC', key, expected, encoder.encode(presented));
  };
}

// ---------------------------------------------------------------------------------------------
// Schemas (OpenAPI components)

const ErrorSchema = z.object({ error: z.string(), message: z.string() }).openapi('Error');

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
});
const StatsSchema = z
  .object({
    by: z.enum(statsDimensions),
    since: z.string(),
    until: z.string().nullable(),
    rows: z.array(StatsRowSchema),
  })
  .openapi('Stats');

const QueueSchema = z
  .object({
    items: z.array(
      z.object({
        actionId: z.string(),
        heldAt: z.string(),
        accountId: z.string(),
        commentId: z.string().nullable(),
        mediaId: z.string().nullable(),
        decisionId: z.string().nullable(),
        ruleId: z.string().nullable(),
        authorUsername: z.string().nullable(),
        authorId: z.string().nullable(),
        text: z.string().nullable(),
        decidingRule: z.string().nullable(),
      }),
    ),
    nextCursor: z.string().nullable(),
  })
  .openapi('ReviewQueue');

const ModeratorRequestSchema = z
  .object({
    action: z.enum(moderatorActionKinds).openapi({
      description:
        'approve (unhide if hidden, dismiss the review), hide, unhide (undo a hide), delete (cannot be undone), reply',
    }),
    target: z
      .string()
      .min(1)
      .max(64)
      .openapi({ description: 'decision id or comment id', example: '17900000000000001' }),
    moderator: z
      .string()
      .min(1)
      .max(64)
      .openapi({ description: 'who is acting; recorded as moderator:<name>', example: 'alice' }),
    message: z.string().max(2200).optional().openapi({ description: 'reply text (reply only)' }),
    note: z.string().max(500).optional().openapi({ description: 'why; recorded on the action' }),
  })
  .openapi('ModeratorAction');

const ModeratorResultSchema = z
  .object({
    kind: z.enum(moderatorActionKinds),
    accountId: z.string(),
    commentId: z.string(),
    decisionId: z.string().nullable(),
    planned: z.array(z.object({ id: z.string(), type: z.string(), status: z.string() })),
    dismissed: z.array(z.object({ id: z.string(), type: z.string(), previousStatus: z.string() })),
    message: z.string(),
  })
  .openapi('ModeratorResult');

const json = <T extends z.ZodType>(schema: T, description: string) => ({
  content: { 'application/json': { schema } },
  description,
});
const errors = {
  400: json(ErrorSchema, 'invalid input; the message says what to fix'),
  401: json(ErrorSchema, 'missing or wrong bearer token'),
  503: json(ErrorSchema, 'ADMIN_TOKEN is not set'),
};

// ---------------------------------------------------------------------------------------------
// Routes

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

const queueRoute = createRoute({
  method: 'get',
  path: '/review-queue',
  summary: 'Comments held for review, oldest first',
  request: {
    query: z.object({
      account: z.string().optional(),
      limit: z.string().optional(),
      cursor: z.string().optional(),
    }),
  },
  responses: { 200: json(QueueSchema, 'held actions'), ...errors },
});

const actionRoute = createRoute({
  method: 'post',
  path: '/actions',
  summary:
    'A moderator action: approve, hide, unhide (undo), delete, reply. Recorded with the moderator as actor; executed by the actuator',
  request: { body: { content: { 'application/json': { schema: ModeratorRequestSchema } }, required: true } },
  responses: {
    202: json(ModeratorResultSchema, 'planned (the actuator executes it)'),
    404: json(ErrorSchema, 'no decision with that id or comment id'),
    409: json(
      ErrorSchema,
      'cannot be done to this comment (e.g. it was deleted: a deleted comment cannot be restored)',
    ),
    ...errors,
  },
});

const eraseRoute = createRoute({
  method: 'post',
  path: '/erasures',
  summary: "Erase one person's comment text and identifiers everywhere",
  request: {
    body: {
      content: {
        'application/json': {
          schema: z.object({
            author: z.string().min(1).max(64).openapi({ description: "the person's Instagram id" }),
            moderator: z.string().min(1).max(64),
          }),
        },
      },
      required: true,
    },
  },
  responses: {
    200: json(
      z
        .object({
          confirmationCode: z.string(),
          status: z.string(),
          counts: z.record(z.string(), z.number()),
        })
        .openapi('Erasure'),
      'erased',
    ),
    ...errors,
  },
});

const retentionRoute = createRoute({
  method: 'post',
  path: '/retention/run',
  summary: 'Redact comment text and author names older than RETENTION_DAYS now (also runs hourly)',
  responses: {
    200: json(
      z.object({ cutoff: z.string(), counts: z.record(z.string(), z.number()) }).openapi('RetentionRun'),
      'done',
    ),
    ...errors,
  },
});

function queryKeysCheck(c: Context, allowed: readonly string[]) {
  const unknown = Object.keys(c.req.queries()).filter((k) => !allowed.includes(k));
  if (unknown.length > 0)
    throw new AuditInputError(
      `unknown parameter ${unknown.map((k) => `"${k}"`).join(', ')}; known: ${allowed.join(', ')}`,
    );
}

export function apiRoutes(deps: ApiDeps) {
  const api = new OpenAPIHono<AppEnv>({
    defaultHook: (result, c) => {
      if (!result.success)
        return c.json({ error: 'invalid_request', message: formatIssues(result.error) }, 400);
    },
  });
  const check = deps.adminToken ? tokenChecker(deps.adminToken) : null;

  api.use('*', async (c, next) => {
    if (!check)
      return c.json(
        {
          error: 'not_configured',
          message: 'the admin API is off: set ADMIN_TOKEN (e.g. openssl rand -hex 32) and restart',
        },
        503,
      );
    const match = /^Bearer[ ]+([\x21-\x7e]{1,512})\s*$/i.exec(c.req.header('authorization') ?? '');
    if (!match?.[1] || !(await check(match[1]))) {
      return c.json({ error: 'unauthorized', message: 'send Authorization: Bearer <ADMIN_TOKEN>' }, 401, {
        'www-authenticate': 'Bearer realm="modbot"',
      });
    }
    await next();
  });

  api.openAPIRegistry.registerComponent('securitySchemes', 'AdminToken', {
    type: 'http',
    scheme: 'bearer',
    description: 'ADMIN_TOKEN',
  });

  api.openapi(listRoute, async (c) => {
    queryKeysCheck(c, [...filterKeys, 'limit', 'cursor']);
    const { limit, cursor, ...filters } = c.req.valid('query');
    const page = await deps.audit.listDecisions(parseAuditFilter(filters), {
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
    const detail = await deps.audit.getDecision(c.req.valid('param').id);
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
    const stats = await deps.audit.stats(dimension, parseAuditFilter(filters));
    return c.json({ ...stats, rows: [...stats.rows] }, 200);
  });

  api.openapi(queueRoute, async (c) => {
    queryKeysCheck(c, ['account', 'limit', 'cursor']);
    const q = c.req.valid('query');
    const page = await deps.audit.reviewQueue({
      account: q.account,
      limit: parseLimit(q.limit),
      after: q.cursor,
    });
    return c.json(page, 200);
  });

  api.openapi(actionRoute, async (c) => {
    const body = c.req.valid('json');
    const result = await deps.audit.moderate({
      kind: body.action,
      target: body.target,
      moderator: body.moderator,
      message: body.message,
      note: body.note,
    });
    c.get('log')?.info('moderator action', {
      kind: result.kind,
      commentId: result.commentId,
      actor: `moderator:${body.moderator}`,
    });
    return c.json({ ...result, planned: [...result.planned], dismissed: [...result.dismissed] }, 202);
  });

  api.openapi(eraseRoute, async (c) => {
    const body = c.req.valid('json');
    const result = await deps.audit.eraseSubject({
      userId: body.author,
      kind: 'operator',
      requestedBy: moderatorActor(body.moderator),
    });
    c.get('log')?.info('erasure', { confirmationCode: result.confirmationCode, counts: result.counts });
    return c.json(
      {
        confirmationCode: result.confirmationCode,
        status: result.status,
        counts: { ...result.counts } as Record<string, number>,
      },
      200,
    );
  });

  api.openapi(retentionRoute, async (c) => {
    const result = await deps.audit.runRetention();
    return c.json({ cutoff: result.cutoff, counts: { ...result.counts } as Record<string, number> }, 200);
  });

  api.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: {
      title: 'modbot admin API',
      version: '1',
      description: 'Audit log, review queue, moderator actions, erasure. Bearer ADMIN_TOKEN on every route.',
    },
    security: [{ AdminToken: [] }],
  });

  api.onError((error, c) => {
    if (error instanceof AuditInputError)
      return c.json({ error: 'invalid_request', message: error.message }, 400);
    if (error instanceof TargetNotFound) return c.json({ error: 'not_found', message: error.message }, 404);
    if (error instanceof ModerationConflict)
      return c.json({ error: 'conflict', message: error.message }, 409);
    if (error instanceof HTTPException && error.status < 500)
      return c.json({ error: 'invalid_request', message: error.message || 'invalid request' }, error.status);
    c.get('log')?.error('api error', { error, path: c.req.path });
    return c.json({ error: 'internal', message: 'internal error' }, 500);
  });
  api.notFound((c) =>
    c.json({ error: 'not_found', message: `no route for ${c.req.method} ${c.req.path}` }, 404),
  );
  return api;
}
