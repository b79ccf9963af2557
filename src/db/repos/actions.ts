/**
 * SQL for the actions outbox: claim due actions (SKIP LOCKED, leased), respecting
 *  - order within a decision: never before the earlier actions of the same decision finished
 *    (a reply goes before its hide: Meta refuses replies under hidden comments);
 *  - accounts: none for a paused (throttled) or broken (token) account, so it never stalls others;
 *  - priority: hides and deletes before replies in a backlog.
 * and record each call (action_attempts, append-only) and the outcome. The actuator sees it as
 * its ActionOutbox (src/pipeline/ports.ts).
 */
import { and, eq, lt, lte, or, sql } from 'drizzle-orm';
import type { ActionType } from '../../pipeline/plan.js';
import type { ActionItem, AttemptRecord, Finish } from '../../pipeline/ports.js';
import { reclaimSchedule } from '../../queue/reclaim.js';
import { type Database, rowsOf } from '../client.js';
import { holderGone } from '../process-lock.js';
import { actions } from '../schema/actions.js';
import type { QueueRepoOptions } from './inbox.js';

export function createActionsRepo(db: Database, options: QueueRepoOptions = {}) {
  const holder = options.leaseHolder ?? null;
  /**
   * Leased actions go back to planned: those whose lease expired or whose process's lock is gone
   * (src/db/process-lock.ts), or all of them (only when no live process can hold one, see
   * src/db/repos/leases.ts). A reply that may have been posted is looked for before it is posted
   * again, as after any unknown outcome (its attempt count says a claim came before).
   */
  const releaseLeases = async (which: 'expired' | 'all'): Promise<number> => {
    const rows = await db
      .update(actions)
      .set({
        status: 'planned',
        leaseUntil: null,
        claimToken: null,
        leaseHolder: null,
        lastError:
          which === 'all'
            ? 'released at start (the process carrying it out had stopped)'
            : sql`case when ${holderGone(sql`${actions.leaseHolder}`)} then 'its process stopped (lock gone)'
                else 'lease expired (executor stopped?)' end`,
        updatedAt: sql`now()`,
      })
      .where(
        and(
          eq(actions.status, 'in_progress'),
          which === 'all'
            ? undefined
            : or(lt(actions.leaseUntil, sql`now()`), holderGone(sql`${actions.leaseHolder}`)),
        ),
      )
      .returning({ id: actions.id });
    return rows.length;
  };
  /** Actions whose executor died (lease expired, or its process's lock gone) go back to planned. */
  const reclaim = reclaimSchedule(async () => {
    await releaseLeases('expired');
  }, options.reclaimEveryMs);

  interface ClaimedRow {
    id: string;
    decision_id: string | null;
    account_id: string;
    comment_id: string | null;
    media_id: string | null;
    type: ActionType;
    message: string | null;
    actor: string;
    attempts: number;
    claim_token: string;
  }
  const toItem = (row: ClaimedRow): ActionItem => ({
    id: row.id,
    decisionId: row.decision_id,
    accountId: row.account_id,
    commentId: row.comment_id,
    mediaId: row.media_id,
    type: row.type,
    message: row.message,
    actor: row.actor,
    attempts: row.attempts,
    claimToken: row.claim_token,
  });

  return {
    releaseLeases,
    /**
     * Claims up to `limit` due actions (only among `onlyIds` when given). Written as SQL: it is
     * the actuator's hottest query.
     */
    async claim(limit: number, leaseSeconds: number, onlyIds?: readonly string[]): Promise<ActionItem[]> {
      await reclaim.beforeClaim();
      const rows = rowsOf<ClaimedRow>(
        await db.execute(sql`
          update actions set status = 'in_progress', attempts = attempts + 1,
            lease_until = now() + make_interval(secs => ${leaseSeconds}),
            claim_token = ${crypto.randomUUID()}, lease_holder = ${holder}::int, updated_at = now()
          where id in (
            select a.id from actions a
            where a.status = 'planned' and a.next_attempt_at <= now()
              ${
                onlyIds
                  ? sql`and a.id in (${sql.join(
                      onlyIds.map((id) => sql`${id}::uuid`),
                      sql`, `,
                    )})`
                  : sql``
              }
              -- never before the earlier actions of the same decision have finished
              and not exists (
                select 1 from actions earlier
                where earlier.decision_id = a.decision_id and earlier.seq < a.seq
                  and earlier.status in ('planned', 'in_progress'))
              -- never for a paused (throttled) or broken (token) account
              and not exists (
                select 1 from accounts
                where accounts.id = a.account_id
                  and (accounts.paused_until > now() or accounts.status <> 'active'))
            order by a.priority, a.next_attempt_at
            limit ${limit}
            for update of a skip locked)
          returning id, decision_id, account_id, comment_id, media_id, type, message, actor,
            attempts, claim_token`),
      );
      reclaim.afterClaim(rows.length);
      return rows.map(toItem);
    },

    /**
     * Records the outcome of claimed actions and the calls they made, in one statement (one round
     * trip for any number of actions). Results in input order: `kept` false where the claim was
     * lost (lease expired), `nextDue` when the decision's next action may start now; the attempts
     * are recorded either way (the calls happened).
     */
    async finishMany(
      entries: readonly { item: ActionItem; finish: Finish; attempts: readonly AttemptRecord[] }[],
      maxAttempts: number,
    ): Promise<{ kept: boolean; nextDue: boolean }[]> {
      if (entries.length === 0) return [];
      const outcomes = entries.map(({ item, finish }) => {
        const base = {
          id: item.id,
          claim_token: item.claimToken,
          status: finish.status as string,
          attempts_delta: 0,
          set_result: false,
          result: null as unknown,
          set_error: false,
          last_error: null as string | null,
          set_reason: false,
          reason: null as string | null,
          retry_secs: null as number | null,
          completed: true,
        };
        if (finish.status === 'retry') {
          const outOfAttempts = finish.countAttempt && item.attempts >= maxAttempts;
          return {
            ...base,
            status: outOfAttempts ? 'failed' : 'planned',
            attempts_delta: finish.countAttempt ? 0 : -1,
            set_error: true,
            last_error: finish.error.slice(0, 2000),
            retry_secs: finish.retryInMs / 1000,
            completed: outOfAttempts,
          };
        }
        if (finish.status === 'dry_run') return { ...base, set_reason: true, reason: finish.reason };
        return {
          ...base,
          set_result: true,
          result: finish.result ?? null,
          set_error: true,
          last_error: finish.error?.slice(0, 2000) ?? null,
        };
      });
      const attemptRows = entries.flatMap(({ item, attempts }) =>
        attempts.map((a) => ({
          id: crypto.randomUUID(),
          action_id: item.id,
          attempt: item.attempts,
          started_at: a.startedAt.toISOString(),
          duration_ms: a.durationMs,
          request: a.request,
          http_status: a.httpStatus,
          outcome: a.outcome,
          error_code: a.errorCode,
          error_subcode: a.errorSubcode,
          error: a.error,
          response: a.response ?? null,
        })),
      );
      const kept = rowsOf<{ id: string; next_due: boolean }>(
        await db.execute(sql`
          with tried as (
            insert into action_attempts (id, action_id, attempt, started_at, duration_ms, request,
              http_status, outcome, error_code, error_subcode, error, response)
            select id, action_id, attempt, started_at, duration_ms, request, http_status, outcome,
              error_code, error_subcode, error, response
            from jsonb_to_recordset(${JSON.stringify(attemptRows)}::jsonb) as t(
              id uuid, action_id uuid, attempt integer, started_at timestamptz, duration_ms integer,
              request text, http_status integer, outcome text, error_code integer,
              error_subcode integer, error text, response jsonb)
            returning id
          )
          update actions a set
            status = f.status,
            attempts = greatest(a.attempts + f.attempts_delta, 0),
            result = case when f.set_result then f.result else a.result end,
            last_error = case when f.set_error then f.last_error else a.last_error end,
            reason = case when f.set_reason then f.reason else a.reason end,
            next_attempt_at = case when f.retry_secs is null then a.next_attempt_at
              else now() + make_interval(secs => f.retry_secs) end,
            completed_at = case when f.completed then now() else a.completed_at end,
            lease_until = null,
            claim_token = null,
            lease_holder = null,
            updated_at = now()
          from jsonb_to_recordset(${JSON.stringify(outcomes)}::jsonb) as f(
            id uuid, claim_token uuid, status text, attempts_delta integer, set_result boolean,
            result jsonb, set_error boolean, last_error text, set_reason boolean, reason text,
            retry_secs double precision, completed boolean)
          where a.id = f.id and a.claim_token = f.claim_token and a.status = 'in_progress'
          -- whether this action was holding back the next one of its decision
          returning a.id, f.status <> 'planned' and exists (
            select 1 from actions n
            where n.decision_id = a.decision_id and n.seq > a.seq and n.status = 'planned') as next_due`),
      );
      const byId = new Map(kept.map((r) => [r.id, r.next_due === true]));
      return entries.map(({ item }) => ({ kept: byId.has(item.id), nextDue: byId.get(item.id) ?? false }));
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
