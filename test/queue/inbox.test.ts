import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inbox } from '../../src/db/schema/inbox.js';
import { silentLogger } from '../../src/log.js';
import { backoffMs } from '../../src/queue/backoff.js';
import { startWorkerPool } from '../../src/queue/node-worker.js';
import type { InboxItem } from '../../src/queue/ports.js';
import { inTurn, processClaimed } from '../../src/queue/process.js';
import { commentPayload, deliveryOf, startTestRuntime } from '../support/runtime.js';

let rt: Awaited<ReturnType<typeof startTestRuntime>>;
beforeAll(async () => {
  rt = await startTestRuntime();
});
afterAll(() => rt.close());

const rowOf = async (commentId: string) => {
  const [row] = await rt.database.db.select().from(inbox).where(eq(inbox.commentId, commentId));
  if (!row) throw new Error(`no inbox row for ${commentId}`);
  return row;
};
/** Moves a row's clock-dependent columns into the past, so the test need not sleep. */
const ageRow = (id: number, column: 'lease_until' | 'next_attempt_at') =>
  rt.database.db.execute(
    sql`update inbox set ${sql.raw(column)} = now() - interval '1 second' where id = ${id}`,
  );

describe('backoffMs', () => {
  it('grows exponentially with jitter and a cap', () => {
    expect(backoffMs(1, 1000, 60_000, () => 0)).toBe(500);
    expect(backoffMs(1, 1000, 60_000, () => 1)).toBe(1000);
    expect(backoffMs(4, 1000, 60_000, () => 1)).toBe(8000);
    expect(backoffMs(30, 1000, 60_000, () => 1)).toBe(60_000);
    const samples = new Set(Array.from({ length: 20 }, () => backoffMs(3)));
    expect(samples.size).toBeGreaterThan(1);
  });
});

describe('inbox claim, lease and retry', () => {
  it('two claimers never get the same row', async () => {
    await rt.post(commentPayload(['q-a1', 'q-a2', 'q-a3']));
    const [first, second] = await Promise.all([rt.repo.claim(2, 60), rt.repo.claim(2, 60)]);
    const ids = [...(first ?? []), ...(second ?? [])].map((i) => i.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBeGreaterThanOrEqual(3);
    for (const item of [...(first ?? []), ...(second ?? [])]) expect(await rt.repo.complete(item)).toBe(true);
  });

  it('reclaims an expired lease; the stale worker cannot complete it; the event is processed once', async () => {
    await rt.post(commentPayload(['q-lease']));
    const row = await rowOf('q-lease');
    const first = await rt.repo.claimById(row.id, 60);
    expect(first?.attempts).toBe(1);
    // The first worker "dies" holding the lease: nobody can claim it until the lease expires.
    expect(await rt.repo.claimById(row.id, 60)).toBeNull();
    await ageRow(row.id, 'lease_until');
    expect(await rt.repo.overdue(0, 100)).toContain(row.id);

    const handled: number[] = [];
    const pool = startWorkerPool(
      rt.repo,
      inTurn(async (item) => {
        handled.push(item.id);
        return { outcome: 'done' };
      }),
      { concurrency: 2, batchSize: 4, leaseSeconds: 60, maxAttempts: 5, pollMs: 10, logger: silentLogger },
    );
    await pool.idle();
    await pool.stop();
    expect(handled.filter((id) => id === row.id)).toEqual([row.id]);
    expect(await rowOf('q-lease')).toMatchObject({ status: 'done', attempts: 2 });
    // The original worker wakes up late: its claim token is stale.
    expect(await rt.repo.complete(first as InboxItem)).toBe(false);
  });

  it('retries with backoff, keeps the last error, and dead-letters after N attempts', async () => {
    await rt.post(commentPayload(['q-fail']));
    const row = await rowOf('q-fail');
    let calls = 0;
    const failing = async () => {
      calls++;
      throw new Error(`graph outage #${calls}`);
    };
    const opts = { maxAttempts: 3, logger: silentLogger, backoff: (n: number) => 60_000 * n };
    for (let attempt = 1; attempt <= 3; attempt++) {
      const item = await rt.repo.claimById(row.id, 60);
      expect(item?.attempts).toBe(attempt);
      const { outcome } = await processClaimed(rt.repo, failing, item as InboxItem, opts);
      const after = await rowOf('q-fail');
      expect(after.lastError).toBe(`Error: graph outage #${attempt}`);
      if (attempt < 3) {
        expect(outcome).toBe('retry');
        expect(after.status).toBe('pending');
        // Not due yet: backoff pushed it into the future.
        expect(after.nextAttemptAt.getTime()).toBeGreaterThan(Date.now() + 30_000);
        expect(await rt.repo.claimById(row.id, 60)).toBeNull();
        await ageRow(row.id, 'next_attempt_at');
      } else {
        expect(outcome).toBe('dead');
        expect(after.status).toBe('dead');
      }
    }
    expect(await rt.repo.claimById(row.id, 60)).toBeNull();
  });

  it('honours a handler asking to retry later or to give up', async () => {
    await rt.post(commentPayload(['q-later', 'q-never']));
    const later = await rt.repo.claimById((await rowOf('q-later')).id, 60);
    expect(
      await processClaimed(
        rt.repo,
        async () => ({ outcome: 'retry', error: 'throttled', retryInMs: 3_600_000 }),
        later as InboxItem,
        {
          maxAttempts: 5,
          logger: silentLogger,
        },
      ),
    ).toEqual({ outcome: 'retry', retryInMs: 3_600_000 });
    expect((await rowOf('q-later')).nextAttemptAt.getTime()).toBeGreaterThan(Date.now() + 3_000_000);
    const never = await rt.repo.claimById((await rowOf('q-never')).id, 60);
    expect(
      await processClaimed(
        rt.repo,
        async () => ({ outcome: 'dead', error: 'permission denied' }),
        never as InboxItem,
        {
          maxAttempts: 5,
          logger: silentLogger,
        },
      ),
    ).toEqual({ outcome: 'dead' });
    expect(await rowOf('q-never')).toMatchObject({
      status: 'dead',
      lastError: 'permission denied',
      attempts: 1,
    });
  });

  it('the worker pool processes new events after intake wakes it', async () => {
    const seen: string[] = [];
    const local = await startTestRuntime({
      env: { INBOX_WORKERS: '2', INBOX_POLL_MS: '60000' },
      handler: async (item) => {
        seen.push(item.event.commentId ?? '');
        return { outcome: 'done' };
      },
    });
    try {
      await local.post(commentPayload(['w-1', 'w-2', 'w-3']));
      await local.pool.idle();
      expect(seen.sort()).toEqual(['w-1', 'w-2', 'w-3']);
    } finally {
      await local.close();
    }
  });

  it('the intake hands new events to its workers claimed, in the same commit: no claim query', async () => {
    const statements: string[] = [];
    const seen: InboxItem[] = [];
    let bothHandled: () => void = () => {};
    const handledTwice = new Promise<void>((resolve) => {
      bothHandled = resolve;
    });
    const local = await startTestRuntime({
      env: { INBOX_WORKERS: '2', INBOX_POLL_MS: '60000', INBOX_LEASE_SECONDS: '120' },
      onQuery: (q) => statements.push(q),
      handler: async (item) => {
        seen.push(item);
        if (seen.length === 2) bothHandled();
        return { outcome: 'done' };
      },
    });
    try {
      await local.pool.idle();
      statements.length = 0;
      await local.post(commentPayload(['h-1', 'h-2']));
      await local.post(commentPayload(['h-1'])); // Meta's retry: stored once, handed over once
      await handledTwice;
      // What ran up to the hand-over; idle() below claims once more to confirm nothing is left.
      const beforeIdle = statements.slice();
      await local.pool.idle();
      expect(seen.map((i) => [i.event.commentId, i.attempts]).sort()).toEqual([
        ['h-1', 1],
        ['h-2', 1],
      ]);
      expect(beforeIdle.filter((q) => /set status = 'processing'/.test(q))).toEqual([]);
      const rows = await local.database.db
        .select()
        .from(inbox)
        .where(sql`${inbox.commentId} in ('h-1', 'h-2')`);
      expect(rows.map((r) => r.status)).toEqual(['done', 'done']);
      expect(rows.map((r) => r.attempts)).toEqual([1, 1]);
    } finally {
      await local.close();
    }
  });

  it('rows written claimed belong to that claim: another worker gets them only after the lease', async () => {
    await rt.post(commentPayload(['c-unclaimed']));
    const token = crypto.randomUUID();
    const [delivery] = await rt.repo.storeDeliveries(
      [deliveryOf(commentPayload(['c-claimed', 'c-unclaimed']))],
      {
        claimFor: { claimToken: token, leaseSeconds: 60 },
      },
    );
    // The duplicate was already stored (unclaimed); only the new row is written claimed.
    expect(delivery?.claimed.map((c) => [c.event.commentId, c.attempts, c.claimToken])).toEqual([
      ['c-claimed', 1, token],
    ]);
    expect(await rowOf('c-claimed')).toMatchObject({ status: 'processing', attempts: 1, claimToken: token });
    const claimed = delivery?.claimed[0] as InboxItem;
    expect(await rt.repo.claimById(claimed.id, 60)).toBeNull();
    await ageRow(claimed.id, 'lease_until');
    const reclaimed = await rt.repo.claimById(claimed.id, 60);
    expect(reclaimed?.attempts).toBe(2);
    // The first holder's claim is gone: it cannot complete the row any more.
    expect(await rt.repo.complete(claimed)).toBe(false);
    expect(await rt.repo.complete(reclaimed as InboxItem)).toBe(true);
  });

  it('releasing leases: expired ones any time, all of them only when no live process can hold one', async () => {
    const token = crypto.randomUUID();
    const [delivery] = await rt.repo.storeDeliveries([deliveryOf(commentPayload(['rl-1', 'rl-2']))], {
      claimFor: { claimToken: token, leaseSeconds: 60 },
    });
    const [first, second] = delivery?.claimed ?? [];
    await ageRow(first?.id ?? 0, 'lease_until');
    await rt.repo.releaseLeases('expired');
    expect((await rowOf('rl-1')).status).toBe('pending');
    expect((await rowOf('rl-2')).status).toBe('processing');
    expect(await rt.repo.releaseLeases('all')).toBeGreaterThanOrEqual(1);
    expect(await rowOf('rl-2')).toMatchObject({
      status: 'pending',
      claimToken: null,
      lastError: 'released at start (the process holding it had stopped)',
    });
    // The holder's claim is gone with it.
    expect(await rt.repo.complete(second as InboxItem)).toBe(false);
  });
});
