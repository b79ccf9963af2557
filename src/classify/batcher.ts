/**
 * Micro-batching: callers add one item each and get their own answer; items that arrive within
 * `windowMs` of the first (or until `maxBatch` is reached) go to the provider in one call. Used
 * for OpenAI moderation's array input. At most `maxInFlight` calls run at once: while they do,
 * new items queue and leave together when a call returns, so under a burst the batches grow by
 * themselves (like Nagle's algorithm) instead of the call count. Runtime-neutral.
 */
export interface BatcherOptions<I, O> {
  /** Called with up to maxBatch items; must resolve to one output per item, in order. */
  readonly run: (items: readonly I[]) => Promise<readonly O[]>;
  readonly maxBatch: number;
  /** How long the first item of a batch waits for company. A few milliseconds. */
  readonly windowMs: number;
  /** Calls in flight at once; further items wait for one to return. Default 4. */
  readonly maxInFlight?: number;
}

interface Pending<I, O> {
  readonly item: I;
  readonly resolve: (value: O) => void;
  readonly reject: (error: unknown) => void;
}

export class MicroBatcher<I, O> {
  private queue: Pending<I, O>[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private inFlight = 0;
  private readonly maxInFlight: number;
  /** Number of provider calls made, for metrics and the benchmark. */
  calls = 0;

  constructor(private readonly options: BatcherOptions<I, O>) {
    this.maxInFlight = Math.max(1, options.maxInFlight ?? 4);
  }

  add(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (this.queue.length >= this.options.maxBatch) this.flush();
      else this.timer ??= setTimeout(() => this.flush(), this.options.windowMs);
    });
  }

  /** Send what is queued, as far as free call slots allow (also run by the timer and when a call returns). */
  flush(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    while (this.queue.length > 0 && this.inFlight < this.maxInFlight) {
      const batch = this.queue.splice(0, this.options.maxBatch);
      this.calls++;
      this.inFlight++;
      this.options
        .run(batch.map((p) => p.item))
        .then((outputs) => {
          if (outputs.length !== batch.length) {
            throw new Error(`batch returned ${outputs.length} results for ${batch.length} inputs`);
          }
          batch.forEach((p, i) => {
            p.resolve(outputs[i] as O);
          });
        })
        .catch((error: unknown) => {
          for (const p of batch) p.reject(error);
        })
        .finally(() => {
          this.inFlight--;
          if (this.queue.length > 0) this.flush();
        });
    }
  }
}
