/**
 * Console sign-in: a token (ADMIN_TOKEN, signing in as "admin", or one of MODERATOR_TOKENS, as
 * its name) is exchanged for a session cookie. The cookie is stateless, `<payload>.<hmac>`, so a
 * session survives restarts and works across Workers isolates without a table:
 * - the HMAC key is derived from the configured tokens, so changing or removing a token ends
 *   every session signed with the old set;
 * - the payload holds the moderator's name, the expiry and a random session id;
 * - the CSRF token of a session is HMAC(key, "csrf" + session id): every form carries it, and a
 *   POST without the right one is refused (SameSite=Strict already keeps other sites' requests
 *   cookie-less; the token is the second lock).
 * Comparisons go through crypto.subtle.verify (constant time).
 */
import { base64UrlDecode, base64UrlEncode } from '../../audit/signed-request.js';

export interface ConsoleAuthConfig {
  /** ADMIN_TOKEN: signs in as "admin". */
  readonly adminToken: string | undefined;
  /** MODERATOR_TOKENS: each moderator's own token; the audit records their name. */
  readonly moderators: readonly { readonly name: string; readonly token: string }[];
  /** CONSOLE_SESSION_HOURS. */
  readonly sessionHours: number;
}

export interface Session {
  readonly moderator: string;
  readonly expiresAt: Date;
  readonly id: string;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function consoleSignInEnabled(config: ConsoleAuthConfig): boolean {
  return config.adminToken !== undefined || config.moderators.length > 0;
}

export function createSessions(config: ConsoleAuthConfig, now: () => Date = () => new Date()) {
  const accounts = [
    ...(config.adminToken ? [{ name: 'admin', token: config.adminToken }] : []),
    ...config.moderators,
  ];
  const key = (async () => {
    // Derived from every token: rotate one and the sessions signed before it stop working.
    const material = await crypto.subtle.digest(
      'SHA-256',
      encoder.encode(
        ['modbot-console-session-v1', ...accounts.map((a) => `${a.name}\0${a.token}`)].join('\n'),
      ),
    );
    return crypto.subtle.importKey('raw', material, { name: 'HMAC', hash: 'SHA-256' }, false, [
      'sign',
      'verify',
    ]);
  })();
  const tokenDigests = (async () => {
    const k = await key;
    return Promise.all(
      accounts.map(async (a) => ({
        name: a.name,
        digest: await crypto.subtle.sign('HMAC', k, encoder.encode(`token\0${a.token}`)),
      })),
    );
  })();

  const sign = async (text: string) =>
    base64UrlEncode(new Uint8Array(await crypto.subtle.sign('HMAC', await key, encoder.encode(text))));
  const verify = async (text: string, signature: string) => {
    const bytes = base64UrlDecode(signature);
    if (!bytes) return false;
    return crypto.subtle.verify('HMAC', await key, bytes, encoder.encode(text));
  };

  return {
    /** The moderator a token belongs to, or null. Every configured token is checked (no early exit). */
    async nameForToken(presented: string): Promise<string | null> {
      if (presented.length === 0 || presented.length > 512) return null;
      const k = await key;
      let found: string | null = null;
      for (const { name, digest } of await tokenDigests) {
        const ok = await crypto.subtle.verify('HMAC', k, digest, encoder.encode(`token\0${presented}`));
        if (ok && found === null) found = name;
      }
      return found;
    },

    /** A new session for `moderator`: the cookie value and when it ends. */
    async issue(moderator: string): Promise<{ cookie: string; session: Session }> {
      const expiresAt = new Date(now().getTime() + config.sessionHours * 3_600_000);
      const id = base64UrlEncode(crypto.getRandomValues(new Uint8Array(16)));
      const payload = base64UrlEncode(
        encoder.encode(JSON.stringify({ m: moderator, e: expiresAt.getTime(), i: id })),
      );
      return { cookie: `${payload}.${await sign(payload)}`, session: { moderator, expiresAt, id } };
    },

    /** The session in a cookie value, or null when it is forged, malformed or expired. */
    async read(cookie: string | undefined): Promise<Session | null> {
      if (!cookie || cookie.length > 1024) return null;
      const [payload, signature, extra] = cookie.split('.');
      if (!payload || !signature || extra !== undefined) return null;
      if (!(await verify(payload, signature))) return null;
      try {
        const bytes = base64UrlDecode(payload);
        if (!bytes) return null;
        const p = JSON.parse(decoder.decode(bytes)) as { m?: unknown; e?: unknown; i?: unknown };
        if (typeof p.m !== 'string' || typeof p.e !== 'number' || typeof p.i !== 'string') return null;
        if (p.e <= now().getTime()) return null;
        // A moderator removed from the configuration changes the key, so this also holds.
        return { moderator: p.m, expiresAt: new Date(p.e), id: p.i };
      } catch {
        return null;
      }
    },

    csrfToken: (session: Session) => sign(`csrf\0${session.id}`),
    checkCsrf: async (session: Session, presented: unknown) =>
      typeof presented === 'string' && presented.length < 200 && verify(`csrf\0${session.id}`, presented),
  };
}

export type Sessions = ReturnType<typeof createSessions>;
