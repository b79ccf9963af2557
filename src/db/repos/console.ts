/**
 * What the moderator console shows that the audit queries do not: the spread of classifier
 * scores, and the health of the two work queues (backlog, dead letters, last webhook) per
 * account. Read-only; every value reaches SQL as a bound parameter.
 */
import { sql } from 'drizzle-orm';
import { type Database, rowsOf } from '../client.js';

export interface ScoreBucket {
  /** "classifier:category", e.g. "builtin:spam". */
  readonly series: string;
  /** 0..9: scores in [bucket/10, (bucket+1)/10), 1.0 counted in 9. */
  readonly bucket: number;
  readonly count: number;
}

export interface QueueHealth {
  readonly accountId: string;
  /** Events stored and not yet decided (pending or being processed). */
  readonly backlog: number;
  /** Events that failed every attempt (dead letters). */
  readonly deadEvents: number;
  /** Graph API actions waiting to run (planned, running, waiting on the one before). */
  readonly pendingActions: number;
  /** Graph API actions that failed for good. */
  readonly failedActions: number;
  /** When the last event for this account was stored (≈ the last webhook received). */
  readonly lastReceivedAt: string | null;
}

export interface DeadLetter {
  readonly id: number;
  readonly accountId: string;
  readonly kind: string;
  readonly commentId: string | null;
  readonly attempts: number;
  readonly lastError: string | null;
  readonly updatedAt: string;
}

const iso = (v: unknown): string | null =>
  v === null || v === undefined ? null : new Date(v as string | Date).toISOString();

export function createConsoleRepo(db: Database) {
  return {
    /** Every score every classifier gave since `since`, in tenths, per classifier and category. */
    async scoreHistogram(since: Date): Promise<ScoreBucket[]> {
      const rows = rowsOf<{ series: string; bucket: number; count: number }>(
        await db.execute(sql`
          select (c.call->>'classifier') || ':' || s.key as series,
                 least(greatest(floor((s.value #>> '{}')::float8 * 10), 0), 9)::int as bucket,
                 count(*)::int as count
          from decisions d
          cross join lateral jsonb_array_elements(
            case when jsonb_typeof(d.detail->'classifierCalls') = 'array'
                 then d.detail->'classifierCalls' else '[]'::jsonb end) as c(call)
          cross join lateral jsonb_each(
            case when jsonb_typeof(c.call->'result'->'scores') = 'object'
                 then c.call->'result'->'scores' else '{}'::jsonb end) as s(key, value)
          where d.created_at >= ${since.toISOString()}::timestamptz
            and jsonb_typeof(s.value) = 'number'
          group by 1, 2
          order by 1, 2`),
      );
      return rows.map((r) => ({ series: r.series, bucket: Number(r.bucket), count: Number(r.count) }));
    },

    /** Backlog, dead letters and the last event per account (the accounts given, plus any with work). */
    async queueHealth(accountIds: readonly string[]): Promise<QueueHealth[]> {
      const rows = rowsOf<{
        account_id: string;
        backlog: number;
        dead_events: number;
        pending_actions: number;
        failed_actions: number;
        last_received_at: string | Date | null;
      }>(
        await db.execute(sql`
          with ev as (
            select account_id,
                   count(*) filter (where status in ('pending', 'processing'))::int as backlog,
                   count(*) filter (where status = 'dead')::int as dead_events
            from inbox where status in ('pending', 'processing', 'dead') group by account_id
          ), ac as (
            select account_id,
                   count(*) filter (where status in ('planned', 'in_progress', 'waiting'))::int as pending_actions,
                   count(*) filter (where status = 'failed')::int as failed_actions
            from actions where status in ('planned', 'in_progress', 'waiting', 'failed') group by account_id
          ), ids as (
            select unnest(array[${sql.join(
              accountIds.map((a) => sql`${a}`),
              sql`, `,
            )}]::text[]) as account_id
            union select account_id from ev union select account_id from ac
          )
          select ids.account_id,
                 coalesce(ev.backlog, 0) as backlog, coalesce(ev.dead_events, 0) as dead_events,
                 coalesce(ac.pending_actions, 0) as pending_actions, coalesce(ac.failed_actions, 0) as failed_actions,
                 (select max(i.created_at) from inbox i where i.account_id = ids.account_id) as last_received_at
          from ids left join ev using (account_id) left join ac using (account_id)
          order by ids.account_id`),
      );
      return rows.map((r) => ({
        accountId: r.account_id,
        backlog: Number(r.backlog),
        deadEvents: Number(r.dead_events),
        pendingActions: Number(r.pending_actions),
        failedActions: Number(r.failed_actions),
        lastReceivedAt: iso(r.last_received_at),
      }));
    },

    /** The newest dead-lettered events, with why they failed. */
    async deadLetters(limit: number): Promise<DeadLetter[]> {
      const rows = rowsOf<{
        id: number;
        account_id: string;
        kind: string;
        comment_id: string | null;
        attempts: number;
        last_error: string | null;
        updated_at: string | Date;
      }>(
        await db.execute(sql`
          select id, account_id, kind, comment_id, attempts, last_error, updated_at
          from inbox where status = 'dead' order by updated_at desc, id desc limit ${limit}`),
      );
      return rows.map((r) => ({
        id: Number(r.id),
        accountId: r.account_id,
        kind: r.kind,
        commentId: r.comment_id,
        attempts: Number(r.attempts),
        lastError: r.last_error,
        updatedAt: iso(r.updated_at) ?? '',
      }));
    },
  };
}

export type ConsoleRepo = ReturnType<typeof createConsoleRepo>;
