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
function loopsOver(q: ReturnType<typeof memoryQueue>, concurrency: number, batchSize: number) {
  const { claim, process } = q;
  return startClaimLoop({
    name: 't',
    concurrency,
    batchSize,
    pollMs: 60_000,
    logger: silentLogger,
    claim,
    process,
  });
}

const settle = () => new Promise((r) => setTimeout(r, 30));

describe('claim loops', () => {
  it('a wake starts one loop, not all of them', async () => {
    const q = memoryQueue(8);
    const loop = loopsOver(q, 4, 8);
    await loop.idle();
    const before = q.stats();
    for (let i = 0; i < 5; i++) {
      q.due.push(i);
      loop.wake();
      await settle();
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
    await settle();
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
});
