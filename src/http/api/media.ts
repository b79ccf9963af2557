/**
 * The admin API's lockdown by hand: POST /api/media/{id}/lock (comments off, for a while or until
 * unlocked), POST /api/media/{id}/unlock (comments back on now), GET /api/media/{id}/locks (who
 * locked and unlocked it, why, and what became of it). The work is in src/audit/lock-media.ts
 * (the same as `modbot media lock|unlock|show`).
 */
import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { AuditService } from '../../audit/service.js';
import type { AppEnv } from '../context.js';
import { ErrorSchema, errors, json, queryKeysCheck } from './common.js';

const MediaParam = z.object({
  id: z.string().openapi({ param: { name: 'id', in: 'path' }, description: 'Instagram media id' }),
});

const LockRequestSchema = z
  .object({
    moderator: z
      .string()
      .min(1)
      .max(64)
      .openapi({ description: 'who is acting; recorded as moderator:<name>', example: 'alice' }),
    account: z
      .string()
      .max(64)
      .optional()
      .openapi({ description: "the media's account id (default: from modbot's latest decision on it)" }),
    note: z.string().max(500).optional().openapi({ description: 'why; recorded on the action' }),
  })
  .openapi('MediaUnlock');

const LockForSchema = LockRequestSchema.extend({
  for: z
    .string()
    .max(16)
    .optional()
    .openapi({ description: 'how long, 1m to 7d (e.g. "2h"); absent: until unlocked', example: '2h' }),
}).openapi('MediaLock');

const LockResultSchema = z
  .object({
    accountId: z.string(),
    mediaId: z.string(),
    planned: z.array(z.object({ id: z.string(), type: z.string(), dueAt: z.string() })),
    dismissed: z.array(z.object({ id: z.string(), type: z.string() })),
    message: z.string(),
  })
  .openapi('MediaLockResult');

const HistorySchema = z
  .object({
    accountId: z.string(),
    mediaId: z.string(),
    rows: z.array(
      z.object({
        id: z.string(),
        type: z.string(),
        status: z.string(),
        actor: z.string(),
        ruleId: z.string().nullable(),
        reason: z.string().nullable(),
        dueAt: z.string(),
        createdAt: z.string(),
        completedAt: z.string().nullable(),
      }),
    ),
  })
  .openapi('MediaLockHistory');

const outcomes = {
  202: json(LockResultSchema, 'planned (the actuator executes it)'),
  404: json(ErrorSchema, 'modbot knows no account for this media: give account'),
  409: json(ErrorSchema, 'a reopening is under way right now; try again'),
  ...errors,
};

const lockRoute = createRoute({
  method: 'post',
  path: '/media/{id}/lock',
  summary: 'Turn comments off on a media, for a while or until unlocked (recorded with the moderator)',
  request: {
    params: MediaParam,
    body: { content: { 'application/json': { schema: LockForSchema } }, required: true },
  },
  responses: outcomes,
});

const unlockRoute = createRoute({
  method: 'post',
  path: '/media/{id}/unlock',
  summary: 'Turn comments back on now; a waiting lockdown or reopening is cancelled',
  request: {
    params: MediaParam,
    body: { content: { 'application/json': { schema: LockRequestSchema } }, required: true },
  },
  responses: outcomes,
});

const historyRoute = createRoute({
  method: 'get',
  path: '/media/{id}/locks',
  summary: "A media's lockdowns and reopenings, newest first",
  request: { params: MediaParam, query: z.object({ account: z.string().optional() }) },
  responses: { 200: json(HistorySchema, 'the lockdown rows'), 404: outcomes[404], ...errors },
});

export function registerMediaRoutes(api: OpenAPIHono<AppEnv>, audit: AuditService): void {
  api.openapi(lockRoute, async (c) => {
    const body = c.req.valid('json');
    const result = await audit.lockMedia({
      mediaId: c.req.valid('param').id,
      accountId: body.account,
      for: body.for,
      moderator: body.moderator,
      note: body.note,
    });
    c.get('log')?.info('media locked', { mediaId: result.mediaId, actor: `moderator:${body.moderator}` });
    return c.json({ ...result, planned: [...result.planned], dismissed: [...result.dismissed] }, 202);
  });

  api.openapi(unlockRoute, async (c) => {
    const body = c.req.valid('json');
    const result = await audit.unlockMedia({
      mediaId: c.req.valid('param').id,
      accountId: body.account,
      moderator: body.moderator,
      note: body.note,
    });
    c.get('log')?.info('media unlocked', { mediaId: result.mediaId, actor: `moderator:${body.moderator}` });
    return c.json({ ...result, planned: [...result.planned], dismissed: [...result.dismissed] }, 202);
  });

  api.openapi(historyRoute, async (c) => {
    queryKeysCheck(c, ['account']);
    const history = await audit.mediaLockHistory({
      mediaId: c.req.valid('param').id,
      accountId: c.req.valid('query').account,
    });
    return c.json(history, 200);
  });
}
