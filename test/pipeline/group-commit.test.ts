import { describe, expect, it } from 'vitest';
import { GroupCommitter } from '../../src/pipeline/batch/group-commit.js';

/** A writer whose flushes end when the test says so. */
function heldWriter() {
  const batches: number[][] = [];
  const pending: (() => void)[] = [];
  const write = (items: number[]) => {
    batches.push([...items]);
    const results = items.map((i) => i * 10);
    if (!holding) return Promise.resolve(results);
    return new Promise<number[]>((resolve) => pending.push(() => resolve(results)));
  };
  const release = () => pending.shift()?.();
  let holding = true;
  /** Ends the flush in flight and lets every later one end at once. */
  const releaseAll = () => {
    holding = false;
    while (pending.length > 0) release();
  };
  const flushStarted = async (n: number) => {
    while (batches.length < n) await new Promise((r) => setImmediate(r));
  };
  return { batches, write, release, releaseAll, flushStarted };
}

describe('group commit', () => {
  it('items submitted while a flush is in flight go together in the next one; each caller gets its own result', async () => {
    const w = heldWriter();
    const gc = new GroupCommitter(w.write);
    const first = gc.submit(1);
    await w.flushStarted(1);
    const rest = [gc.submit(2), gc.submit(3), gc.submit(4)];
    w.release();
    await w.flushStarted(2);
    w.release();
    expect(await Promise.all([first, ...rest])).toEqual([10, 20, 30, 40]);
    expect(w.batches).toEqual([[1], [2, 3, 4]]);
  });

  it('the next batch also takes what arrives in the same event-loop turn as the flush ending', async () => {
    const w = heldWriter();
    const gc = new GroupCommitter(w.write);
    void gc.submit(1);
    await w.flushStarted(1);
    const second = gc.submit(2);
    let third: Promise<number> | undefined;
    // Two I/O callbacks in one turn: the database answers, then a request that arrived meanwhile
    // is read. The request must not wait for a batch of one ([2]) to go first.
    setImmediate(() => w.release());
    setImmediate(() => {
      third = gc.submit(3);
    });
    await w.flushStarted(2);
    w.releaseAll();
    expect(await Promise.all([second, third])).toEqual([20, 30]);
    expect(w.batches).toEqual([[1], [2, 3]]);
  });

  it('a failed flush rejects exactly its own callers', async () => {
    const batches: number[][] = [];
    let endFirstFlush: (() => void) | undefined;
    const gc = new GroupCommitter<number, number>(async (items) => {
      batches.push([...items]);
      if (batches.length > 1) return items;
      await new Promise<void>((r) => {
        endFirstFlush = r;
      });
      throw new Error('database down');
    });
    const failed = gc.submit(1);
    // Wait until the first flush has taken its batch (not a fixed delay: the batch is taken on
    // the next event-loop turn, which a timer can beat on a busy machine).
    while (batches.length < 1) await new Promise((r) => setImmediate(r));
    const later = gc.submit(2);
    endFirstFlush?.();
    await expect(failed).rejects.toThrow('database down');
    expect(await later).toBe(2);
    expect(batches).toEqual([[1], [2]]);
  });

  it('a failed batch is tried again one item at a time: only the item the database refuses fails', async () => {
    const batches: number[][] = [];
    const gc = new GroupCommitter<number, number>(async (items) => {
      batches.push([...items]);
      if (items.includes(13)) throw new Error('unsupported Unicode escape sequence');
      return items.map((i) => i * 10);
    });
    const outcomes = await Promise.allSettled([12, 13, 14].map((i) => gc.submit(i)));
    expect(outcomes.map((o) => (o.status === 'fulfilled' ? o.value : (o.reason as Error).message))).toEqual([
      120,
      'unsupported Unicode escape sequence',
      140,
    ]);
    expect(batches).toEqual([[12, 13, 14], [12], [13], [14]]);
  });

  it('a failure no single item caused (a timeout) fails the batch at once, without a retry per item', async () => {
    const batches: number[][] = [];
    const timeout = Object.assign(new Error('canceling statement due to statement timeout'), {
      code: '57014',
    });
    const gc = new GroupCommitter<number, number>(
      async (items) => {
        batches.push([...items]);
        throw timeout;
      },
      256,
      (error) => (error as { code?: string }).code?.startsWith('22') === true,
    );
    const outcomes = await Promise.allSettled([1, 2, 3].map((i) => gc.submit(i)));
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect(batches).toEqual([[1, 2, 3]]);
  });
});
