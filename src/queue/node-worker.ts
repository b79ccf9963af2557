/**
 * Node: the in-process inbox workers. They process the rows this process's intake wrote claimed
 * (handed over with `submit`) and claim due rows (SKIP LOCKED, leased), so several processes may
 * share one Postgres; rows of a killed process are reclaimed when their lease ends.
 */
import type { Logger } from '../log.js';
import { type ClaimLoop, startClaimLoop } from './claim-loop.js';
import type { InboxItem, InboxQueue } from './ports.js';
import { type InboxBatchHandler, processClaimedBatch } from './process.js';

export interface WorkerPoolOptions {
  readonly concurrency: number;
  /** Events claimed and decided together by one worker (one claim, one record, one completion). */
  readonly batchSize: number;
  readonly leaseSeconds: number;
  readonly maxAttempts: number;
  readonly pollMs: number;
  readonly logger: Logger;
  readonly backoff?: (attempt: number) => number;
}

export type WorkerPool = ClaimLoop<InboxItem>;

export function startWorkerPool(
  repo: InboxQueue,
  handler: InboxBatchHandler,
  options: WorkerPoolOptions,
): WorkerPool {
  return startClaimLoop({
    name: 'inbox',
    concurrency: options.concurrency,
    batchSize: options.batchSize,
    pollMs: options.pollMs,
    logger: options.logger,
    claim: () => repo.claim(options.batchSize, options.leaseSeconds),
    process: (items) => processClaimedBatch(repo, handler, items, options),
  });
}
