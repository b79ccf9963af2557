/**
 * Meta's lifecycle callbacks (docs/meta-platform.md#callbacks):
 *   POST /meta/data-deletion             signed_request → erase that user → {url, confirmation_code}
 *   GET  /meta/data-deletion/status/:code  what became of that request
 *   POST /meta/deauthorize               signed_request → drop the account's token, stop acting
 * Both POSTs carry a form field `signed_request`, verified with META_APP_SECRET or
 * INSTAGRAM_APP_SECRET (either; constant time). Transport only: the work is in src/audit/erase-subject.ts, bound to the database as `audit`.
 */
import { type Context, Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { AuditService } from '../audit/service.js';
import { verifySignedRequest } from '../audit/signed-request.js';
import type { SigningSecret } from '../webhook/verify.js';
import type { AppEnv } from './context.js';

export interface MetaCallbackDeps {
  readonly audit: Pick<AuditService, 'eraseSubject' | 'erasureStatus' | 'disconnectAccount'>;
  readonly secrets: readonly SigningSecret[];
  /** The https:// origin Meta and people reach modbot at (PUBLIC_URL), never taken from the request. */
  readonly publicUrl: string;
}

const maxBody = 64 * 1024;

export function metaCallbackRoutes(deps: MetaCallbackDeps) {
  const app = new Hono<AppEnv>();
  const limit = bodyLimit({
    maxSize: maxBody,
    onError: (c) => c.json({ error: 'too_large', message: `body over ${maxBody} bytes` }, 413),
  });

  const signed = async (
    c: Context<AppEnv>,
  ): Promise<{ response: Response } | { userId: string; matched: SigningSecret['name'] }> => {
    const type = c.req.header('content-type') ?? '';
    if (!/^(application\/x-www-form-urlencoded|multipart\/form-data)/i.test(type)) {
      return {
        response: c.json(
          { error: 'unsupported_media_type', message: 'send a form with the field signed_request' },
          415,
        ),
      };
    }
    let form: Record<string, unknown>;
    try {
      form = await c.req.parseBody();
    } catch {
      // A multipart body without its boundary, or one that does not follow it.
      return {
        response: c.json(
          { error: 'bad_request', message: 'the form could not be read (multipart needs its boundary)' },
          400,
        ),
      };
    }
    const value = form.signed_request;
    const check = await verifySignedRequest(typeof value === 'string' ? value : null, deps.secrets);
    if (!check.ok) {
      c.get('log')?.warn('meta callback refused', { path: c.req.path, reason: check.reason });
      const status = check.reason === 'mismatch' ? 401 : check.reason === 'no_secret_configured' ? 503 : 400;
      const message =
        check.reason === 'no_secret_configured'
          ? 'set META_APP_SECRET or INSTAGRAM_APP_SECRET'
          : check.reason === 'mismatch'
            ? 'signed_request signature does not match the app secret'
            : check.reason === 'expired'
              ? 'signed_request is expired: its issued_at is missing, over an hour old or in the future (a replay?)'
              : `signed_request is ${check.reason.replace(/_/g, ' ')}`;
      return { response: c.json({ error: 'invalid_signed_request', message }, status) };
    }
    return { userId: check.payload.user_id, matched: check.matched };
  };

  app.post('/data-deletion', limit, async (c) => {
    const s = await signed(c);
    if ('response' in s) return s.response;
    const result = await deps.audit.eraseSubject({
      userId: s.userId,
      kind: 'data_deletion',
      requestedBy: `meta:${s.matched}`,
    });
    c.get('log')?.info('data deletion done', {
      confirmationCode: result.confirmationCode,
      counts: result.counts,
    });
    return c.json({
      url: `${deps.publicUrl}/meta/data-deletion/status/${result.confirmationCode}`,
      confirmation_code: result.confirmationCode,
    });
  });

  app.get('/data-deletion/status/:code', async (c) => {
    const status = await deps.audit.erasureStatus(c.req.param('code'));
    if (!status)
      return c.json(
        { error: 'not_found', message: 'no data-deletion request with this confirmation code' },
        404,
      );
    const sentence =
      status.status === 'done'
        ? `Your data was deleted on ${status.completedAt}: comment text, usernames and ids were erased from modbot's records.`
        : status.status === 'pending'
          ? 'Your data-deletion request is being processed.'
          : 'Your data-deletion request failed and will be retried by the operator.';
    if ((c.req.header('accept') ?? '').includes('text/html')) {
      return c.html(
        `<!doctype html><meta charset="utf-8"><title>Data deletion ${status.confirmationCode}</title><h1>Data deletion request ${status.confirmationCode}</h1><p>${sentence}</p>`,
      );
    }
    return c.json({
      confirmation_code: status.confirmationCode,
      status: status.status,
      requested_at: status.requestedAt,
      completed_at: status.completedAt,
      message: sentence,
    });
  });

  app.post('/deauthorize', limit, async (c) => {
    const s = await signed(c);
    if ('response' in s) return s.response;
    const result = await deps.audit.disconnectAccount(
      s.userId,
      'deauthorized: the user removed the app (Meta callback)',
    );
    c.get('log')?.info('deauthorized', { found: result.found, dismissedActions: result.dismissedActions });
    return c.json({ ok: true, account_found: result.found });
  });

  return app;
}
