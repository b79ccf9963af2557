import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { startClaimLoop } from '../../src/queue/claim-loop.js';

/** An in-memory queue that counts claims, for the loop's scheduling alone. */
function memoryQueue(batchSize: number) {
  const due: number[] = [];
  const processed: number[] = [];
  let claims = 0;
  let emptyClaims = 0;
  return {
    due,
    processed,
    stats: () => ({ claims, emptyClaims }),
    claim: async () => {
      claims++;
      await new Promise((r) => setTimeout(r, 1));
      const items = due.splice(0, batchSize);
      if (items.length === 0) emptyClaims++;
      return items;
    },
    process: async (items: readonly number[]) => {
      await new Promise((r) => setTimeout(r, 2));
      processed.push(...items);
    },
  };
}

/** `concurrency` loops claiming `batchSize` at a time from `q`; idle loops sleep a minute unless woken. */
function loopsOver(
  q: ReturnType<typeof memoryQueue>,
  concurrency: number,
  batchSize: number,
  pollMs = 60_000,
) {
  const { claim, process } = q;
  return startClaimLoop({
    name: 't',
    concurrency,
    batchSize,
    pollMs,
    logger: silentLogger,
    claim,
    process,
  });
}

/** Polls until `done()` holds; only the test's timeout bounds it (no speed-dependent deadline). */
async function until(done: () => boolean) {
  while (!done()) await new Promise((r) => setTimeout(r, 1));
}

describe('claim loops', () => {
  it('a wake starts one loop, not all of them', async () => {
    const q = memoryQueue(8);
    const loop = loopsOver(q, 4, 8);
    await loop.idle();
    const before = q.stats();
    for (let i = 0; i < 5; i++) {
      q.due.push(i);
      loop.wake();
      await until(() => q.processed.length === i + 1);
      // A loop wrongly woken by the same wake would have claimed (and been counted) before the
      // woken one's claim and processing ended; one more turn of the event loop settles it.
      await new Promise((r) => setImmediate(r));
    }
    expect(q.processed).toEqual([0, 1, 2, 3, 4]);
    // One claim per event; with four loops woken each time it would be four.
    expect(q.stats().claims - before.claims).toBe(5);
    expect(q.stats().emptyClaims - before.emptyClaims).toBe(0);
    await loop.stop();
  });

  it('a full claim brings in another loop, so a burst is shared and drained', async () => {
    const q = memoryQueue(2);
    const loop = loopsOver(q, 4, 2);
    await loop.idle();
    q.due.push(...Array.from({ length: 40 }, (_, i) => i));
    loop.wake();
    await loop.idle();
    expect(q.processed.sort((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_, i) => i));
    await loop.stop();
  });

  it('a wake that arrives while every loop is claiming is not lost', async () => {
    const q = memoryQueue(8);
    const loop = loopsOver(q, 1, 8);
    await loop.idle();
    loop.wake(); // the loop starts a claim that finds nothing...
    q.due.push(7); // ...while this item commits and wakes it again
    loop.wake();
    await until(() => q.processed.length > 0);
    expect(q.processed).toEqual([7]);
    await loop.stop();
  });

  it('stop waits for the work in hand', async () => {
    const q = memoryQueue(8);
    const loop = loopsOver(q, 2, 8);
    q.due.push(1, 2, 3);
    loop.wake();
    await new Promise((r) => setTimeout(r, 2));
    await loop.stop();
    expect(q.processed).toEqual([1, 2, 3]);
  });

  it('work handed over in memory is processed without a claim, in batches', async () => {
    const q = memoryQueue(4);
    const loop = loopsOver(q, 2, 4);
    await loop.idle();
    const before = q.stats();
    loop.submit([1, 2, 3, 4, 5, 6]);
    loop.submit([7]);
    await until(() => q.processed.length === 7);
    expect(q.processed.sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(loop.inHand).toBe(0);
    expect(q.stats().claims - before.claims).toBe(0);
    await loop.stop();
  });

  it('work in hand does not starve the database: it is still claimed every poll interval', async () => {
    const q = memoryQueue(4);
    const loop = loopsOver(q, 1, 4, 20);
    await loop.idle();
    loop.submit(Array.from({ length: 200 }, (_, i) => i));
    while (q.processed.length === 0) await new Promise((r) => setTimeout(r, 1));
    q.due.push(-1); // a retry that fell due, say, while a long stream of new events is in hand
    await loop.idle();
    // 50 batches of 2 ms or more were in hand; the retry went in after about 20 ms, not last.
    expect(q.processed).toHaveLength(201);
    expect(q.processed.indexOf(-1)).toBeLessThan(150);
    await loop.stop();
  });

  it('takes two batches per loop in hand; stop finishes them; a stopped loop takes nothing more', async () => {
    const q = memoryQueue(2);
    const loop = loopsOver(q, 1, 2);
    await loop.idle();
    expect(loop.hasRoom).toBe(true);
    loop.submit([1, 2, 3, 4, 5]);
    // Two batches of two per loop at most: the rest should wait in the database.
    expect(loop.hasRoom).toBe(false);
    await loop.stop();
    expect(q.processed).toEqual([1, 2, 3, 4, 5]);
    expect(loop.hasRoom).toBe(false);
  });
});
