/**
 * The console's locks, tried over HTTP as an attacker would: no session, a forged or expired
 * cookie, a form without (or with another session's) CSRF token, a wrong token, an open
 * redirect; and the cookie's flags. Also: a moderator's action is recorded under their name.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSessions } from '../../src/http/console/session.js';
import { ACCOUNT, ADMIN, ALICE, BOB, type ConsoleWorld, rulesYaml, startConsoleWorld } from './setup.js';

let w: ConsoleWorld;
beforeAll(async () => {
  w = await startConsoleWorld();
});
afterAll(async () => {
  await w?.close();
});

const go = (path: string, init: RequestInit = {}) =>
  fetch(`${w.baseUrl}${path}`, { redirect: 'manual', ...init });
const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
const formHeaders = (cookie?: string) => ({
  'content-type': 'application/x-www-form-urlencoded',
  ...(cookie ? { cookie } : {}),
});

async function signIn(token: string, headers: Record<string, string> = {}) {
  const res = await go('/console/login', {
    method: 'POST',
    headers: { ...formHeaders(), ...headers },
    body: form({ token, next: '/console/queue' }),
  });
  const setCookie = res.headers.get('set-cookie') ?? '';
  return { res, setCookie, cookie: setCookie.split(';')[0] ?? '' };
}

async function csrfOf(cookie: string): Promise<string> {
  const html = await (await go('/console/rules', { headers: { cookie } })).text();
  const m = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!m?.[1]) throw new Error('no CSRF field on the page');
  return m[1];
}

describe('signing in', () => {
  it('GET / leads to the console, and the console to the sign-in page', async () => {
    const root = await go('/');
    expect(root.status).toBe(302);
    expect(root.headers.get('location')).toBe('/console');
    const consolePage = await go('/console/audit?rule=scam-hide');
    expect(consolePage.status).toBe(303);
    expect(consolePage.headers.get('location')).toBe(
      '/console/login?next=%2Fconsole%2Faudit%3Frule%3Dscam-hide',
    );
  });

  it('a moderator token gives an HttpOnly, SameSite=Strict session cookie, Secure behind https', async () => {
    const { res, setCookie } = await signIn(ALICE);
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/console/queue');
    expect(setCookie).toMatch(/^modbot_console=[^;]+/);
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/SameSite=Strict/i);
    expect(setCookie).toMatch(/Path=\/console/);
    expect(setCookie).not.toMatch(/Secure/i);
    const behindTls = await signIn(ALICE, { 'x-forwarded-proto': 'https' });
    expect(behindTls.setCookie).toMatch(/; Secure/i);
  });

  it('a wrong token is refused and gives no cookie; a redirect outside the console is not followed', async () => {
    const wrong = await signIn('not-a-token-at-all-000000');
    expect(wrong.res.headers.get('location')).toMatch(/^\/console\/login/);
    expect(wrong.setCookie).not.toMatch(/modbot_console=/);
    const res = await go('/console/login', {
      method: 'POST',
      headers: formHeaders(),
      body: form({ token: BOB, next: '//evil.example/x' }),
    });
    expect(res.headers.get('location')).toBe('/console');
  });

  it('a forged, altered or expired cookie is no session', async () => {
    const { cookie } = await signIn(ALICE);
    const [name, value] = cookie.split('=');
    const [payload, sig] = (value ?? '').split('.');
    // Claim to be someone else with the old signature.
    const forgedPayload = Buffer.from(
      JSON.stringify({ m: 'admin', e: Date.now() + 3_600_000, i: 'x' }),
    ).toString('base64url');
    for (const bad of [`${name}=${forgedPayload}.${sig}`, `${name}=${payload}.${sig}x`, `${name}=garbage`]) {
      const res = await go('/console', { headers: { cookie: bad } });
      expect(res.status).toBe(303);
      expect(res.headers.get('location')).toMatch(/^\/console\/login/);
    }
    // Signed with the right key but expired.
    const past = createSessions(
      {
        adminToken: ADMIN,
        moderators: [
          { name: 'alice', token: ALICE },
          { name: 'bob', token: BOB },
        ],
        sessionHours: 1,
      },
      () => new Date(Date.now() - 2 * 3_600_000),
    );
    const old = await past.issue('alice');
    const res = await go('/console', { headers: { cookie: `modbot_console=${old.cookie}` } });
    expect(res.status).toBe(303);
    // The same key signs a live session (so the refusal above was the expiry).
    const now = createSessions({
      adminToken: ADMIN,
      moderators: [
        { name: 'alice', token: ALICE },
        { name: 'bob', token: BOB },
      ],
      sessionHours: 1,
    });
    const live = await now.issue('alice');
    expect((await go('/console', { headers: { cookie: `modbot_console=${live.cookie}` } })).status).toBe(200);
  });
});

describe('forms', () => {
  it('without a session: 401, nothing done', async () => {
    const id = await w.comment('dm me about this', 'nosession.user');
    const res = await go('/console/act', {
      method: 'POST',
      headers: formHeaders(),
      body: form({ action: 'approve', target: id, _csrf: 'whatever' }),
    });
    expect(res.status).toBe(401);
    const q = await w.rt.app.request('/api/review-queue', { headers: { authorization: `Bearer ${ADMIN}` } });
    expect(((await q.json()) as { items: { commentId: string }[] }).items.map((i) => i.commentId)).toContain(
      id,
    );
  });

  it("without the CSRF token, or with another session's: 403, nothing done; with it: done as that moderator", async () => {
    const id = await w.comment('dm me please', 'csrf.user');
    const alice = (await signIn(ALICE)).cookie;
    const bob = (await signIn(BOB)).cookie;
    const bobsToken = await csrfOf(bob);
    for (const body of [
      { action: 'approve', target: id },
      { action: 'approve', target: id, _csrf: '' },
      { action: 'approve', target: id, _csrf: bobsToken },
    ]) {
      const res = await go('/console/act', { method: 'POST', headers: formHeaders(alice), body: form(body) });
      expect(res.status).toBe(403);
      expect(await res.text()).toContain('did not come from the console');
    }
    const before = (await (
      await w.rt.app.request(`/api/decisions/${id}`, { headers: { authorization: `Bearer ${ADMIN}` } })
    ).json()) as { actions: { type: string; status: string; actor: string }[] };
    // Still held, and no moderator has acted.
    expect(before.actions.filter((a) => a.type === 'review').map((a) => a.status)).toEqual(['held']);
    expect(before.actions.filter((a) => a.actor.startsWith('moderator:'))).toEqual([]);

    const ok = await go('/console/act', {
      method: 'POST',
      headers: { ...formHeaders(alice), accept: 'application/json' },
      body: form({ action: 'approve', target: id, _csrf: await csrfOf(alice) }),
    });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ ok: true, kind: 'approve' });
    await w.settle();
    const after = (await (
      await w.rt.app.request(`/api/decisions/${id}`, { headers: { authorization: `Bearer ${ADMIN}` } })
    ).json()) as { actions: { type: string; status: string; actor: string }[] };
    expect(after.actions).toContainEqual(
      expect.objectContaining({ type: 'review', actor: 'moderator:alice' }),
    );
  });

  it('sign-out needs the CSRF token, and clears the cookie', async () => {
    const alice = (await signIn(ALICE)).cookie;
    const refused = await go('/console/logout', { method: 'POST', headers: formHeaders(alice), body: '' });
    expect(refused.status).toBe(403);
    const out = await go('/console/logout', {
      method: 'POST',
      headers: formHeaders(alice),
      body: form({ _csrf: await csrfOf(alice) }),
    });
    expect(out.status).toBe(303);
    expect(out.headers.get('set-cookie')).toMatch(/modbot_console=;.*Max-Age=0/i);
  });

  it('pages carry a strict Content-Security-Policy, and no token reaches the log', async () => {
    const alice = (await signIn(ALICE)).cookie;
    const res = await go(`/console/accounts`, { headers: { cookie: alice } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(await res.text()).toContain(ACCOUNT);
    const all = w.logs.join('\n');
    for (const secret of [ADMIN, ALICE, BOB]) expect(all).not.toContain(secret);
  });
});

describe('rules page backtest', () => {
  it('a pasted or uploaded changed file shows the difference; without the CSRF token it is refused', async () => {
    const id = await w.comment('I invested two weekends in this garden', 'gardener');
    await w.comment('I invested in passive income, ask me', 'scammer');
    const alice = (await signIn(ALICE)).cookie;
    const narrowed = rulesYaml.replace('[invested, "passive income"]', '["passive income"]');

    const refused = await go('/console/rules/backtest', {
      method: 'POST',
      headers: formHeaders(alice),
      body: form({ path: 'rules/console.yaml', content: narrowed, since: '1h' }),
    });
    expect(refused.status).toBe(403);

    const pasted = await go('/console/rules/backtest', {
      method: 'POST',
      headers: formHeaders(alice),
      body: form({ path: 'rules/console.yaml', content: narrowed, since: '1h', _csrf: await csrfOf(alice) }),
    });
    expect(pasted.status).toBe(200);
    const html = await pasted.text();
    const report = /<pre data-backtest[^>]*>([\s\S]*?)<\/pre>/.exec(html)?.[1] ?? '';
    expect(report).toContain('rules/console.yaml replaced');
    expect(report).toMatch(/no longer\s+1\s+0\s+0\s+0/);
    expect(report).toContain(`comment ${id}`);

    // The same as an upload (multipart), the file's name standing in for the path.
    const upload = new FormData();
    upload.set('_csrf', await csrfOf(alice));
    upload.set('since', '1h');
    upload.set('upload', new File([narrowed], 'console.yaml', { type: 'application/yaml' }));
    const uploaded = await go('/console/rules/backtest', {
      method: 'POST',
      headers: { cookie: alice },
      body: upload,
    });
    expect(uploaded.status).toBe(200);
    expect(await uploaded.text()).toMatch(/no longer\s+1\s+0\s+0\s+0/);

    const broken = await go('/console/rules/backtest', {
      method: 'POST',
      headers: formHeaders(alice),
      body: form({
        path: 'rules/console.yaml',
        content: narrowed.replace('action: review', 'action: frobnicate'),
        _csrf: await csrfOf(alice),
      }),
    });
    expect(broken.status).toBe(200);
    expect(await broken.text()).toMatch(/does not load[\s\S]*rules\/console\.yaml:\d+:\d+/);

    const badSince = await go('/console/rules/backtest', {
      method: 'POST',
      headers: formHeaders(alice),
      body: form({
        path: 'rules/console.yaml',
        content: narrowed,
        since: 'soon',
        _csrf: await csrfOf(alice),
      }),
    });
    expect(badSince.status).toBe(400);
    expect(await badSince.text()).toContain('since: a relative time');
  });
});
