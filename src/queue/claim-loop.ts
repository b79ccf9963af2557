/**
 * Node: N concurrent loops that claim work from the database and process it. Idle loops sleep
 * until the poll interval or until woken, so new work starts at once without busy polling.
 * Shared by the inbox workers and the actuator.
 *
 * Work reaches a loop two ways:
 * - `wake()`: work was committed to the database; a loop claims it (a round trip).
 * - `submit(items)`: work this process already holds claimed (the intake wrote it claimed in
 *   the same commit), handed over in memory: no claim round trip. A loop woken for it does not
 *   look in the database; loops still claim from there on wakes, on the poll interval and for
 *   `idle()`, which is how retries, expired leases and other processes' work are found.
 *
 * A wake starts ONE sleeping loop, and a loop whose claim came back full (or that left work in
 * hand) starts another: a trickle of events costs one claim each, a burst brings in every loop.
 * (Waking them all on every commit made most claims come back empty, each a wasted round trip.)
 * A loop whose claim came back short goes back to sleep at once: that claim took everything due.
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

export interface ClaimLoop<T = unknown> {
  /** Work was committed to the database: one sleeping loop claims it. */
  wake(): void;
  /** Hands over work this process has already claimed; a loop processes it without a claim. */
  submit(items: readonly T[]): void;
  /** Items handed over and not yet taken by a loop. */
  readonly inHand: number;
  /**
   * Whether to hand more over: the loops run and hold under two batches each. Beyond that, work
   * waits in the database, where any process may claim it.
   */
  readonly hasRoom: boolean;
  /** Stops claiming, finishes the work in hand and waits for it. */
  stop(): Promise<void>;
  /** Resolves once nothing is in hand and no loop finds anything due (tests, commands). */
  idle(): Promise<void>;
}

/** Why a sleeping loop woke: work handed over in memory, or a reason to look in the database. */
type WakeReason = 'in-hand' | 'database';

export function startClaimLoop<T>(options: ClaimLoopOptions<T>): ClaimLoop<T> {
  let stopped = false;
  let sleepers: ((reason: WakeReason) => void)[] = [];
  let idleWaiters: (() => void)[] = [];
  let busy = 0;
  const inHand: T[] = [];
  // Bumped by every database wake: a loop whose claim started before it must look again (the
  // new work may have committed just after its claim looked), or the wake is lost.
  let databaseWakes = 0;

  const wakeOne = (reason: WakeReason) => {
    if (reason === 'database') databaseWakes++;
    sleepers.shift()?.(reason);
  };
  // Wakes every sleeping loop to look in the database (stop, idle); busy loops notice
  // `stopped` or the idle waiters themselves.
  const wakeAll = () => {
    const s = sleepers;
    sleepers = [];
    for (const resolve of s) resolve('database');
  };
  const sleep = () =>
    new Promise<WakeReason>((resolve) => {
      const done = (reason: WakeReason) => {
        clearTimeout(timer);
        resolve(reason);
      };
      const timer = setTimeout(() => {
        sleepers = sleepers.filter((s) => s !== done);
        resolve('database');
      }, options.pollMs);
      sleepers.push(done);
    });

  // Loops kept busy by work in hand still claim from the database once per poll interval, so
  // retries and expired leases are not starved by a steady stream of new events.
  let lastClaimAt = 0;
  const loop = async () => {
    let lookInDatabase = true;
    while (!stopped || inHand.length > 0) {
      const seenWakes = databaseWakes;
      const claimed =
        !stopped &&
        ((inHand.length === 0 && lookInDatabase) || performance.now() - lastClaimAt >= options.pollMs);
      let items: readonly T[] = claimed ? [] : inHand.splice(0, options.batchSize);
      busy++;
      try {
        if (claimed) {
          lastClaimAt = performance.now();
          items = await options.claim();
        }
        // More may be waiting: work still in hand, or a claim that came back full.
        if (inHand.length > 0) wakeOne('in-hand');
        else if (claimed && items.length >= options.batchSize) wakeOne('database');
        if (items.length > 0) await options.process(items);
      } catch (error) {
        options.logger.error(`${options.name} loop error`, { error });
      } finally {
        busy--;
      }
      const foundNothing = claimed && items.length === 0;
      if (foundNothing && busy === 0 && inHand.length === 0) {
        const w = idleWaiters;
        idleWaiters = [];
        for (const resolve of w) resolve();
      }
      // Look in the database next after a full claim, after a wake that came while this loop was
      // busy, or for someone waiting for idle (which only an empty claim confirms); otherwise a
      // claim that came back short took everything due.
      if (claimed) lookInDatabase = items.length >= options.batchSize;
      if (databaseWakes !== seenWakes || (idleWaiters.length > 0 && !foundNothing)) lookInDatabase = true;
      if (stopped || inHand.length > 0 || lookInDatabase) continue;
      lookInDatabase = (await sleep()) === 'database';
    }
  };

  const loops = Array.from({ length: options.concurrency }, () => loop());
  return {
    wake: () => wakeOne('database'),
    submit(items) {
      if (items.length === 0) return;
      inHand.push(...items);
      wakeOne('in-hand');
    },
    get inHand() {
      return inHand.length;
    },
    get hasRoom() {
      return !stopped && inHand.length < options.concurrency * options.batchSize * 2;
    },
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
