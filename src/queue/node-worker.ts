/**
 * Node: the in-process inbox workers. They claim due rows (SKIP LOCKED, leased), so several
 * processes may share one Postgres; rows of a killed process are reclaimed when their lease ends.
 */
import type { Logger } from '../log.js';
import { type ClaimLoop, startClaimLoop } from './claim-loop.js';
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

export type WorkerPool = ClaimLoop;

export function startWorkerPool(
  repo: InboxRepo,
  handler: InboxHandler,
  options: WorkerPoolOptions,
): WorkerPool {
  return startClaimLoop({
    name: 'inbox',
    concurrency: options.concurrency,
    pollMs: options.pollMs,
    logger: options.logger,
    claim: () => repo.claim(1, options.leaseSeconds),
    process: (item) => processClaimed(repo, handler, item, options),
  });
}
