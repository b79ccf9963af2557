/**
 * Periodic jobs, runtime-neutral: Node runs them on timers, Workers from the cron trigger.
 * Each is idempotent (a sweep dedupes, a refresh checks what is due, a purge deletes what expired),
 * so two instances running the same job at once do no harm.
 */
import { refreshTokens } from '../accounts/refresh.js';
import type { AccountStore } from '../accounts/store.js';
import type { GraphClient } from '../graph/client.js';
import type { Logger } from '../log.js';
import type { DeliveryStore } from './ingest.js';
import { sweepAccount } from './sweep.js';

export interface ScheduleDeps {
  readonly accounts: AccountStore;
  readonly graph: GraphClient;
  readonly store: DeliveryStore;
  /** The shared classifier cache's purge (src/db/repos/classifier-cache.ts). */
  readonly cache: { purgeExpired(): Promise<number> };
  readonly logger: Logger;
  /** Called when a sweep queued comments (Node wakes its workers). */
  readonly onQueued?: () => void;
}

export async function sweepAllAccounts(deps: ScheduleDeps, sinceHours: number): Promise<void> {
  for (const summary of await deps.accounts.list()) {
    if (summary.status !== 'active') continue;
    const account = await deps.accounts.credentials(summary.id);
    if (!account) continue;
    const result = await sweepAccount({
      graph: deps.graph,
      store: deps.store,
      account,
      since: new Date(Date.now() - sinceHours * 3600_000),
    });
    deps.logger.info('scheduled sweep', {
      accountId: summary.id,
      media: result.media,
      comments: result.comments,
      queued: result.queued,
      errors: result.errors,
    });
    if (result.queued > 0) deps.onQueued?.();
  }
}

export async function dailyMaintenance(deps: ScheduleDeps): Promise<void> {
  const refreshed = await refreshTokens(deps.accounts, deps.graph);
  for (const r of refreshed) {
    if (r.result === 'refreshed' || r.result === 'failed')
      deps.logger[r.result === 'failed' ? 'error' : 'info']('token refresh', {
        accountId: r.accountId,
        result: r.result,
        detail: r.detail,
      });
  }
  const purged = await deps.cache.purgeExpired();
  if (purged > 0) deps.logger.info('classifier cache purged', { rows: purged });
}

/** Node: runs `job` every `everyMs` (first run after `firstAfterMs`), never overlapping itself. */
export function every(
  name: string,
  everyMs: number,
  firstAfterMs: number,
  job: () => Promise<void>,
  logger: Logger,
): () => void {
  let running = false;
  const run = async () => {
    if (running) return;
    running = true;
    try {
      await job();
    } catch (error) {
      logger.error(`scheduled job ${name} failed`, { error });
    } finally {
      running = false;
    }
  };
  const first = setTimeout(() => void run(), firstAfterMs);
  const timer = setInterval(() => void run(), everyMs);
  first.unref?.();
  timer.unref?.();
  return () => {
    clearTimeout(first);
    clearInterval(timer);
  };
}
