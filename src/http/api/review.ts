/**
 * The admin API's review queue and moderator actions (approve, hide, unhide = undo, delete,
 * reply): schemas, routes, handlers. The work is in src/audit/moderator-action.ts (the same as
 * `modbot audit approve|hide|…`).
 */
import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { parseLimit } from '../../audit/filters.js';
import { moderatorActionKinds } from '../../audit/moderator-action.js';
import type { AuditService } from '../../audit/service.js';
import type { AppEnv } from '../context.js';
import { ErrorSchema, errors, json, queryKeysCheck } from './common.js';

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

export function registerReviewRoutes(api: OpenAPIHono<AppEnv>, audit: AuditService): void {
  api.openapi(queueRoute, async (c) => {
    queryKeysCheck(c, ['account', 'limit', 'cursor']);
    const q = c.req.valid('query');
    const page = await audit.reviewQueue({
      account: q.account,
      limit: parseLimit(q.limit),
      after: q.cursor,
    });
    return c.json(page, 200);
  });

  api.openapi(actionRoute, async (c) => {
    const body = c.req.valid('json');
    const result = await audit.moderate({
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
}
