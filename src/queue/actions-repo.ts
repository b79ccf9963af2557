/**
 * SQL for the actions outbox: claim due actions (SKIP LOCKED, leased), respecting
 *  - order within a decision: never before the earlier actions of the same decision finished
 *    (a reply goes before its hide: Meta refuses replies under hidden comments);
 *  - accounts: none for a paused (throttled) or broken (token) account, so it never stalls others;
 *  - priority: hides and deletes before replies in a backlog.
 * and record each call (action_attempts, append-only) and the outcome.
 */
import { and, eq, inArray, lt, lte, notExists, or, sql } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import type { Database } from '../db/client.js';
import { accounts } from '../db/schema/accounts.js';
import { type ActionStatus, type ActionType, actionAttempts, actions } from '../db/schema/actions.js';

export interface ActionItem {
  readonly id: string;
  readonly decisionId: string | null;
  readonly accountId: string;
  readonly commentId: string | null;
  readonly mediaId: string | null;
  readonly type: ActionType;
  readonly message: string | null;
  readonly actor: string;
  /** 1 on the first try. */
  readonly attempts: number;
  readonly claimToken: string;
}

export interface AttemptRecord {
  readonly startedAt: Date;
  readonly durationMs: number;
  readonly request: string;
  readonly httpStatus: number | null;
  readonly outcome: string;
  readonly errorCode: number | null;
  readonly errorSubcode: number | null;
  readonly error: string | null;
  readonly response: unknown;
}

export type Finish =
  | {
      readonly status: Extract<ActionStatus, 'done' | 'failed' | 'gone'>;
      readonly result?: unknown;
      readonly error?: string;
    }
  /** Not called: recorded as what would have been done, and why. */
  | { readonly status: 'dry_run'; readonly reason: string }
  /** Try again after `retryInMs`; `countAttempt: false` for waits that are not the action's fault. */
  | {
      readonly status: 'retry';
      readonly retryInMs: number;
      readonly error: string;
      readonly countAttempt: boolean;
    };

export function createActionsRepo(db: Database, options: { reclaimEveryMs?: number } = {}) {
  const earlier = alias(actions, 'earlier');
  const reclaimEveryMs = options.reclaimEveryMs ?? 5_000;
  let lastReclaim = 0;
  // Also reclaim before the claim that follows an empty one: an idle worker finds stranded work at once.
  let reclaimNext = true;

  /**
   * Actions whose executor died (lease expired) go back to planned. Kept out of the claim query
   * so that one can walk the (priority, next_attempt_at) index in order and stop at LIMIT.
   */
  const reclaimExpired = async () => {
    lastReclaim = Date.now();
    await db
      .update(actions)
      .set({
        status: 'planned',
        leaseUntil: null,
        claimToken: null,
        lastError: 'lease expired (executor stopped?)',
        updatedAt: sql`now()`,
      })
      .where(and(eq(actions.status, 'in_progress'), lt(actions.leaseUntil, sql`now()`)));
  };

  const toItem = (row: typeof actions.$inferSelect): ActionItem => ({
    id: row.id,
    decisionId: row.decisionId,
    accountId: row.accountId,
    commentId: row.commentId,
    mediaId: row.mediaId,
    type: row.type,
    message: row.message,
    actor: row.actor,
    attempts: row.attempts,
    claimToken: row.claimToken ?? '',
  });

  return {
    async claim(limit: number, leaseSeconds: number, onlyIds?: readonly string[]): Promise<ActionItem[]> {
      if (reclaimNext || Date.now() - lastReclaim >= reclaimEveryMs) await reclaimExpired();
      reclaimNext = false;
      const token = crypto.randomUUID();
      const due = db
        .select({ id: actions.id })
        .from(actions)
        .where(
          and(
            eq(actions.status, 'planned'),
            lte(actions.nextAttemptAt, sql`now()`),
            onlyIds ? inArray(actions.id, [...onlyIds]) : undefined,
            notExists(
              db
                .select({ one: sql`1` })
                .from(earlier)
                .where(
                  and(
                    eq(earlier.decisionId, actions.decisionId),
                    lt(earlier.seq, actions.seq),
                    inArray(earlier.status, ['planned', 'in_progress']),
                  ),
                ),
            ),
            notExists(
              db
                .select({ one: sql`1` })
                .from(accounts)
                .where(
                  and(
                    eq(accounts.id, actions.accountId),
                    or(sql`${accounts.pausedUntil} > now()`, sql`${accounts.status} <> 'active'`),
                  ),
                ),
            ),
          ),
        )
        .orderBy(actions.priority, actions.nextAttemptAt)
        .limit(limit)
        .for('update', { skipLocked: true, of: actions });
      const rows = await db
        .update(actions)
        .set({
          status: 'in_progress',
          attempts: sql`${actions.attempts} + 1`,
          leaseUntil: sql`now() + make_interval(secs => ${leaseSeconds})`,
          claimToken: token,
          updatedAt: sql`now()`,
        })
        .where(inArray(actions.id, due))
        .returning();
      if (rows.length === 0) reclaimNext = true;
      return rows.map(toItem);
    },

    reclaimExpired,

    async recordAttempt(item: ActionItem, attempt: AttemptRecord): Promise<void> {
      await db
        .insert(actionAttempts)
        .values({ id: crypto.randomUUID(), actionId: item.id, attempt: item.attempts, ...attempt });
    },

    /** Records the outcome of a claimed action; false if the claim was lost (lease expired). */
    async finish(item: ActionItem, finish: Finish, maxAttempts: number): Promise<boolean> {
      const guard = and(
        eq(actions.id, item.id),
        eq(actions.claimToken, item.claimToken),
        eq(actions.status, 'in_progress'),
      );
      if (finish.status === 'retry') {
        const outOfAttempts = finish.countAttempt && item.attempts >= maxAttempts;
        const rows = await db
          .update(actions)
          .set({
            status: outOfAttempts ? 'failed' : 'planned',
            attempts: finish.countAttempt ? actions.attempts : sql`greatest(${actions.attempts} - 1, 0)`,
            lastError: finish.error.slice(0, 2000),
            nextAttemptAt: sql`now() + make_interval(secs => ${finish.retryInMs / 1000})`,
            leaseUntil: null,
            claimToken: null,
            updatedAt: sql`now()`,
            ...(outOfAttempts ? { completedAt: sql`now()` } : {}),
          })
          .where(guard)
          .returning({ id: actions.id });
        return rows.length === 1;
      }
      const rows = await db
        .update(actions)
        .set({
          status: finish.status,
          ...(finish.status === 'dry_run'
            ? { reason: finish.reason }
            : { result: finish.result ?? null, lastError: finish.error?.slice(0, 2000) ?? null }),
          leaseUntil: null,
          claimToken: null,
          completedAt: sql`now()`,
          updatedAt: sql`now()`,
        })
        .where(guard)
        .returning({ id: actions.id });
      return rows.length === 1;
    },

    /** Actions overdue for execution (Workers cron: re-run them). */
    async overdue(limit: number): Promise<string[]> {
      const rows = await db
        .select({ id: actions.id })
        .from(actions)
        .where(
          or(
            and(eq(actions.status, 'planned'), lte(actions.nextAttemptAt, sql`now()`)),
            and(eq(actions.status, 'in_progress'), lt(actions.leaseUntil, sql`now()`)),
          ),
        )
        .limit(limit);
      return rows.map((r) => r.id);
    },
  };
}

export type ActionsRepo = ReturnType<typeof createActionsRepo>;
