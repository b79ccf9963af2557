/**
 * The periodic jobs, one table for both runtimes: Node runs each on a timer (runJobsOnTimers),
 * the Workers cron trigger fires every minute and runs the jobs due at that minute (dueAt).
 * Each job is idempotent (a sweep dedupes, a refresh checks what is due, a purge deletes what
 * expired, retention and the rollup resume where they stopped), so two instances running the
 * same job at once do no harm.
 */
import { refreshTokens } from '../accounts/refresh.js';
import type { AccountStore } from '../accounts/store.js';
import { runRetention } from '../audit/retention.js';
import { rollUpClosedDays } from '../audit/rollup.js';
import type { Database } from '../db/client.js';
import { createMediaActivityRepo } from '../db/repos/media-activity.js';
import type { Env } from '../env.js';
import type { GraphClient } from '../graph/client.js';
import type { Logger } from '../log.js';
import type { DeliveryStore } from '../pipeline/receive-delivery.js';
import { sweepAccount } from '../pipeline/sweep-account.js';

export interface PeriodicJob {
  readonly name: string;
  /** How often it runs. */
  readonly everyMinutes: number;
  /** Where in its period the Workers cron runs it (minutes since midnight UTC, modulo the period). */
  readonly atMinute: number;
  readonly run: () => Promise<void>;
}

export interface JobDeps {
  readonly env: Pick<
    Env,
    'SWEEP_INTERVAL_MINUTES' | 'SWEEP_SINCE_HOURS' | 'SWEEP_OLDER_MEDIA_CALLS' | 'RETENTION_DAYS'
  >;
  readonly db: Database;
  readonly accounts: AccountStore;
  readonly graph: GraphClient;
  readonly store: DeliveryStore;
  /** The shared classifier cache's purge. */
  readonly cache: { purgeExpired(): Promise<number> };
  readonly logger: Logger;
  /** Called when a sweep queued comments (Node wakes its workers). */
  readonly onQueued?: () => void;
  /**
   * Workers only (Node's claim loops do both themselves): send Queue messages again for inbox
   * rows whose lease expired or whose message was lost, and carry out actions that became due.
   */
  readonly queue?: {
    readonly dispatchOverdue: () => Promise<void>;
    readonly carryOutDueActions: () => Promise<void>;
  };
}

export function periodicJobs(deps: JobDeps): PeriodicJob[] {
  const { env, logger } = deps;
  const jobs: PeriodicJob[] = [];
  if (env.SWEEP_INTERVAL_MINUTES > 0)
    jobs.push({
      name: 'catch-up sweep',
      everyMinutes: env.SWEEP_INTERVAL_MINUTES,
      atMinute: 0,
      run: () => sweepAllAccounts(deps, env.SWEEP_SINCE_HOURS, env.SWEEP_OLDER_MEDIA_CALLS),
    });
  jobs.push(
    {
      name: 'token refresh and cache purge',
      everyMinutes: 24 * 60,
      atMinute: 3 * 60 + 17,
      run: () => dailyMaintenance(deps),
    },
    {
      name: 'retention',
      everyMinutes: 60,
      atMinute: 7,
      run: async () => {
        const r = await runRetention(deps.db, { days: env.RETENTION_DAYS });
        if (Object.values(r.counts).some((n) => n > 0))
          logger.info('retention redacted old text', { cutoff: r.cutoff, counts: r.counts });
      },
    },
    // Daily stats for closed days (cheap when up to date).
    {
      name: 'daily stats rollup',
      everyMinutes: 10,
      atMinute: 3,
      run: async () => void (await rollUpClosedDays(deps.db)),
    },
  );
  if (deps.queue)
    jobs.push(
      { name: 'dispatch overdue events', everyMinutes: 1, atMinute: 0, run: deps.queue.dispatchOverdue },
      { name: 'carry out due actions', everyMinutes: 1, atMinute: 0, run: deps.queue.carryOutDueActions },
    );
  return jobs;
}

/** Workers cron: whether `job` runs at the minute `at` falls in. */
export function dueAt(job: PeriodicJob, at: Date): boolean {
  const minute = Math.floor(at.getTime() / 60_000);
  return minute % job.everyMinutes === job.atMinute % job.everyMinutes;
}

/**
 * Node: runs every job on its own timer, the first run one minute after start, never two runs
 * of one job at once. A failed run is logged and the job runs again at its next time.
 */
export function runJobsOnTimers(jobs: readonly PeriodicJob[], logger: Logger): () => void {
  const timers = jobs.flatMap((job) => {
    let running = false;
    const run = async () => {
      if (running) return;
      running = true;
      try {
        await job.run();
      } catch (error) {
        logger.error(`periodic job "${job.name}" failed; it runs again at its next time`, { error });
      } finally {
        running = false;
      }
    };
    const first = setTimeout(() => void run(), 60_000);
    const every = setInterval(() => void run(), job.everyMinutes * 60_000);
    first.unref?.();
    every.unref?.();
    return [() => clearTimeout(first), () => clearInterval(every)];
  });
  return () => {
    for (const clear of timers) clear();
  };
}

async function sweepAllAccounts(deps: JobDeps, sinceHours: number, olderCalls: number): Promise<void> {
  const activity = createMediaActivityRepo(deps.db);
  for (const summary of await deps.accounts.list()) {
    if (summary.status !== 'active') continue;
    const account = await deps.accounts.credentials(summary.id);
    if (!account) continue;
    const result = await sweepAccount({
      graph: deps.graph,
      store: deps.store,
      account,
      since: new Date(Date.now() - sinceHours * 3600_000),
      ...(olderCalls > 0 ? { older: { activity, maxCalls: olderCalls } } : {}),
    });
    deps.logger.info('scheduled sweep', {
      accountId: summary.id,
      media: result.media,
      comments: result.comments,
      queued: result.queued,
      older: result.older,
      errors: result.errors,
    });
    if (result.queued > 0) deps.onQueued?.();
  }
}

async function dailyMaintenance(deps: JobDeps): Promise<void> {
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
