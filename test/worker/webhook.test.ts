/**
 * Runs inside workerd, against a real Postgres: the webhook contract shared with Node
 * (test/contract/webhook-endpoint.ts) through the Worker's fetch handler, then what only the
 * Worker does: its Queue producer/consumer, its cron sweep, its bundled rules.
 */
import {
  createExecutionContext,
  createMessageBatch,
  createScheduledController,
  env,
  getQueueResult,
  SELF,
  waitOnExecutionContext,
} from 'cloudflare:test';
import { eq, sql } from 'drizzle-orm';
import { beforeEach, describe, expect, it } from 'vitest';
import { openPostgres } from '../../src/db/postgres.js';
import { decisions } from '../../src/db/schema/decisions.js';
import { inbox } from '../../src/db/schema/inbox.js';
import { ruleSets } from '../../src/db/schema/rule-sets.js';
import worker, { type InboxMessage, type WorkerBindings } from '../../src/entry/worker.js';
import { signBody } from '../../src/webhook/verify.js';
import { webhookEndpointContract } from '../contract/webhook-endpoint.js';
import { commentPayload } from '../support/payloads.js';

const bindings = env as unknown as WorkerBindings & { HYPERDRIVE: Hyperdrive };
// One connection per test (workerd ties a socket to the test that opened it, and sql.end() must
// not be called there), not one per query: polling would otherwise run the server out of them.
let testDb: ReturnType<typeof openPostgres> | null = null;
beforeEach(() => {
  testDb = openPostgres(bindings.HYPERDRIVE.connectionString, { max: 1, endOnClose: false });
});
const db = () => {
  if (!testDb) throw new Error('no test database connection');
  return testDb.db;
};

/** One comment, as Meta sends it. */
const payload = (commentId: string, text?: string) => commentPayload([commentId], text ? { text } : {});

const post = async (body: string, secret: string | null = 'test_app_secret') =>
  SELF.fetch('https://modbot.example/webhooks/instagram', {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(secret ? { 'x-hub-signature-256': await signBody(body, secret) } : {}),
    },
    body,
  });

const rowsFor = (commentId: string) => db().select().from(inbox).where(eq(inbox.commentId, commentId));

async function until<T>(read: () => Promise<T>, done: (v: T) => boolean, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await read();
    if (done(v) || Date.now() > end) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('webhook endpoint contract (workerd)', () => {
  webhookEndpointContract({
    request: (path, init) => SELF.fetch(`https://modbot.example${path}`, init),
    db,
    // As bound in vitest.worker.config.ts.
    metaSecret: 'test_app_secret',
    instagramSecret: 'ig_secret',
    verifyToken: 'verify-me-please',
    maxBodyBytes: 1_048_576,
    // The queue consumer picks up each stored row at once.
    processesInbox: true,
  });
});

describe('the Worker around the webhook (queue, cron, bundled rules)', () => {
  it('stores a signed delivery, then the queue consumer processes it', async () => {
    const res = await post(payload('wk-1', 'caf\\u00e9 \\ud83d\\ude0d'));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ new: 1 });
    const rows = await until(
      () => rowsFor('wk-1'),
      (r) => r[0]?.status === 'done',
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ status: 'done', attempts: 1 });
  });

  it('the queue consumer acks rows already done and processes due ones', async () => {
    await post(payload('wk-q'));
    const [row] = await until(
      () => rowsFor('wk-q'),
      (r) => r[0]?.status === 'done',
    );
    const batch = createMessageBatch<InboxMessage>('modbot-inbox', [
      { id: 'm1', timestamp: new Date(), attempts: 1, body: { inboxId: row?.id ?? 0 } },
    ]);
    const ctx = createExecutionContext();
    await worker.queue(batch, bindings, ctx);
    const result = await getQueueResult(batch, ctx);
    expect(result.explicitAcks).toEqual(['m1']);
    expect((await rowsFor('wk-q'))[0]).toMatchObject({ status: 'done', attempts: 1 });
  });

  it('the cron sweep re-dispatches a row whose lease expired', async () => {
    await post(payload('wk-lease'));
    const [row] = await until(
      () => rowsFor('wk-lease'),
      (r) => r[0]?.status === 'done',
    );
    // Pretend a consumer claimed it and died.
    await db().execute(
      sql`update inbox set status = 'processing', lease_until = now() - interval '1 second', claim_token = gen_random_uuid() where id = ${row?.id}`,
    );
    const ctx = createExecutionContext();
    await worker.scheduled(createScheduledController({ cron: '* * * * *' }), bindings, ctx);
    await waitOnExecutionContext(ctx);
    const after = await until(
      () => rowsFor('wk-lease'),
      (r) => r[0]?.status === 'done',
    );
    expect(after[0]).toMatchObject({ status: 'done', attempts: 2 });
  });

  it('moderates with the bundled rules and records the decision with its rule set', async () => {
    await post(payload('wk-scam', 'I invested $3,000 and got $32,200 thanks to @finance.with.ava_ DM her'));
    const found = await until(
      () => db().select().from(decisions).where(eq(decisions.commentId, 'wk-scam')),
      (r) => r.length > 0,
    );
    expect(found).toHaveLength(1);
    expect(found[0]?.action).toMatch(/hide|delete/);
    expect(found[0]?.firedRules.length).toBeGreaterThan(0);
    const [set] = await db()
      .select()
      .from(ruleSets)
      .where(eq(ruleSets.hash, found[0]?.ruleSetHash ?? ''));
    expect(set?.files.length).toBeGreaterThan(0);
  });
});
