/**
 * Keeps repetition counts exact across batches decided side by side in one process.
 *
 * A repetition count reads the decisions already stored. Two batches decided at the same time,
 * each holding a copy of the same text, would both count the same stored decisions and miss each
 * other: a flood spread over concurrent batches would fire several copies late. So a batch
 * announces the texts it holds before judging (`enter`), and a count for a text that an earlier
 * batch still in flight also holds waits until that batch's decisions are stored (`before`).
 * Batches that hold no common text, or that never ask for a count, never wait.
 *
 * Within one process this makes counts what they would be if the batches had been decided one
 * after another. Across processes (several Node processes, Workers) counts stay best effort.
 */
export class TextsInFlight {
  /** For each text, the settling of the latest batch that holds it. */
  private readonly latest = new Map<string, Promise<void>>();

  /**
   * Announces a batch's texts. `before(key)` resolves once every earlier batch holding `key` is
   * settled (true if there was one to wait for); call `settled()` when this batch's decisions
   * are stored (or could not be).
   */
  enter(keys: Iterable<string>): { before(key: string): Promise<boolean>; settled(): void } {
    const earlier = new Map<string, Promise<void>>();
    let settle!: () => void;
    const ownStored = new Promise<void>((resolve) => {
      settle = resolve;
    });
    // This batch counts as settled only once the batches it came after are too, so that waiting
    // for the latest holder of a text is waiting for all of them (whether or not this batch asked).
    const settledWithEarlier = ownStored.then(() => Promise.all(earlier.values())).then(() => undefined);
    const held = new Set(keys);
    for (const key of held) {
      const previous = this.latest.get(key);
      if (previous) earlier.set(key, previous);
      this.latest.set(key, settledWithEarlier);
    }
    return {
      before: async (key) => {
        const previous = earlier.get(key);
        if (!previous) return false;
        await previous;
        return true;
      },
      settled: () => {
        settle();
        void settledWithEarlier.then(() => {
          for (const key of held) if (this.latest.get(key) === settledWithEarlier) this.latest.delete(key);
        });
      },
    };
  }

  /** Texts held by batches in flight (tests). */
  get size(): number {
    return this.latest.size;
  }
}
