/**
 * Notices on Workers, inside workerd against a real Postgres: an invocation stores what it
 * raised, the cron minute sends it to NOTIFY_WEBHOOK_URL (a receiver in the Node test process).
 */
import {
  createExecutionContext,
  createScheduledController,
  env,
  SELF,
  waitOnExecutionContext,
} from 'cloudflare:test';
import { eq, sql } from 'drizzle-orm';
import { describe, expect, inject, it } from 'vitest';
import { openPostgres } from '../../src/db/postgres.js';
import { inbox } from '../../src/db/schema/inbox.js';
import worker, { type WorkerBindings } from '../../src/entry/worker.js';
import { signBody } from '../../src/webhook/verify.js';
import { commentPayload } from '../support/payloads.js';

const receiverUrl = inject('notifyReceiverUrl');
const bindings = {
  ...(env as unknown as WorkerBindings & { HYPERDRIVE: Hyperdrive }),
  NOTIFY_WEBHOOK_URL: receiverUrl,
  NOTIFY_INTERVAL_SECONDS: '1',
};

async function until<T>(read: () => Promise<T>, done: (v: T) => boolean, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await read();
    if (done(v) || Date.now() > end) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('notices on Workers', () => {
  it('dead letters found by the cron are stored, then sent to NOTIFY_WEBHOOK_URL', async () => {
    const { db } = openPostgres(bindings.HYPERDRIVE.connectionString, { max: 1, endOnClose: false });
    const body = commentPayload(['wk-notify-dead']);
    const res = await SELF.fetch('https://modbot.example/webhooks/instagram', {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-hub-signature-256': await signBody(body, 'test_app_secret'),
      },
      body,
    });
    expect(res.status).toBe(200);
    const rows = () => db.select().from(inbox).where(eq(inbox.commentId, 'wk-notify-dead'));
    await until(rows, (r) => r[0]?.status === 'done');
    await db.update(inbox).set({ status: 'dead' }).where(eq(inbox.commentId, 'wk-notify-dead'));

    // 12:01: the attention check (every 5 minutes, at minute 1) and the sender (every minute).
    const ctx = createExecutionContext();
    const at = Date.UTC(2026, 11, 5, 12, 1);
    await worker.scheduled(
      createScheduledController({ cron: '* * * * *', scheduledTime: at }),
      bindings,
      ctx,
    );
    await waitOnExecutionContext(ctx);

    const received = (await (await fetch(receiverUrl)).json()) as { body: { text: string } }[];
    const told = received.find((r) => r.body.text.includes('failed every attempt and wait as dead letters'));
    expect(told, JSON.stringify(received)).toBeDefined();
    const [left] = (await db.execute(
      sql`select count(*)::int as n from notices where sent_at is null`,
    )) as unknown as { n: number }[];
    expect(left?.n).toBe(0);
  });
});
