/**
 * The admin HTTP API under /api: the audit log (decisions, one decision, stats), the review
 * queue, moderator actions (approve, hide, unhide = undo, delete, reply), erasure and retention,
 * and the rules' backtest and status.
 * Every route, /api/openapi.json included, needs `Authorization: Bearer <ADMIN_TOKEN>`; without
 * ADMIN_TOKEN configured the API answers 503 rather than being open. Transport only: the work is
 * in src/audit/ (the same functions as `modbot audit`).
 *
 * This file puts the API together: the token check (./api/auth.ts), the routes by area
 * (./api/audit-log.ts, ./api/review.ts, ./api/erasure.ts), the OpenAPI document, the errors.
 */
import { OpenAPIHono } from '@hono/zod-openapi';
import { HTTPException } from 'hono/http-exception';
import { AuditInputError, formatIssues } from '../audit/filters.js';
import { ModerationConflict, TargetNotFound } from '../audit/moderator-action.js';
import type { AuditService } from '../audit/service.js';
import { registerAuditLogRoutes } from './api/audit-log.js';
import { requireAdminToken } from './api/auth.js';
import { registerErasureRoutes } from './api/erasure.js';
import { registerInboxRoutes } from './api/inbox.js';
import { registerMediaRoutes } from './api/media.js';
import { registerReviewRoutes } from './api/review.js';
import {
  type RulesApi,
  type RulesInForceView,
  registerRulesInForceRoute,
  registerRulesRoutes,
} from './api/rules.js';
import type { AppEnv } from './context.js';

export interface ApiDeps {
  readonly audit: AuditService;
  /** ADMIN_TOKEN; undefined → every /api route answers 503. */
  readonly adminToken: string | undefined;
  /** The rule set in force, for GET /api/rules (absent: the route is not served). */
  readonly rulesInForce?: (() => RulesInForceView) | undefined;
  /** Backtest and status of the rule set in force (absent where moderation is replaced). */
  readonly rules?: RulesApi | undefined;
}

/** The message of a Postgres data exception (SQLSTATE 22xxx) in the error or its causes, else null. */
function dataException(error: unknown): string | null {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^22[0-9A-Z]{3}$/.test(code)) return e.message.slice(0, 200);
  }
  return null;
}

export function apiRoutes(deps: ApiDeps) {
  const api = new OpenAPIHono<AppEnv>({
    defaultHook: (result, c) => {
      if (!result.success)
        return c.json({ error: 'invalid_request', message: formatIssues(result.error) }, 400);
    },
  });

  api.use('*', requireAdminToken(deps.adminToken));

  api.openAPIRegistry.registerComponent('securitySchemes', 'AdminToken', {
    type: 'http',
    scheme: 'bearer',
    description: 'ADMIN_TOKEN',
  });

  registerAuditLogRoutes(api, deps.audit);
  registerReviewRoutes(api, deps.audit);
  registerErasureRoutes(api, deps.audit);
  registerMediaRoutes(api, deps.audit);
  registerInboxRoutes(api, deps.audit);
  if (deps.rulesInForce) registerRulesInForceRoute(api, deps.rulesInForce);
  registerRulesRoutes(api, deps.rules);

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
    const refused = dataException(error);
    if (refused) {
      // Input the checks let through but Postgres refuses as data (SQLSTATE class 22): the caller's
      // to fix, so 400 with the database's words, and a warning so the check can be tightened.
      c.get('log')?.warn('api input refused by the database', { error, path: c.req.path });
      return c.json(
        { error: 'invalid_request', message: `the database refused this input: ${refused}` },
        400,
      );
    }
    c.get('log')?.error('api error', { error, path: c.req.path });
    return c.json({ error: 'internal', message: 'internal error' }, 500);
  });
  api.notFound((c) =>
    c.json({ error: 'not_found', message: `no route for ${c.req.method} ${c.req.path}` }, 404),
  );
  return api;
}
