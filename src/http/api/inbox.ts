/**
 * The admin API's dead letters: list the events set aside after INBOX_MAX_ATTEMPTS failures
 * with their last error, and put them back. The work is in src/audit/dead-letters.ts (the same
 * as `modbot inbox dead|retry`).
 */
import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { AuditService } from '../../audit/service.js';
import type { AppEnv } from '../context.js';
import { errors, json } from './common.js';

const DeadLetter = z
  .object({
    id: z.number(),
    accountId: z.string(),
    field: z.string(),
    kind: z.string(),
    commentId: z.string().nullable(),
    mediaId: z.string().nullable(),
    attempts: z.number(),
    lastError: z.string().nullable(),
    receivedAt: z.string(),
    deadSince: z.string(),
  })
  .openapi('DeadLetter');

const deadRoute = createRoute({
  method: 'get',
  path: '/inbox/dead',
  summary: 'Events that failed INBOX_MAX_ATTEMPTS times, with their last error (oldest first)',
  request: { query: z.object({ limit: z.coerce.number().int().min(1).max(1000).optional() }) },
  responses: {
    200: json(z.object({ total: z.number(), items: z.array(DeadLetter) }), 'the dead letters'),
    ...errors,
  },
});

const retryRoute = createRoute({
  method: 'post',
  path: '/inbox/retry',
  summary: 'Put dead events back in the inbox (attempts from zero, due now): these ids, or all',
  request: {
    body: {
      content: {
        'application/json': {
          schema: z.union([
            z.object({ ids: z.array(z.number().int().positive()).min(1).max(1000) }).strict(),
            z.object({ all: z.literal(true) }).strict(),
          ]),
        },
      },
      required: true,
    },
  },
  responses: {
    200: json(
      z.object({ retried: z.array(z.number()), notDead: z.array(z.number()) }),
      'put back; notDead names ids that were not dead letters',
    ),
    ...errors,
  },
});

export function registerInboxRoutes(api: OpenAPIHono<AppEnv>, audit: AuditService): void {
  api.openapi(deadRoute, async (c) => {
    const { limit } = c.req.valid('query');
    return c.json(await audit.deadLetters(limit === undefined ? {} : { limit }), 200);
  });
  api.openapi(retryRoute, async (c) => {
    const body = c.req.valid('json');
    const result = await audit.retryDeadLetters('all' in body ? { all: true } : { ids: body.ids });
    c.get('log')?.info('dead letters retried', { count: result.retried.length });
    return c.json(result, 200);
  });
}
