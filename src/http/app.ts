/**
 * createApp(deps): the Hono application shared by Node and Workers. Routes are transport only;
 * everything they need arrives in `deps`, wired by the composition root (src/runtime/).
 */
import { Hono } from 'hono';
import { requestId } from 'hono/request-id';
import type { Logger } from '../log.js';
import { type ApiDeps, apiRoutes } from './api.js';
import type { ConsoleDeps } from './console/deps.js';
import { consoleRoutes } from './console/routes.js';
import type { AppEnv } from './context.js';
import { type MetaCallbackDeps, metaCallbackRoutes } from './meta-callbacks.js';
import { type WebhookDeps, webhookRoutes } from './webhooks.js';

/**
 * Whether modbot can serve: the database answers and is migrated (503 with the reason if not);
 * ready with warnings when an account's work waits (its token refused or undecryptable).
 */
export type Readiness =
  | { readonly ok: true; readonly warnings?: readonly string[] }
  /** `reason` is shown to anyone; `detail` (the error, SQL and all) only logged. */
  | { readonly ok: false; readonly reason: string; readonly detail?: unknown };

export interface AppDeps {
  readonly logger: Logger;
  readonly webhooks: WebhookDeps;
  readonly readiness: () => Promise<Readiness>;
  /** The admin API under /api (audit, review queue, moderator actions); mounted when given. */
  readonly api?: ApiDeps;
  /** Meta's data-deletion and deauthorize callbacks under /meta; mounted when given. */
  readonly meta?: MetaCallbackDeps;
  /** The moderator console under /console (GET / redirects there); mounted when given. */
  readonly console?: ConsoleDeps;
}

export function createApp(deps: AppDeps) {
  const app = new Hono<AppEnv>();
  app.use(requestId({ limitLength: 128 }));
  app.use(async (c, next) => {
    c.set('log', deps.logger.child({ requestId: c.get('requestId') }));
    await next();
  });

  app.get('/healthz', (c) => c.json({ ok: true }));
  app.get('/readyz', async (c) => {
    const ready = await deps.readiness();
    if (!ready.ok) {
      c.get('log')?.warn('not ready', { reason: ready.reason, error: ready.detail });
      return c.json({ ok: false, reason: ready.reason }, 503);
    }
    return c.json(ready.warnings?.length ? { ok: true, warnings: ready.warnings } : { ok: true });
  });
  app.route('/webhooks/instagram', webhookRoutes(deps.webhooks));
  if (deps.api) app.route('/api', apiRoutes(deps.api));
  if (deps.meta) app.route('/meta', metaCallbackRoutes(deps.meta));
  if (deps.console) app.route('/console', consoleRoutes(deps.console));
  if (deps.console) app.get('/', (c) => c.redirect('/console', 302));

  app.notFound((c) =>
    c.json({ error: 'not_found', message: `no route for ${c.req.method} ${c.req.path}` }, 404),
  );
  app.onError((error, c) => {
    c.get('log')?.error('unhandled error', { error, path: c.req.path });
    return c.json({ error: 'internal', message: 'internal error' }, 500);
  });
  return app;
}
