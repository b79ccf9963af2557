/**
 * The webhook endpoint's contract, written once and run against each runtime: the Node app
 * (test/webhook/intake.test.ts) and the Worker inside workerd (test/worker/webhook.test.ts).
 */
import { count, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/client.js';
import { deliveries } from '../../src/db/schema/deliveries.js';
import { inbox } from '../../src/db/schema/inbox.js';
import { signBody } from '../../src/webhook/verify.js';
import { commentPayload } from '../support/payloads.js';

/** How the contract reaches one runtime. Read lazily, inside each test. */
export interface WebhookEndpointAdapter {
  /** Sends a request to the app; `path` starts with '/'. */
  request(path: string, init?: RequestInit): Promise<Response>;
  /** The database the app stores into. */
  db(): Database;
  /** The app's configuration. */
  readonly metaSecret: string;
  readonly instagramSecret: string;
  readonly verifyToken: string;
  /** WEBHOOK_MAX_BODY_BYTES; under 1,100,000 (a case sends that many bytes and expects 413). */
  readonly maxBodyBytes: number;
  /**
   * True when something processes inbox rows as soon as they are stored (the Workers queue
   * consumer), so their status right after intake is not necessarily `pending`.
   */
  readonly processesInbox: boolean;
}

export function webhookEndpointContract(adapter: WebhookEndpointAdapter): void {
  const path = '/webhooks/instagram';

  /** A POST signed with the Meta app secret unless told otherwise (null: no signature). */
  const post = async (
    body: string | Uint8Array<ArrayBuffer>,
    init: { secret?: string | null; headers?: Record<string, string> } = {},
  ) => {
    const headers: Record<string, string> = { 'content-type': 'application/json', ...init.headers };
    const secret = init.secret === undefined ? adapter.metaSecret : init.secret;
    if (secret !== null && headers['x-hub-signature-256'] === undefined)
      headers['x-hub-signature-256'] = await signBody(body, secret);
    return adapter.request(path, { method: 'POST', headers, body });
  };

  const counts = async () => {
    const db = adapter.db();
    const [d] = await db.select({ n: count() }).from(deliveries);
    const [i] = await db.select({ n: count() }).from(inbox);
    return { deliveries: Number(d?.n ?? 0), inbox: Number(i?.n ?? 0) };
  };

  describe('GET /webhooks/instagram (handshake)', () => {
    it('echoes the challenge as text/plain for the right token', async () => {
      const res = await adapter.request(
        `${path}?hub.mode=subscribe&hub.verify_token=${adapter.verifyToken}&hub.challenge=1158201444`,
      );
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
      expect(await res.text()).toBe('1158201444');
    });

    it('answers 403 for a wrong token or mode', async () => {
      expect(
        (await adapter.request(`${path}?hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=1`)).status,
      ).toBe(403);
      expect(
        (await adapter.request(`${path}?hub.mode=x&hub.verify_token=${adapter.verifyToken}&hub.challenge=1`))
          .status,
      ).toBe(403);
      expect((await adapter.request(path)).status).toBe(403);
    });
  });

  describe('POST /webhooks/instagram', () => {
    it('stores a signed delivery and its event before answering 200', async () => {
      const body = commentPayload(['c-store-1'], { text: 'caf\u00e9 😍' });
      const res = await post(body);
      expect(res.status).toBe(200);
      const answer = (await res.json()) as { deliveryId: string; new: number };
      expect(answer.new).toBe(1);
      const [stored] = await adapter
        .db()
        .select()
        .from(deliveries)
        .where(eq(deliveries.id, answer.deliveryId));
      expect(stored?.body).toBe(body);
      expect(stored?.signedWith).toBe('meta');
      const [row] = await adapter
        .db()
        .select()
        .from(inbox)
        .where(eq(inbox.dedupeKey, '17841400000000001:comments:c-store-1'));
      expect(row).toMatchObject({
        status: adapter.processesInbox ? expect.any(String) : 'pending',
        kind: 'comment',
        commentId: 'c-store-1',
        deliveryId: answer.deliveryId,
      });
    });

    it('accepts deliveries signed with the Instagram app secret and records it', async () => {
      const res = await post(commentPayload(['c-ig-1']), { secret: adapter.instagramSecret });
      expect(res.status).toBe(200);
      const { deliveryId } = (await res.json()) as { deliveryId: string };
      const [stored] = await adapter.db().select().from(deliveries).where(eq(deliveries.id, deliveryId));
      expect(stored?.signedWith).toBe('instagram');
    });

    it('makes one inbox row for the same delivery sent three times', async () => {
      const body = commentPayload(['c-dup-1']);
      const answers = [];
      for (let i = 0; i < 3; i++)
        answers.push((await (await post(body)).json()) as { new: number; duplicates: number });
      expect(answers.map((a) => [a.new, a.duplicates])).toEqual([
        [1, 0],
        [0, 1],
        [0, 1],
      ]);
      const rows = await adapter.db().select().from(inbox).where(eq(inbox.commentId, 'c-dup-1'));
      expect(rows).toHaveLength(1);
    });

    it('dedupes concurrent duplicates', async () => {
      const body = commentPayload(['c-conc-1', 'c-conc-2']);
      const results = await Promise.all(Array.from({ length: 8 }, () => post(body)));
      expect(results.every((r) => r.status === 200)).toBe(true);
      const answers = (await Promise.all(results.map((r) => r.json()))) as { new: number }[];
      expect(answers.reduce((n, a) => n + a.new, 0)).toBe(2);
      const rows = await adapter.db().select().from(inbox).where(eq(inbox.mediaId, '18000000000000004'));
      expect(rows.filter((r) => r.commentId?.startsWith('c-conc-'))).toHaveLength(2);
    });

    it('acknowledges dashboard test events and marks them as tests, never to process', async () => {
      const res = await post(
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
      const [row] = await adapter.db().select().from(inbox).where(eq(inbox.dedupeKey, '0:comments:1234'));
      expect(row).toMatchObject({ isTest: true, status: 'skipped' });
    });

    it('stores and acknowledges well-signed deliveries with shapes it does not handle', async () => {
      const before = await counts();
      const res = await post(
        JSON.stringify({
          object: 'instagram',
          entry: [{ id: 'acc', messaging: [{ message: { text: 'dm' } }] }],
        }),
      );
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ events: 0, unhandled: 1 });
      const after = await counts();
      expect(after).toEqual({ deliveries: before.deliveries + 1, inbox: before.inbox });
    });
  });

  describe('rejections store nothing', () => {
    const valid = commentPayload(['never-stored']);
    const cases: [string, () => Promise<Response>, number, string][] = [
      ['missing signature', () => post(valid, { secret: null }), 401, 'invalid_signature'],
      ['wrong secret', () => post(valid, { secret: 'not-the-secret' }), 401, 'invalid_signature'],
      [
        'one byte changed after signing',
        async () =>
          post(valid.replace('great', 'greet'), {
            headers: { 'x-hub-signature-256': await signBody(valid, adapter.metaSecret) },
          }),
        401,
        'invalid_signature',
      ],
      [
        'malformed signature header',
        () => post(valid, { headers: { 'x-hub-signature-256': 'sha256=zz' } }),
        401,
        'invalid_signature',
      ],
      [
        'wrong content type',
        () => post(valid, { headers: { 'content-type': 'text/plain' } }),
        415,
        'unsupported_media_type',
      ],
      [
        'no content type',
        async () => adapter.request(path, { method: 'POST', body: valid }),
        415,
        'unsupported_media_type',
      ],
      ['too large (streamed, no length)', () => post('x'.repeat(1_100_000)), 413, 'payload_too_large'],
      [
        'one byte too large (streamed, no length)',
        () => post('x'.repeat(adapter.maxBodyBytes + 1)),
        413,
        'payload_too_large',
      ],
      [
        'too large (declared length)',
        () => post(valid, { headers: { 'content-length': '999999999' } }),
        413,
        'payload_too_large',
      ],
      ['signed but not JSON', () => post('{"object":"instagram","entry":['), 400, 'bad_request'],
      ['signed and not JSON at all', () => post('{not json'), 400, 'bad_request'],
      ['signed JSON but not an envelope', () => post('{"hello":"world"}'), 400, 'bad_request'],
      ['signed invalid UTF-8', () => post(new Uint8Array([0x7b, 0xc3, 0x28, 0x7d])), 400, 'bad_request'],
    ];
    for (const [name, send, status, error] of cases) {
      it(`${name} → ${status}`, async () => {
        const before = await counts();
        const res = await send();
        expect(res.status).toBe(status);
        expect(await res.json()).toMatchObject({ error });
        expect(await counts()).toEqual(before);
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
        const signed = await post(body);
        const unsigned = await post(body, { secret: null });
        expect(signed.status, body).toBeLessThan(500);
        expect(unsigned.status).toBe(401);
      }
    });
  });
}
