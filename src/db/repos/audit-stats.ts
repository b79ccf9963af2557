/**
 * The audit log's counts in SQL: by rule, action, day, account, author or outcome, counted from
 * `decisions` under any filter, or summed from the daily rollup (decision_daily) for whole days.
 * Which days the rollup may answer and how the parts add up is decided in src/audit/query.ts.
 */
import { and, desc, eq, type SQL, sql } from 'drizzle-orm';
import type { Database } from '../client.js';
import { actions } from '../schema/actions.js';
import { decisionDaily } from '../schema/decision-daily.js';
import { decisions } from '../schema/decisions.js';
import { type DecisionFilter, filterConditions, type StatsDimension } from './audit-queries.js';

const d = decisions;

export interface StatsRow {
  readonly key: string | null;
  /** For authors: the latest username seen. */
  readonly label?: string | null;
  readonly decisions: number;
  readonly allow: number;
  readonly reply: number;
  readonly review: number;
  readonly hide: number;
  readonly delete: number;
  /** For rules: decisions this rule decided (the others it fired on, e.g. in shadow or outranked). */
  readonly deciding?: number;
  /**
   * For rules: decisions on which this rule fired in shadow (it acted on nothing; counted here,
   * not under the action the other rules decided).
   */
  readonly shadow?: number;
}

/** Whether rule `rule` (a column or expression) fired in shadow mode in decision `d`. */
export const firedInShadow = (rule: SQL) =>
  sql`exists (select 1 from jsonb_array_elements(${decisions.detail}->'fired') f where f->>'ruleId' = ${rule} and f->>'mode' = 'shadow')`;

const perAction = {
  decisions: sql<number>`count(*)::int`,
  allow: sql<number>`(count(*) filter (where ${d.action} = 'allow'))::int`,
  reply: sql<number>`(count(*) filter (where ${d.action} = 'reply'))::int`,
  review: sql<number>`(count(*) filter (where ${d.action} = 'review'))::int`,
  hide: sql<number>`(count(*) filter (where ${d.action} = 'hide'))::int`,
  delete: sql<number>`(count(*) filter (where ${d.action} = 'delete'))::int`,
};

/**
 * Counts from the daily rollup for whole days [from, to), both 'YYYY-MM-DD' (filters: account,
 * action, rule).
 */
export async function rollupStats(
  db: Database,
  by: StatsDimension,
  filter: DecisionFilter,
  from: string,
  to: string,
): Promise<StatsRow[]> {
  const r = decisionDaily;
  const conds: SQL[] = [sql`${r.day} >= ${from}::date`, sql`${r.day} < ${to}::date`];
  if (filter.account) conds.push(eq(r.accountId, filter.account));
  if (filter.action) conds.push(eq(r.action, filter.action));
  if (by === 'rule') conds.push(sql`${r.rule} <> ''`);
  else conds.push(eq(r.rule, filter.rule ?? ''));
  const key =
    by === 'day'
      ? sql<string>`to_char(${r.day}, 'YYYY-MM-DD')`
      : by === 'action'
        ? sql<string>`${r.action}`
        : by === 'account'
          ? sql<string>`${r.accountId}`
          : sql<string>`${r.rule}`;
  const n = (action: string) =>
    sql<number>`(coalesce(sum(${r.n}) filter (where ${r.action} = ${action}), 0))::int`;
  const rows = await db
    .select({
      key,
      decisions: sql<number>`sum(${r.n})::int`,
      deciding: sql<number>`(coalesce(sum(${r.n}) filter (where ${r.deciding}), 0))::int`,
      shadow: n('shadow'),
      allow: n('allow'),
      reply: n('reply'),
      review: n('review'),
      hide: n('hide'),
      delete: n('delete'),
    })
    .from(r)
    .where(and(...conds))
    .groupBy(key);
  return rows.map(({ deciding, shadow, ...x }) => ({
    ...x,
    key: x.key,
    decisions: Number(x.decisions),
    allow: Number(x.allow),
    reply: Number(x.reply),
    review: Number(x.review),
    hide: Number(x.hide),
    delete: Number(x.delete),
    ...(by === 'rule' ? { deciding: Number(deciding), shadow: Number(shadow) } : {}),
  }));
}

/** Counts straight from `decisions` (any filter). */
export async function rawStats(
  db: Database,
  by: StatsDimension,
  filter: DecisionFilter & { since: Date },
): Promise<StatsRow[]> {
  const where = and(...filterConditions(filter));
  const num = (r: Record<string, unknown>) => ({
    decisions: Number(r.decisions),
    allow: Number(r.allow),
    reply: Number(r.reply),
    review: Number(r.review),
    hide: Number(r.hide),
    delete: Number(r.delete),
  });
  switch (by) {
    case 'day': {
      // Group on the truncated timestamp (cheap) and format only the groups.
      const trunc = sql`date_trunc('day', ${d.createdAt} at time zone 'UTC')`;
      const rows = await db
        .select({ key: sql<string>`to_char(${trunc}, 'YYYY-MM-DD')`, ...perAction })
        .from(d)
        .where(where)
        .groupBy(trunc)
        .orderBy(trunc)
        .limit(500);
      return rows.map((r) => ({ key: r.key, ...num(r) }));
    }
    case 'action':
    case 'account': {
      const col = by === 'action' ? d.action : d.accountId;
      const rows = await db
        .select({ key: col, ...perAction })
        .from(d)
        .where(where)
        .groupBy(col)
        .orderBy(desc(sql`count(*)`))
        .limit(500);
      return rows.map((r) => ({ key: r.key, ...num(r) }));
    }
    case 'author': {
      const rows = await db
        .select({
          key: d.authorId,
          label: sql<string | null>`(array_agg(${d.authorUsername} order by ${d.createdAt} desc))[1]`,
          ...perAction,
        })
        .from(d)
        .where(where)
        .groupBy(d.authorId)
        .orderBy(desc(sql`count(*)`))
        .limit(500);
      return rows.map((r) => ({ key: r.key, label: r.label, ...num(r) }));
    }
    case 'outcome': {
      // What became of the actions decisions planned (actions outbox), in the same window; the
      // action columns count them by what was planned (the action's kind, or the decision's
      // action when it planned none).
      const planned = sql`coalesce(a.type, ${d.action})`;
      const rows = await db
        .select({
          key: sql<string>`coalesce(a.status, case when ${d.action} = 'allow' then 'allowed' when ${d.dryRun} then 'dry_run' else 'none' end)`,
          decisions: sql<number>`count(*)::int`,
          allow: sql<number>`(count(*) filter (where ${planned} = 'allow'))::int`,
          reply: sql<number>`(count(*) filter (where ${planned} = 'reply'))::int`,
          review: sql<number>`(count(*) filter (where ${planned} = 'review'))::int`,
          hide: sql<number>`(count(*) filter (where ${planned} = 'hide'))::int`,
          delete: sql<number>`(count(*) filter (where ${planned} = 'delete'))::int`,
        })
        .from(d)
        .leftJoin(sql`${actions} a`, sql`a.decision_id = ${d.id}`)
        .where(where)
        .groupBy(sql`1`)
        .orderBy(desc(sql`count(*)`))
        .limit(500);
      return rows.map((r) => ({ key: r.key, ...num(r) }));
    }
    case 'rule': {
      // A rule that fired in shadow acted on nothing: it is counted in its own column, not
      // under the action the enforced rules decided.
      const shadow = firedInShadow(sql`r.rule`);
      const counted = (action: string) =>
        sql`(count(*) filter (where ${d.action} = ${action} and not ${shadow}))::int`;
      const result = await db.execute(sql`
        select r.rule as key, count(*)::int as decisions,
               (count(*) filter (where ${d.decidingRule} = r.rule))::int as deciding,
               (count(*) filter (where ${shadow}))::int as shadow,
               ${counted('allow')} as allow,
               ${counted('reply')} as reply,
               ${counted('review')} as review,
               ${counted('hide')} as hide,
               ${counted('delete')} as delete
        from ${d} cross join lateral unnest(${d.firedRules}) as r(rule)
        where ${where}
        group by r.rule order by count(*) desc limit 500`);
      const rows = (Array.isArray(result) ? result : ((result as { rows?: unknown[] }).rows ?? [])) as Record<
        string,
        unknown
      >[];
      return rows.map((r) => ({
        key: String(r.key),
        ...num(r),
        deciding: Number(r.deciding),
        shadow: Number(r.shadow),
      }));
    }
  }
}
