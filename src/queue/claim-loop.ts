/**
 * Node: N concurrent loops that claim work from the database and process it. Idle loops sleep
 * until the poll interval or until `wake()` (called after a commit that created work), so new
 * work starts at once without busy polling. Shared by the inbox workers and the actuator.
 */
import type { Logger } from '../log.js';

export interface ClaimLoopOptions<T> {
  readonly name: string;
  readonly concurrency: number;
  readonly pollMs: number;
  readonly logger: Logger;
  /** Claims up to one unit of work (leased); [] when nothing is due. */
  readonly claim: () => Promise<readonly T[]>;
  readonly process: (item: T) => Promise<unknown>;
}

export interface ClaimLoop {
  wake(): void;
  /** Stops claiming and waits for work in hand to finish. */
  stop(): Promise<void>;
  /** Resolves once no loop finds anything due (tests, commands). */
  idle(): Promise<void>;
}

export function startClaimLoop<T>(options: ClaimLoopOptions<T>): ClaimLoop {
  let stopped = false;
  let sleepers: (() => void)[] = [];
  let idleWaiters: (() => void)[] = [];
  let busy = 0;
  // Bumped by every wake(): a loop whose claim started before a wake must not go to sleep after
  // it (the new work may have committed just after its claim looked), or the wake is lost.
  let generation = 0;

  const wake = () => {
    generation++;
    const s = sleepers;
    sleepers = [];
    for (const resolve of s) resolve();
  };
  const sleep = () =>
    new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        sleepers = sleepers.filter((s) => s !== done);
        resolve();
      }, options.pollMs);
      sleepers.push(done);
    });

  const loop = async () => {
    while (!stopped) {
      let found = 0;
      const seen = generation;
      busy++;
      try {
        const items = await options.claim();
        found = items.length;
        for (const item of items) await options.process(item);
      } catch (error) {
        options.logger.error(`${options.name} loop error`, { error });
      } finally {
        busy--;
      }
      if (found === 0) {
        if (busy === 0) {
          const w = idleWaiters;
          idleWaiters = [];
          for (const resolve of w) resolve();
        }
        if (!stopped && generation === seen) await sleep();
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
