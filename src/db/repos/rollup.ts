/**
 * SQL for the daily rollup (decision_daily): how far it goes, where the decisions begin, and the
 * replacement of a range of days with counts from `decisions` (one transaction). When to roll up
 * and which days are closed is decided in src/audit/rollup.ts.
 */
import { sql } from 'drizzle-orm';
import { type Database, rowsOf } from '../client.js';
import { decisionDaily } from '../schema/decision-daily.js';
import { decisions } from '../schema/decisions.js';
import { firedInShadow } from './audit-stats.js';

export interface RollupRepo {
  /** The last day rolled up ('YYYY-MM-DD'), or null when nothing was. */
  lastRolledDay(): Promise<string | null>;
  /** The UTC day of the first decision ('YYYY-MM-DD'), or null when there is none. */
  firstDecisionDay(): Promise<string | null>;
  /**
   * Replaces the counts of days [fromDay, toDay) with those of the decisions made in
   * [start, end) (the same range as instants), in one transaction. Returns the rows written.
   */
  replaceDays(range: { fromDay: string; toDay: string; start: string; end: string }): Promise<number>;
}

export function createRollupRepo(db: Database): RollupRepo {
  return {
    async lastRolledDay() {
      const [row] = rowsOf<{ d: string | null }>(
        await db.execute(
          sql`select to_char(max(${decisionDaily.day}), 'YYYY-MM-DD') as d from ${decisionDaily}`,
        ),
      );
      return row?.d ?? null;
    },

    async firstDecisionDay() {
      const [first] = rowsOf<{ t: string | null }>(
        await db.execute(
          sql`select to_char(min(created_at) at time zone 'UTC', 'YYYY-MM-DD') as t from ${decisions}`,
        ),
      );
      return first?.t ?? null;
    },

    async replaceDays({ fromDay, toDay, start, end }) {
      return db.transaction(async (tx) => {
        await tx.execute(
          sql`delete from ${decisionDaily} where day >= ${fromDay}::date and day < ${toDay}::date`,
        );
        const result = await tx.execute(sql`
          insert into ${decisionDaily} (day, account_id, action, rule, deciding, n)
          select (created_at at time zone 'UTC')::date, account_id, action, '', false, count(*)::int
            from ${decisions} where created_at >= ${start}::timestamptz and created_at < ${end}::timestamptz
            group by 1, 2, 3
          union all
          select (created_at at time zone 'UTC')::date, account_id,
                 case when ${firedInShadow(sql`r.rule`)} then 'shadow' else action end,
                 r.rule, deciding_rule is not distinct from r.rule, count(*)::int
            from ${decisions} cross join lateral unnest(fired_rules) as r(rule)
            where created_at >= ${start}::timestamptz and created_at < ${end}::timestamptz
            group by 1, 2, 3, 4, 5
          on conflict do nothing
          returning 1`);
        return rowsOf(result).length;
      });
    },
  };
}
