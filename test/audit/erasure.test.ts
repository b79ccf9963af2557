/**
 * Meta's data-deletion and deauthorize callbacks, and retention: after signed webhooks are
 * moderated (dry run: decisions, planned replies, inbox events, raw deliveries), a correctly
 * signed deletion request erases that person's text and identifiers from every table, leaving
 * other people's comments alone; retention redacts old text and keeps the counts.
 */
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringifyDeep, subjectHash } from '../../src/audit/erase-subject.js';
import { parseAuditFilter } from '../../src/audit/filters.js';
import { auditStats, getDecision } from '../../src/audit/query.js';
import { runRetention } from '../../src/audit/retention.js';
import { base64UrlEncode, signRequest, verifySignedRequest } from '../../src/audit/signed-request.js';
import { rowsOf } from '../../src/db/client.js';
import { accounts } from '../../src/db/schema/accounts.js';
import { actions } from '../../src/db/schema/actions.js';
import { decisions } from '../../src/db/schema/decisions.js';
import { deliveries } from '../../src/db/schema/deliveries.js';
import { erasures } from '../../src/db/schema/erasures.js';
import { inbox } from '../../src/db/schema/inbox.js';
import { loadRuleSet, type RuleSet, sha256Hex } from '../../src/moderation/index.js';
import { IG_SECRET, META_SECRET, startTestRuntime } from '../support/runtime.js';

const rulesYaml = `
- id: thanks-reply
  reason: Say thanks to questions about the shop
  when:
    text contains any: ["where can i buy"]
  action: reply
  reply: "Hi @{{author}}, see the link in our bio!"
- id: scam-hide
  reason: Investment scam
  when:
    text contains any: [invested]
  action: hide
`;

const ACCOUNT = '17841400000000001';
const ERASE_ID = '6000000000000777';
const ERASE_NAME = 'private.person_77';
const ERASE_TEXT = 'where can i buy the xyzzy-plugh lamp';
const KEEP_ID = '6000000000000888';
const KEEP_TEXT = 'I invested in the quux-frobnitz fund';

let rt: Awaited<ReturnType<typeof startTestRuntime>>;

function ruleSet(): RuleSet {
  const loaded = loadRuleSet([{ path: 'rules/test.yaml', content: rulesYaml }]);
  if (!loaded.ok) throw new Error(loaded.errors.map((e) => e.format()).join('\n'));
  return loaded.ruleSet;
}

/** Every row of every table as text: where a person's words could hide. */
async function wholeDatabase(): Promise<string> {
  const tables = rowsOf<{ name: string }>(
    await rt.database.db.execute(
      sql`select tablename as name from pg_tables where schemaname = 'public' and tablename not like '__drizzle%'`,
    ),
  );
  const parts: string[] = [];
  for (const t of tables) {
    const rows = rowsOf<{ row: string }>(
      await rt.database.db.execute(sql`select t::text as row from ${sql.identifier(t.name)} t`),
    );
    parts.push(...rows.map((r) => r.row));
  }
  return parts.join('\n');
}

beforeAll(async () => {
  const rules = ruleSet();
  rt = await startTestRuntime({
    rules: () => rules,
    env: {
      INBOX_WORKERS: '1',
      INBOX_POLL_MS: '50',
      ACTION_WORKERS: '1',
      PUBLIC_URL: 'https://modbot.example.com',
    },
  });
  // One delivery carrying both people's comments (Meta batches), then one more of theirs alone.
  const change = (id: string, text: string, from: string, username: string) => ({
    field: 'comments',
    value: {
      id,
      text,
      from: { id: from, username },
      media: { id: '18000000000000004', media_product_type: 'FEED' },
    },
  });
  const body = JSON.stringify({
    object: 'instagram',
    entry: [
      {
        id: ACCOUNT,
        time: Math.floor(Date.now() / 1000),
        changes: [
          change('17900000000000101', ERASE_TEXT, ERASE_ID, ERASE_NAME),
          change('17900000000000102', KEEP_TEXT, KEEP_ID, 'keeper'),
        ],
      },
    ],
  });
  expect((await rt.post(body)).status).toBe(200);
  const second = JSON.stringify({
    object: 'instagram',
    entry: [
      {
        id: ACCOUNT,
        time: Math.floor(Date.now() / 1000),
        changes: [change('17900000000000103', 'xyzzy-plugh again, where can i buy it', ERASE_ID, ERASE_NAME)],
      },
    ],
  });
  expect((await rt.post(second)).status).toBe(200);
  await rt.idle();
  // A connected account (after moderation: its made-up ciphertext is never decrypted).
  await rt.database.db.insert(accounts).values({
    id: ACCOUNT,
    username: 'brand',
    loginType: 'instagram',
    accessTokenEncrypted: 'c2VjcmV0LWNpcGhlcnRleHQ=',
  });
});
afterAll(() => rt.close());

const form = (fields: Record<string, string>, headers: Record<string, string> = {}) => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
  body: new URLSearchParams(fields).toString(),
});

describe('signed_request', () => {
  it('verifies with either app secret, pads base64url, refuses tampering', async () => {
    const payload = { algorithm: 'HMAC-SHA256', issued_at: Math.floor(Date.now() / 1000), user_id: '123' };
    const secrets = [
      { name: 'meta' as const, secret: META_SECRET },
      { name: 'instagram' as const, secret: IG_SECRET },
    ];
    expect(await verifySignedRequest(await signRequest(payload, META_SECRET), secrets)).toMatchObject({
      ok: true,
      matched: 'meta',
      payload: { user_id: '123' },
    });
    expect(await verifySignedRequest(await signRequest(payload, IG_SECRET), secrets)).toMatchObject({
      ok: true,
      matched: 'instagram',
    });
    expect(await verifySignedRequest(await signRequest(payload, 'other'), secrets)).toEqual({
      ok: false,
      reason: 'mismatch',
    });
    const [sig] = (await signRequest(payload, META_SECRET)).split('.');
    const forged = base64UrlEncode(new TextEncoder().encode(JSON.stringify({ ...payload, user_id: '999' })));
    expect(await verifySignedRequest(`${sig}.${forged}`, secrets)).toEqual({ ok: false, reason: 'mismatch' });
    expect(await verifySignedRequest('abc', secrets)).toEqual({ ok: false, reason: 'malformed' });
    expect(await verifySignedRequest('', secrets)).toEqual({ ok: false, reason: 'missing' });
    expect(
      await verifySignedRequest(await signRequest({ ...payload, algorithm: 'none' }, META_SECRET), secrets),
    ).toEqual({ ok: false, reason: 'unsupported_algorithm' });
    expect(await verifySignedRequest(await signRequest(payload, META_SECRET), [])).toEqual({
      ok: false,
      reason: 'no_secret_configured',
    });
  });

  it('refuses a replay: issued_at missing, over an hour old, or in the future', async () => {
    const secrets = [{ name: 'meta' as const, secret: META_SECRET }];
    const now = new Date('2026-12-05T12:00:00Z');
    const at = (secondsAgo: number | null) =>
      signRequest(
        {
          algorithm: 'HMAC-SHA256',
          user_id: '123',
          ...(secondsAgo === null ? {} : { issued_at: now.getTime() / 1000 - secondsAgo }),
        },
        META_SECRET,
      );
    expect((await verifySignedRequest(await at(3500), secrets, now)).ok).toBe(true);
    expect((await verifySignedRequest(await at(-60), secrets, now)).ok).toBe(true);
    for (const stale of [3700, 86_400 * 30, -3600, null])
      expect(await verifySignedRequest(await at(stale), secrets, now), String(stale)).toEqual({
        ok: false,
        reason: 'expired',
      });
    const old = await signRequest(
      { algorithm: 'HMAC-SHA256', user_id: ERASE_ID, issued_at: 1767225600 },
      META_SECRET,
    );
    const res = await rt.app.request('/meta/data-deletion', form({ signed_request: old }));
    expect(res.status).toBe(400);
    expect(((await res.json()) as { message: string }).message).toMatch(/expired.*replay/);
    expect(await wholeDatabase()).toContain('xyzzy-plugh');
  });

  it('the callbacks refuse unsigned, badly signed and malformed requests', async () => {
    const signed = await signRequest({ algorithm: 'HMAC-SHA256', user_id: ERASE_ID }, 'wrong-secret');
    expect((await rt.app.request('/meta/data-deletion', form({ signed_request: signed }))).status).toBe(401);
    expect((await rt.app.request('/meta/deauthorize', form({ signed_request: signed }))).status).toBe(401);
    expect((await rt.app.request('/meta/data-deletion', form({}))).status).toBe(400);
    expect((await rt.app.request('/meta/data-deletion', form({ signed_request: 'x.y.z' }))).status).toBe(400);
    expect(
      (
        await rt.app.request('/meta/data-deletion', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{}',
        })
      ).status,
    ).toBe(415);
    // Nothing was erased by any of these.
    expect(await wholeDatabase()).toContain('xyzzy-plugh');
    expect((await rt.app.request('/meta/data-deletion/status/NOSUCHCODE1')).status).toBe(404);
    expect((await rt.app.request("/meta/data-deletion/status/'%20or%201=1")).status).toBe(404);
  });
});

describe('data deletion', () => {
  it('erases that person everywhere, keeps everyone else, and reports its status', async () => {
    const before = await wholeDatabase();
    expect(before).toContain('xyzzy-plugh');
    expect(before).toContain(ERASE_NAME);
    expect(before).toContain(ERASE_ID);
    const [planned] = await rt.database.db
      .select()
      .from(actions)
      .where(eq(actions.commentId, '17900000000000101'));
    expect(planned?.message).toContain(ERASE_NAME);
    // The builtin model's explanation quotes the comment's words (features): it goes too.
    const explained = [
      {
        classifier: 'builtin',
        question: null,
        result: { scores: { spam: 0.9 }, contributions: [{ feature: 'w:xyzzy-plugh', weight: 1.2 }] },
        error: null,
      },
    ];
    await rt.database.db
      .update(decisions)
      .set({ detail: sql`jsonb_set(detail, '{classifierCalls}', ${JSON.stringify(explained)}::jsonb)` })
      .where(eq(decisions.commentId, '17900000000000101'));
    expect(await wholeDatabase()).toContain('w:xyzzy-plugh');

    const res = await rt.app.request(
      '/meta/data-deletion',
      form(
        {
          signed_request: await signRequest(
            { algorithm: 'HMAC-SHA256', issued_at: Math.floor(Date.now() / 1000), user_id: ERASE_ID },
            IG_SECRET,
          ),
        },
        // A forged Host header must not reach the status URL given to Meta.
        { host: 'evil.example' },
      ),
    );
    expect(res.status).toBe(200);
    const answer = (await res.json()) as { url: string; confirmation_code: string };
    expect(answer.confirmation_code).toMatch(/^[A-Z0-9]{16}$/);
    expect(answer.url).toBe(
      `https://modbot.example.com/meta/data-deletion/status/${answer.confirmation_code}`,
    );

    const after = await wholeDatabase();
    for (const trace of ['xyzzy-plugh', ERASE_NAME, ERASE_ID, ERASE_TEXT]) expect(after).not.toContain(trace);
    expect(after).toMatch(/spam"+: 0\.9/); // the score stays: counts and stats still add up
    expect(after).toContain('quux-frobnitz');
    expect(after).toContain(KEEP_ID);

    // The decisions remain (counts, rules, actions) as tombstones, marked.
    const rows = await rt.database.db
      .select()
      .from(decisions)
      .where(eq(decisions.commentId, '17900000000000101'));
    expect(rows[0]).toMatchObject({
      text: null,
      authorId: null,
      authorUsername: null,
      decidingRule: 'thanks-reply',
      action: 'reply',
    });
    expect(rows[0]?.redactedAt).toBeInstanceOf(Date);
    const shown = await getDecision(rt.database.db, '17900000000000101');
    expect(shown?.redactedAt).toBeTruthy();
    const delivered = await rt.database.db.select({ body: deliveries.body }).from(deliveries);
    expect(delivered.some((d) => d.body.includes('quux-frobnitz') && d.body.includes('[erased]'))).toBe(true);

    // The erasure record keeps a keyed hash of the id, not the id and not its plain SHA-256.
    const [kept] = await rt.database.db
      .select({ subjectHash: erasures.subjectHash })
      .from(erasures)
      .where(eq(erasures.confirmationCode, answer.confirmation_code));
    expect(kept?.subjectHash).toBe(await subjectHash(ERASE_ID, META_SECRET));
    expect(kept?.subjectHash).toMatch(/^hmac-sha256:[0-9a-f]{64}$/);
    expect(kept?.subjectHash).not.toContain(sha256Hex(ERASE_ID));
    expect(await subjectHash(ERASE_ID, 'another-secret-123')).not.toBe(kept?.subjectHash);

    const status = await rt.app.request(new URL(answer.url).pathname);
    expect(status.status).toBe(200);
    expect(await status.json()).toMatchObject({
      confirmation_code: answer.confirmation_code,
      status: 'done',
    });
    const html = await rt.app.request(new URL(answer.url).pathname, { headers: { accept: 'text/html' } });
    expect(await html.text()).toContain('Your data was deleted');
    const [record] = await rt.database.db
      .select()
      .from(erasures)
      .where(eq(erasures.confirmationCode, answer.confirmation_code));
    expect(record).toMatchObject({ kind: 'data_deletion', status: 'done', requestedBy: 'meta:instagram' });
    expect(record?.counts.decisions).toBe(2);
  });
});

describe('deauthorize', () => {
  it("drops the account's token, marks it disconnected and dismisses its pending actions", async () => {
    const res = await rt.app.request(
      '/meta/deauthorize',
      form({
        signed_request: await signRequest(
          { algorithm: 'HMAC-SHA256', user_id: ACCOUNT, issued_at: Math.floor(Date.now() / 1000) },
          META_SECRET,
        ),
      }),
    );
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true, account_found: true });
    const [account] = await rt.database.db.select().from(accounts).where(eq(accounts.id, ACCOUNT));
    expect(account).toMatchObject({ accessTokenEncrypted: null, status: 'disconnected' });
    const pending = await rt.database.db.select().from(actions).where(eq(actions.status, 'planned'));
    expect(pending).toEqual([]);
  });
});

describe('retention', () => {
  it('redacts text and names past the window, keeps counts and metadata, records the run', async () => {
    const db = rt.database.db;
    const statsBefore = await auditStats(db, 'rule', parseAuditFilter({ since: '365d' }));
    // Pretend it all happened 100 days ago (tests only: nothing in modbot moves a decision in time).
    await db.execute(sql`update decisions set created_at = now() - interval '100 days'`);
    await db.execute(sql`update inbox set created_at = now() - interval '100 days'`);
    await db.execute(sql`update deliveries set received_at = now() - interval '100 days'`);
    await db.execute(sql`update actions set created_at = now() - interval '100 days'`);
    const result = await runRetention(db, { days: 90, batchSize: 1 });
    expect(result.counts.decisions).toBe(1); // the other two were already erased
    expect(result.counts.deliveries).toBe(2);
    const all = await wholeDatabase();
    expect(all).not.toContain('quux-frobnitz');
    expect(all).not.toContain('keeper');
    expect(all).toContain(KEEP_ID); // ids and counts are kept
    const statsAfter = await auditStats(db, 'rule', parseAuditFilter({ since: '365d' }));
    expect(statsAfter.rows).toEqual(statsBefore.rows);
    const again = await runRetention(db, { days: 90 });
    expect(again.counts).toEqual({ decisions: 0, actions: 0, inbox: 0, deliveries: 0 });
    const runs = await db.select().from(erasures).where(eq(erasures.kind, 'retention'));
    expect(runs.map((r) => r.status)).toEqual(['done', 'done']);
    const [row] = await db.select().from(inbox).limit(1);
    expect((row?.event as { redacted?: string } | undefined)?.redacted).toBeTruthy();
  });
});

describe('data deletion of a deeply nested delivery', () => {
  it('erases a person named 100,000 levels deep in a stored delivery (no stack overflow)', async () => {
    const DEEP_ID = '6000000000000999';
    const depth = 100_000;
    const nested = `${'['.repeat(depth)}{"note":"${DEEP_ID}","keep":"other"}${']'.repeat(depth)}`;
    const body = `{"object":"instagram","entry":[{"id":"${ACCOUNT}","time":${Math.floor(Date.now() / 1000)},"changes":[{"field":"comments","value":{"id":"17900000000000999","text":"deep thoughts","from":{"id":"${DEEP_ID}","username":"deep.diver"},"media":{"id":"18000000000000004"},"extra":${nested}}}]}]}`;
    expect((await rt.post(body)).status).toBe(200);
    await rt.idle();
    const res = await rt.app.request(
      '/meta/data-deletion',
      form({
        signed_request: await signRequest(
          { algorithm: 'HMAC-SHA256', issued_at: Math.floor(Date.now() / 1000), user_id: DEEP_ID },
          META_SECRET,
        ),
      }),
    );
    expect(res.status).toBe(200);
    const stored = await rt.database.db.select({ body: deliveries.body }).from(deliveries);
    const deep = stored.find((d) => d.body.includes('"note"'));
    expect(deep?.body).not.toContain(DEEP_ID);
    expect(deep?.body).not.toContain('deep.diver');
    expect(deep?.body).toContain('"keep":"other"');
    expect(deep?.body.length).toBeGreaterThan(2 * depth);
  });

  it('writes bodies back exactly as JSON.stringify would', () => {
    const samples = [
      { a: [1, 'two', null, true, { b: -0.5e-7, c: '\u2028"\\' }], '': {}, d: [] },
      [[], [[]], {}, 'x', 0],
      'plain',
    ];
    for (const v of samples) expect(stringifyDeep(v)).toBe(JSON.stringify(v));
  });
});
