/**
 * The admin API's bearer token check: every /api route needs `Authorization: Bearer <ADMIN_TOKEN>`;
 * without ADMIN_TOKEN configured the API answers 503 rather than being open.
 */
import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../context.js';

// Constant-time comparison through HMAC (both sides hashed with a per-process random key, then
// crypto.subtle.verify compares the digests in constant time, whatever the lengths).

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

/** 503 without a token configured, 401 without the right one, otherwise on to the route. */
export function requireAdminToken(adminToken: string | undefined): MiddlewareHandler<AppEnv> {
  const check = adminToken ? tokenChecker(adminToken) : null;
  return async (c, next) => {
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
  };
}
