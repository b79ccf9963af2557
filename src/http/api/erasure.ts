/**
 * The admin API's erasure and retention routes: erase one person's comment text and identifiers
 * everywhere; redact what is past RETENTION_DAYS now. The work is in src/audit/erase-subject.ts
 * and src/audit/retention.ts (the same as `modbot audit erase|retention`).
 */
import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { moderatorActor } from '../../audit/moderator-action.js';
import type { AuditService } from '../../audit/service.js';
import type { AppEnv } from '../context.js';
import { errors, json } from './common.js';

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

export function registerErasureRoutes(api: OpenAPIHono<AppEnv>, audit: AuditService): void {
  api.openapi(eraseRoute, async (c) => {
    const body = c.req.valid('json');
    const result = await audit.eraseSubject({
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
    const result = await audit.runRetention();
    return c.json({ cutoff: result.cutoff, counts: { ...result.counts } as Record<string, number> }, 200);
  });
}
