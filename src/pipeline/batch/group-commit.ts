/**
 * Group commit: concurrent callers' items are written together in one transaction, and each
 * caller's promise settles only after that transaction commits. Throughput grows with
 * concurrency while every caller keeps "stored before answered".
 *
 * While one flush is in flight, new items queue up; when it ends, everything queued goes in the
 * next flush. A failed flush rejects exactly the callers whose items it carried.
 */
export class GroupCommitter<T, R> {
  private queue: { item: T; resolve: (r: R) => void; reject: (e: unknown) => void }[] = [];
  private flushing = false;

  constructor(
    private readonly write: (items: T[]) => Promise<R[]>,
    /** Upper bound on items per transaction, to bound statement size and latency. */
    private readonly maxBatch = 256,
  ) {}

  submit(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (!this.flushing) {
        this.flushing = true;
        void this.drain();
      }
    });
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      // Take the batch only after the event loop has read what already arrived: requests waiting
      // on their sockets join it instead of queueing behind a batch of one. (Taking it at once,
      // batches alternated between nearly everything and a lone straggler that all the others
      // then waited for: ingest benchmark 8,300 req/s, with this turn 9,500-9,900.)
      await nextTurn();
      const batch = this.queue.splice(0, this.maxBatch);
      try {
        const results = await this.write(batch.map((b) => b.item));
        for (const [i, b] of batch.entries()) b.resolve(results[i] as R);
      } catch (error) {
        for (const b of batch) b.reject(error);
      }
    }
    this.flushing = false;
  }
}

/** Resolves after the event loop has polled for I/O once (setImmediate; a 0 ms timer elsewhere). */
function nextTurn(): Promise<void> {
  return new Promise((resolve) =>
    typeof setImmediate === 'function' ? setImmediate(resolve) : setTimeout(resolve, 0),
  );
}
