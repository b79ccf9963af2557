/**
 * Node: the in-process claim loop. N workers claim due rows (SKIP LOCKED, leased), so several
 * processes may share one Postgres; rows of a killed process are reclaimed when their lease ends.
 * Idle workers sleep until the poll interval or until intake wakes them after a commit.
 */
import type { Logger } from '../log.js';
import type { InboxRepo } from './inbox-repo.js';
import { type InboxHandler, processClaimed } from './process.js';

export interface WorkerPoolOptions {
  readonly concurrency: number;
  readonly leaseSeconds: number;
  readonly maxAttempts: number;
  readonly pollMs: number;
  readonly logger: Logger;
  readonly backoff?: (attempt: number) => number;
}

export interface WorkerPool {
  /** Intake calls this after a commit so new events start at once instead of at the next poll. */
  wake(): void;
  /** Stops claiming, waits for events in hand to finish. */
  stop(): Promise<void>;
  /** Resolves when no due row is left (tests, `modbot` commands). */
  idle(): Promise<void>;
}

export function startWorkerPool(repo: InboxRepo, handler: InboxHandler, options: WorkerPoolOptions): WorkerPool {
  let stopped = false;
  let waiters: (() => void)[] = [];
  let idleWaiters: (() => void)[] = [];
  let busy = 0;

  const wake = () => {
    const w = waiters;
    waiters = [];
    for (const resolve of w) resolve();
  };
  const sleep = () =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        waiters = waiters.filter((w) => w !== done);
        resolve();
      }, options.pollMs);
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      waiters.push(done);
    });

  const loop = async () => {
    while (!stopped) {
      let items: Awaited<ReturnType<InboxRepo['claim']>> = [];
      busy++;
      try {
        items = await repo.claim(1, options.leaseSeconds);
        for (const item of items) {
          await processClaimed(repo, handler, item, options);
        }
      } catch (error) {
        options.logger.error('inbox worker error', { error });
      } finally {
        busy--;
      }
      if (items.length === 0) {
        if (busy === 0) {
          const w = idleWaiters;
          idleWaiters = [];
          for (const resolve of w) resolve();
        }
        if (!stopped) await sleep();
      }
    }
  };

  const loops = Array.from({ length: options.concurrency }, () => loop());
  return {
    wake,
    async stop() {
      stopped = true;
      wake();
      await Promise.all(loops);
    },
    idle() {
      if (options.concurrency === 0) return Promise.resolve();
      return new Promise<void>((resolve) => {
        idleWaiters.push(resolve);
        wake();
      });
    },
  };
}
