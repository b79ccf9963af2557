/**
 * Daily counts for stats over long windows (decision_daily). A day is rolled up once it is
 * closed (its end is `settleMinutes` in the past, so no transaction still running can add to
 * it); stats read whole closed days from here and count the open edges (the first partial day,
 * today) from `decisions`, so answers are exact and never wait for the job. Derived data:
 * recomputed per day, safe to run from several processes, safe to drop. The SQL is in
 * src/db/repos/rollup.ts.
 */
import type { Database } from '../db/client.js';
import { createRollupRepo } from '../db/repos/rollup.js';

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
  const last = await createRollupRepo(db).lastRolledDay();
  return last ? new Date(Date.parse(`${last}T00:00:00Z`) + DAY) : null;
}

/** Rolls up every closed day not yet rolled up (one statement; the first run covers all history). */
export async function rollUpClosedDays(
  db: Database,
  options: { now?: Date; settleMinutes?: number } = {},
): Promise<{ from: string | null; to: string; rows: number }> {
  const repo = createRollupRepo(db);
  const now = options.now ?? new Date();
  const closedUntil = floorDay(new Date(now.getTime() - (options.settleMinutes ?? 10) * 60_000));
  let from = await rolledUntil(db);
  if (!from) {
    const first = await repo.firstDecisionDay();
    if (!first) return { from: null, to: utcDay(closedUntil), rows: 0 };
    from = new Date(`${first}T00:00:00Z`);
  }
  if (from >= closedUntil) return { from: utcDay(from), to: utcDay(closedUntil), rows: 0 };
  const inserted = await repo.replaceDays({
    fromDay: utcDay(from),
    toDay: utcDay(closedUntil),
    start: from.toISOString(),
    end: closedUntil.toISOString(),
  });
  return { from: utcDay(from), to: utcDay(closedUntil), rows: inserted };
}
