/**
 * Node: the runtime plus its in-process loops. Intake writes new events already claimed and
 * hands them to the inbox workers in memory; a decision's first action, written claimed, runs
 * at once here; everything else (a hide after its reply, paced or retried actions, other
 * processes' expired leases) is claimed from the database by the loops.
 */
import type { Actuator } from '../pipeline/carry-out-action.js';
import type { ActionItem } from '../pipeline/ports.js';
import { type ClaimLoop, startClaimLoop } from '../queue/claim-loop.js';
import { startWorkerPool, type WorkerPool } from '../queue/node-worker.js';
import { createRuntime, type Runtime, type RuntimeOptions } from './create-runtime.js';
import { takeOverStoppedProcesses } from './take-over.js';

export interface NodeRuntime extends Runtime {
  /** The inbox (kept under its earlier name for callers that read it). */
  readonly repo: Runtime['inbox'];
  readonly pool: WorkerPool;
  readonly actuatorLoop: ClaimLoop;
  /** Resolves when neither events nor actions are due (tests, commands). */
  idle(): Promise<void>;
  /** Stops the workers (the caller closes the database). */
  stop(): Promise<void>;
}

export function startNodeRuntime(
  options: Omit<RuntimeOptions, 'dispatch' | 'claimFirstAction'>,
): NodeRuntime {
  const { env, logger } = options;
  // The loops are started below, after the runtime they serve; nothing is dispatched before.
  let pool: WorkerPool | undefined;
  let actuatorLoop: ClaimLoop | undefined;
  const runningNow = new RunningNow(logger);

  const runtime = createRuntime({
    ...options,
    claimFirstAction: env.ACTION_WORKERS > 0,
    dispatch: {
      // New events are written claimed by this process while its workers have room.
      claimLease: () => (pool?.hasRoom ? { leaseSeconds: env.INBOX_LEASE_SECONDS } : null),
      eventsStored: (stored) => {
        pool?.submit(stored.claimed);
        if (stored.newInboxIds.length > stored.claimed.length) pool?.wake();
      },
      actionsPlanned: ({ ids, claimed }) => {
        runningNow.run(claimed, runtime.carryOutAction);
        if (ids.length > claimed.length) actuatorLoop?.wake();
      },
      // A reply done: its hide may start now.
      actionNextDue: () => actuatorLoop?.wake(),
      eventsQueued: () => pool?.wake(),
    },
  });

  actuatorLoop = startClaimLoop({
    name: 'actuator',
    concurrency: env.ACTION_WORKERS,
    batchSize: env.ACTION_BATCH_SIZE,
    pollMs: env.INBOX_POLL_MS,
    logger,
    claim: () => runtime.actions.claim(env.ACTION_BATCH_SIZE, env.INBOX_LEASE_SECONDS),
    // Actions of one claim run side by side (the claim never holds two of the same decision).
    process: (items) => Promise.all(items.map(runtime.carryOutAction)),
  });
  pool = startWorkerPool(runtime.inbox, runtime.decideEvents, {
    concurrency: env.INBOX_WORKERS,
    batchSize: env.INBOX_BATCH_SIZE,
    leaseSeconds: env.INBOX_LEASE_SECONDS,
    maxAttempts: env.INBOX_MAX_ATTEMPTS,
    pollMs: env.INBOX_POLL_MS,
    logger,
    ...(options.backoff ? { backoff: options.backoff } : {}),
  });
  const loops = { pool, actuatorLoop };
  // Several processes on one Postgres: a stopped one's work is taken within a second or two.
  const stopTakingOver =
    options.leaseHolder === undefined
      ? () => {}
      : takeOverStoppedProcesses({
          inbox: runtime.inbox,
          actions: runtime.actions,
          logger,
          onReleased: () => {
            loops.pool.wake();
            loops.actuatorLoop.wake();
          },
        });

  return {
    ...runtime,
    repo: runtime.inbox,
    ...loops,
    async idle() {
      // Events create actions; settle both until neither has work.
      for (let i = 0; i < 3; i++) {
        await loops.pool.idle();
        await runningNow.settled();
        await loops.actuatorLoop.idle();
      }
    },
    async stop() {
      stopTakingOver();
      await loops.pool.stop();
      await runningNow.settled();
      await loops.actuatorLoop.stop();
      await runtime.notifier.flush();
    },
  };
}

/** Actions a decision wrote already claimed, run at once (no claim round trip). */
class RunningNow {
  private readonly running = new Set<Promise<unknown>>();
  constructor(private readonly logger: RuntimeOptions['logger']) {}

  run(items: readonly ActionItem[], carryOut: Actuator): void {
    for (const item of items) {
      const run: Promise<unknown> = carryOut(item)
        .catch((error: unknown) => this.logger.error('action execution failed', { actionId: item.id, error }))
        .finally(() => this.running.delete(run));
      this.running.add(run);
    }
  }

  async settled(): Promise<void> {
    while (this.running.size > 0) await Promise.all(this.running);
  }
}
