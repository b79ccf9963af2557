/**
 * Hostile input to the admin API and Meta's callbacks is answered 4xx with a message, never 500:
 * text searches that overflow Postgres's tsquery parser, times outside its date range, malformed
 * forms. Each case goes through the whole app to the database (PGlite, or Postgres with
 * DATABASE_URL).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkReadiness } from '../../src/db/repos/readiness.js';
import { createLogger } from '../../src/log.js';
import { openTestDatabase } from '../support/db.js';
import { startTestRuntime } from '../support/runtime.js';

const ADMIN = 'admin-token-0123456789abcdef';
const lines: string[] = [];
let rt: Awaited<ReturnType<typeof startTestRuntime>>;
beforeAll(async () => {
  rt = await startTestRuntime({
    env: { ADMIN_TOKEN: ADMIN },
    logger: createLogger({ level: 'warn', write: (l) => lines.push(l) }),
  });
});
afterAll(() => rt.close());

const api = (path: string) => rt.app.request(path, { headers: { authorization: `Bearer ${ADMIN}` } });

const searches = [
  '-'.repeat(64),
  `${'-'.repeat(64)}a`,
  `${'- '.repeat(64)}a`,
  `${'-!'.repeat(64)}a`,
  `${'a-'.repeat(90)}a`,
  `${'-"'.repeat(64)}a`,
  `${'-a '.repeat(60)}`,
  '"unterminated',
  "o'neil & | ! <-> :* ()",
  '\\\\\\',
];
const times = [
  '999999d',
  '0000-01-01',
  '9999-12-31T23:59:59Z',
  '275760-09-13',
  '-000001-01-01',
  '99999w',
  '2026-13-45',
  '1969-12-31',
];

describe('admin API fuzz', () => {
  it.each(searches)('q=%s is answered 200 (searched) or 400, never 500', async (q) => {
    for (const path of ['/api/decisions', '/api/stats']) {
      const res = await api(`${path}?q=${encodeURIComponent(q)}`);
      expect([200, 400], `${path} ${q}: ${await res.clone().text()}`).toContain(res.status);
    }
  });

  it.each(times)('since/until=%s is answered 200 or 400 with the parameter named, never 500', async (t) => {
    for (const key of ['since', 'until']) {
      for (const path of ['/api/decisions', '/api/stats', '/api/review-queue']) {
        const res = await api(`${path}?${key}=${encodeURIComponent(t)}`);
        const body = (await res.json()) as { message?: string };
        expect([200, 400], `${path} ${key}=${t}: ${JSON.stringify(body)}`).toContain(res.status);
        if (res.status === 400) expect(body.message).toContain(key);
      }
    }
  });

  const others: [string, string, string | undefined][] = [
    ['GET', '/api/decisions?cursor=not-a-cursor', undefined],
    ['GET', '/api/decisions?cursor=%00%ff', undefined],
    ['GET', '/api/decisions?limit=-1', undefined],
    ['GET', '/api/decisions?limit=1e9', undefined],
    ['GET', '/api/decisions?minScore=NaN&classifier=builtin', undefined],
    ['GET', `/api/decisions/${'9'.repeat(5000)}`, undefined],
    ['GET', '/api/decisions/%00', undefined],
    ['GET', '/api/stats?by=nothing', undefined],
    ['GET', `/api/decisions?q=${'%ED%A0%80'.repeat(50)}`, undefined],
    ['POST', '/api/actions', '{not json'],
    ['POST', '/api/actions', JSON.stringify({ action: 'hide', target: 'x'.repeat(10_000), moderator: 'a' })],
    ['POST', '/api/inbox/retry', '{"ids": [1e308]}'],
    ['POST', '/api/media/%00/lock', '{}'],
    ['POST', '/api/erasures', JSON.stringify({ userId: '\u0000', moderator: 'a' })],
  ];
  it.each(others)('%s %s is answered 4xx or 2xx, never 500', async (method, path, body) => {
    const res = await rt.app.request(path, {
      method,
      headers: { authorization: `Bearer ${ADMIN}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body } : {}),
    });
    expect(res.status, `${method} ${path}: ${await res.clone().text()}`).toBeLessThan(500);
  });

  it('a time outside the range says so', async () => {
    const res = await api('/api/decisions?since=0000-01-01');
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      error: 'invalid_request',
      message: 'since: out of range (1970-01-01 to 9999-12-31)',
    });
  });
});

describe('Meta callbacks fuzz', () => {
  const forms: [string, string, string][] = [
    ['multipart without boundary', 'multipart/form-data', 'signed_request=x'],
    ['multipart with a boundary the body does not follow', 'multipart/form-data; boundary=zz', 'garbage'],
    ['multipart, empty boundary', 'multipart/form-data; boundary=', '--\r\n'],
    ['urlencoded garbage', 'application/x-www-form-urlencoded', '%%%&&&==='],
    ['urlencoded, bad signed_request', 'application/x-www-form-urlencoded', 'signed_request=a.b.c'],
    ['urlencoded, empty', 'application/x-www-form-urlencoded', ''],
  ];
  for (const path of ['/meta/data-deletion', '/meta/deauthorize']) {
    it.each(forms)(`${path}: %s → 4xx`, async (_name, type, body) => {
      const res = await rt.app.request(path, { method: 'POST', headers: { 'content-type': type }, body });
      expect(res.status, await res.clone().text()).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
    });
  }

  it('no request in this file was logged as an internal error', () => {
    expect(lines.filter((l) => /"(api error|unhandled error)"/.test(l))).toEqual([]);
  });
});

describe('/readyz', () => {
  it('says what is wrong without the SQL or the driver error (it is unauthenticated)', async () => {
    const database = await openTestDatabase();
    await database.close();
    const ready = await checkReadiness(database.db);
    expect(ready.ok).toBe(false);
    if (ready.ok) return;
    expect(ready.reason).toMatch(/^database unreachable|^migrations not applied/);
    expect(ready.reason).not.toMatch(/select|drizzle|__drizzle_migrations|Failed query/i);
    // The whole error is kept for the log.
    expect(String((ready.detail as Error | undefined)?.message ?? '')).not.toBe('');
  });
});
