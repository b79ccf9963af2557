/**
 * Node: N concurrent loops that claim work from the database and process it. Idle loops sleep
 * until the poll interval or until `wake()` (called after a commit that created work), so new
 * work starts at once without busy polling. Shared by the inbox workers and the actuator.
 *
 * A wake starts ONE sleeping loop, and a loop whose claim came back full starts another: a
 * trickle of events costs one claim each, a burst brings in every loop. (Waking them all on
 * every commit made most claims come back empty, each a wasted round trip.) A loop whose claim
 * came back short goes back to sleep at once: that claim took everything due.
 */
import type { Logger } from '../log.js';

export interface ClaimLoopOptions<T> {
  readonly name: string;
  readonly concurrency: number;
  readonly pollMs: number;
  readonly logger: Logger;
  /** How many items one claim asks for: a full claim means more may be waiting. */
  readonly batchSize: number;
  /** Claims a batch of work (leased); [] when nothing is due. */
  readonly claim: () => Promise<readonly T[]>;
  /** Handles everything one claim returned. */
  readonly process: (items: readonly T[]) => Promise<unknown>;
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

  const wakeOne = () => {
    generation++;
    sleepers.shift()?.();
  };
  const wakeAll = () => {
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
        if (found >= options.batchSize) wakeOne();
        if (found > 0) await options.process(items);
      } catch (error) {
        options.logger.error(`${options.name} loop error`, { error });
      } finally {
        busy--;
      }
      if (found === 0 && busy === 0) {
        const w = idleWaiters;
        idleWaiters = [];
        for (const resolve of w) resolve();
      }
      // A claim that came back short took everything due: sleep until woken (unless a wake came
      // while this loop was busy: the work it announced may have committed after the claim looked;
      // or someone waits for idle, which only an empty claim can confirm).
      const waitedFor = found > 0 && idleWaiters.length > 0;
      if (found < options.batchSize && !waitedFor && !stopped && generation === seen) await sleep();
    }
  };

  const loops = Array.from({ length: options.concurrency }, () => loop());
  return {
    wake: wakeOne,
    async stop() {
      stopped = true;
      wakeAll();
      await Promise.all(loops);
    },
    idle() {
      if (options.concurrency === 0) return Promise.resolve();
      return new Promise<void>((resolve) => {
        idleWaiters.push(resolve);
        wakeAll();
      });
    },
  };
}
