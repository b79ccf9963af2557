/**
 * Daily counts for stats over long windows (decision_daily). A day is rolled up once it is
 * closed (its end is `settleMinutes` in the past, so no transaction still running can add to
 * it); stats read whole closed days from here and count the open edges (the first partial day,
 * today) from `decisions`, so answers are exact and never wait for the job. Derived data:
 * recomputed per day, safe to run from several processes, safe to drop.
 */
import { sql } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { rowsOf } from '../db/client.js';
import { decisionDaily } from '../db/schema/decision-daily.js';
import { decisions } from '../db/schema/decisions.js';

const DAY = 86_400_000;

export function utcDay(t: Date | number): string {
  return new Date(typeof t === 'number' ? t : t.getTime()).toISOString().slice(0, 10);
}

/** Midnight UTC of the day `t` is in. */
export function floorDay(t: Date): Date {
  return new Date(Math.floor(t.getTime() / DAY) * DAY);
}

/** The first midnight UTC at or after `t`. */
export function ceilDay(t: Date): Date {
  return new Date(Math.ceil(t.getTime() / DAY) * DAY);
}

/** Days rolled up so far: [first day ever, `until`) — `until` null when nothing was rolled up. */
export async function rolledUntil(db: Database): Promise<Date | null> {
  const [row] = rowsOf<{ d: string | null }>(
    await db.execute(sql`select to_char(max(${decisionDaily.day}), 'YYYY-MM-DD') as d from ${decisionDaily}`),
  );
  return row?.d ? new Date(Date.parse(`${row.d}T00:00:00Z`) + DAY) : null;
}

/** Rolls up every closed day not yet rolled up (one statement; the first run covers all history). */
export async function rollUpClosedDays(
  db: Database,
  options: { now?: Date; settleMinutes?: number } = {},
): Promise<{ from: string | null; to: string; rows: number }> {
  const now = options.now ?? new Date();
  const closedUntil = floorDay(new Date(now.getTime() - (options.settleMinutes ?? 10) * 60_000));
  let from = await rolledUntil(db);
  if (!from) {
    const [first] = rowsOf<{ t: string | null }>(
      await db.execute(
        sql`select to_char(min(created_at) at time zone 'UTC', 'YYYY-MM-DD') as t from ${decisions}`,
      ),
    );
    if (!first?.t) return { from: null, to: utcDay(closedUntil), rows: 0 };
    from = new Date(`${first.t}T00:00:00Z`);
  }
  if (from >= closedUntil) return { from: utcDay(from), to: utcDay(closedUntil), rows: 0 };
  const start = from.toISOString();
  const end = closedUntil.toISOString();
  const inserted = await db.transaction(async (tx) => {
    await tx.execute(
      sql`delete from ${decisionDaily} where day >= ${utcDay(from)}::date and day < ${utcDay(closedUntil)}::date`,
    );
    const result = await tx.execute(sql`
      insert into ${decisionDaily} (day, account_id, action, rule, deciding, n)
      select (created_at at time zone 'UTC')::date, account_id, action, '', false, count(*)::int
        from ${decisions} where created_at >= ${start}::timestamptz and created_at < ${end}::timestamptz
        group by 1, 2, 3
      union all
      select (created_at at time zone 'UTC')::date, account_id, action, r.rule, deciding_rule is not distinct from r.rule, count(*)::int
        from ${decisions} cross join lateral unnest(fired_rules) as r(rule)
        where created_at >= ${start}::timestamptz and created_at < ${end}::timestamptz
        group by 1, 2, 3, 4, 5
      on conflict do nothing
      returning 1`);
    return rowsOf(result).length;
  });
  return { from: utcDay(from), to: utcDay(closedUntil), rows: inserted };
}
