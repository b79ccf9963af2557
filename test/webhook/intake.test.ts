import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliveries } from '../../src/db/schema/deliveries.js';
import { inbox } from '../../src/db/schema/inbox.js';
import { signBody } from '../../src/webhook/verify.js';
import { commentPayload, IG_SECRET, startTestRuntime, VERIFY_TOKEN } from '../support/runtime.js';

let rt: Awaited<ReturnType<typeof startTestRuntime>>;
const queries: string[] = [];

beforeAll(async () => {
  rt = await startTestRuntime({
    env: { WEBHOOK_MAX_BODY_BYTES: '1048576' },
    onQuery: (q) => queries.push(q),
  });
});
afterAll(() => rt.close());

describe('GET /webhooks/instagram (handshake)', () => {
  it('echoes the challenge as text/plain for the right token', async () => {
    const res = await rt.app.request(
      `/webhooks/instagram?hub.mode=subscribe&hub.verify_token=${VERIFY_TOKEN}&hub.challenge=1158201444`,
    );
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await res.text()).toBe('1158201444');
  });

  it('answers 403 for a wrong token or mode', async () => {
    expect(
      (await rt.app.request('/webhooks/instagram?hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=1'))
        .status,
    ).toBe(403);
    expect(
      (
        await rt.app.request(
          `/webhooks/instagram?hub.mode=x&hub.verify_token=${VERIFY_TOKEN}&hub.challenge=1`,
        )
      ).status,
    ).toBe(403);
    expect((await rt.app.request('/webhooks/instagram')).status).toBe(403);
  });
});

describe('POST /webhooks/instagram', () => {
  it('stores a signed delivery and its event before answering 200', async () => {
    const body = commentPayload(['c-store-1'], { text: 'caf\u00e9 😍' });
    const res = await rt.post(body);
    expect(res.status).toBe(200);
    const answer = (await res.json()) as { deliveryId: string; new: number };
    expect(answer.new).toBe(1);
    const [stored] = await rt.database.db
      .select()
      .from(deliveries)
      .where(eq(deliveries.id, answer.deliveryId));
    expect(stored?.body).toBe(body);
    expect(stored?.signedWith).toBe('meta');
    const [row] = await rt.database.db
      .select()
      .from(inbox)
      .where(eq(inbox.dedupeKey, '17841400000000001:comments:c-store-1'));
    expect(row).toMatchObject({
      status: 'pending',
      kind: 'comment',
      commentId: 'c-store-1',
      deliveryId: answer.deliveryId,
    });
  });

  it('accepts deliveries signed with the Instagram app secret and records it', async () => {
    const res = await rt.post(commentPayload(['c-ig-1']), { secret: IG_SECRET });
    expect(res.status).toBe(200);
    const { deliveryId } = (await res.json()) as { deliveryId: string };
    const [stored] = await rt.database.db.select().from(deliveries).where(eq(deliveries.id, deliveryId));
    expect(stored?.signedWith).toBe('instagram');
  });

  it('makes one inbox row for the same delivery sent three times', async () => {
    const body = commentPayload(['c-dup-1']);
    const answers = [];
    for (let i = 0; i < 3; i++)
      answers.push((await (await rt.post(body)).json()) as { new: number; duplicates: number });
    expect(answers.map((a) => [a.new, a.duplicates])).toEqual([
      [1, 0],
      [0, 1],
      [0, 1],
    ]);
    const rows = await rt.database.db.select().from(inbox).where(eq(inbox.commentId, 'c-dup-1'));
    expect(rows).toHaveLength(1);
  });

  it('dedupes concurrent duplicates that share one group commit', async () => {
    const body = commentPayload(['c-conc-1', 'c-conc-2']);
    const results = await Promise.all(Array.from({ length: 8 }, () => rt.post(body)));
    expect(results.every((r) => r.status === 200)).toBe(true);
    const answers = (await Promise.all(results.map((r) => r.json()))) as { new: number }[];
    expect(answers.reduce((n, a) => n + a.new, 0)).toBe(2);
    const rows = await rt.database.db.select().from(inbox).where(eq(inbox.mediaId, '18000000000000004'));
    expect(rows.filter((r) => r.commentId?.startsWith('c-conc-'))).toHaveLength(2);
  });

  it('stores a 1,000-change batch in one statement (one round trip)', async () => {
    const ids = Array.from({ length: 1000 }, (_, i) => `batch-${i}`);
    queries.length = 0;
    const res = await rt.post(commentPayload(ids));
    expect(res.status).toBe(200);
    expect(((await res.json()) as { new: number }).new).toBe(1000);
    // One statement writes the delivery and all 1,000 inbox rows (the changes travel as JSON).
    const writes = queries.filter((q) => /\binsert into\b/i.test(q));
    expect(writes.map((q) => q.slice(0, 60))).toEqual([expect.stringMatching(/^\s*with stored_deliveries/)]);
    expect(writes[0]).toMatch(/insert into deliveries[\s\S]*insert into inbox/i);
  });

  it('acknowledges dashboard test events and marks them as tests, never to process', async () => {
    const res = await rt.post(
      JSON.stringify({
        object: 'instagram',
        entry: [
          {
            id: '0',
            time: 1,
            changes: [{ field: 'comments', value: { id: '1234', text: 'This is an example.' } }],
          },
        ],
      }),
    );
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ new: 0, tests: 1 });
    const [row] = await rt.database.db.select().from(inbox).where(eq(inbox.dedupeKey, '0:comments:1234'));
    expect(row).toMatchObject({ isTest: true, status: 'skipped' });
  });

  it('stores and acknowledges well-signed deliveries with shapes it does not handle', async () => {
    const before = await rt.counts();
    const res = await rt.post(
      JSON.stringify({
        object: 'instagram',
        entry: [{ id: 'acc', messaging: [{ message: { text: 'dm' } }] }],
      }),
    );
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ events: 0, unhandled: 1 });
    const after = await rt.counts();
    expect(after).toEqual({ deliveries: before.deliveries + 1, inbox: before.inbox });
  });
});

describe('rejections store nothing', () => {
  const valid = commentPayload(['never-stored']);
  const cases: [string, () => Promise<Response>, number, string][] = [
    ['missing signature', () => rt.post(valid, { secret: null }), 401, 'invalid_signature'],
    ['wrong secret', () => rt.post(valid, { secret: 'not-the-secret' }), 401, 'invalid_signature'],
    [
      'one byte changed after signing',
      async () =>
        rt.post(valid.replace('great', 'greet'), {
          headers: { 'x-hub-signature-256': await signBody(valid, 'test_app_secret') },
        }),
      401,
      'invalid_signature',
    ],
    [
      'malformed signature header',
      () => rt.post(valid, { headers: { 'x-hub-signature-256': 'sha256=zz' } }),
      401,
      'invalid_signature',
    ],
    [
      'wrong content type',
      () => rt.post(valid, { headers: { 'content-type': 'text/plain' } }),
      415,
      'unsupported_media_type',
    ],
    [
      'no content type',
      async () => rt.app.request('/webhooks/instagram', { method: 'POST', body: valid }),
      415,
      'unsupported_media_type',
    ],
    ['too large (streamed, no length)', () => rt.post('x'.repeat(1_100_000)), 413, 'payload_too_large'],
    [
      'too large (declared length)',
      () => rt.post(valid, { headers: { 'content-length': '999999999' } }),
      413,
      'payload_too_large',
    ],
    ['signed but not JSON', () => rt.post('{"object":"instagram","entry":['), 400, 'bad_request'],
    ['signed JSON but not an envelope', () => rt.post('{"hello":"world"}'), 400, 'bad_request'],
    ['signed invalid UTF-8', () => rt.post(new Uint8Array([0x7b, 0xc3, 0x28, 0x7d])), 400, 'bad_request'],
  ];
  for (const [name, send, status, error] of cases) {
    it(`${name} → ${status}`, async () => {
      const before = await rt.counts();
      const res = await send();
      expect(res.status).toBe(status);
      expect(await res.json()).toMatchObject({ error });
      expect(await rt.counts()).toEqual(before);
    });
  }

  it('never answers 500 to random, truncated or hostile input', async () => {
    const seeds = [
      '',
      'null',
      '[]',
      '[1,2]',
      '{"object":1,"entry":[]}',
      '{"object":"instagram","entry":[null,1,"x",[],{"id":{}},{"id":"1","changes":{}}]}',
      '{"object":"instagram","entry":[{"id":"1","changes":[{"field":"comments","value":{"id":[],"text":5,"from":"x","media":7}}]}]}',
      '{"object":"instagram","entry":[{"id":"1","time":"abc","field":"mentions","value":{"media_id":{"a":1}}}]}',
      '\u0000\u0001garbage',
      commentPayload(['t1']).slice(0, 50),
    ];
    let state = 42;
    const rand = () => {
      state = (state * 1103515245 + 12345) & 0x7fffffff;
      return state / 0x7fffffff;
    };
    const base = commentPayload(['fuzz']);
    for (let i = 0; i < 40; i++) {
      const cut = Math.floor(rand() * base.length);
      seeds.push(base.slice(0, cut) + base.slice(cut + 1 + Math.floor(rand() * 5)));
    }
    for (const body of seeds) {
      const signed = await rt.post(body);
      const unsigned = await rt.post(body, { secret: null });
      expect(signed.status, body).toBeLessThan(500);
      expect(unsigned.status).toBe(401);
    }
  });
});

describe('health', () => {
  it('/healthz and /readyz answer ok once migrated', async () => {
    expect(await (await rt.app.request('/healthz')).json()).toEqual({ ok: true });
    expect(await (await rt.app.request('/readyz')).json()).toEqual({ ok: true });
  });
});
