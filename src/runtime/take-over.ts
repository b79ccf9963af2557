/**
 * Node on Postgres with several processes: every second, whatever a stopped process held (its
 * process lock gone, src/db/process-lock.ts) or whatever lease expired goes back to the queues,
 * and this process's loops are woken to take it. On a timer of its own, not before a claim: a
 * process busy with a burst claims rarely, and the dead one's work must not wait for that.
 */
import type { Logger } from '../log.js';

export interface Releasable {
  releaseLeases(which: 'expired'): Promise<number>;
}

export function takeOverStoppedProcesses(input: {
  readonly inbox: Releasable;
  readonly actions: Releasable;
  /** Called with what was released (the loops are woken to claim it). */
  readonly onReleased: (released: { events: number; actions: number }) => void;
  readonly logger: Logger;
  readonly everyMs?: number;
}): () => void {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    Promise.all([input.inbox.releaseLeases('expired'), input.actions.releaseLeases('expired')])
      .then(([events, actions]) => {
        if (events + actions === 0) return;
        input.logger.info('took up the work of a stopped process', { events, actions });
        input.onReleased({ events, actions });
      })
      .catch((error: unknown) => input.logger.error('releasing stopped processes’ leases failed', { error }))
      .finally(() => {
        running = false;
      });
  }, input.everyMs ?? 1000);
  timer.unref?.();
  return () => clearInterval(timer);
}
