import { boolean, date, index, integer, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * Daily counts of decisions, rolled up from `decisions` for closed days (src/audit/rollup.ts), so
 * stats over weeks read a few thousand rows instead of hundreds of thousands. `rule` is '' for
 * the one row per decision (by day, account, action); other rows count each rule that fired,
 * `deciding` telling whether it decided. Derived data: it can be dropped and rebuilt at any time.
 */
export const decisionDaily = pgTable(
  'decision_daily',
  {
    day: date('day', { mode: 'string' }).notNull(),
    accountId: text('account_id').notNull(),
    action: text('action').notNull(),
    rule: text('rule').notNull(),
    deciding: boolean('deciding').notNull(),
    n: integer('n').notNull(),
    rolledUpAt: timestamp('rolled_up_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.day, t.accountId, t.action, t.rule, t.deciding] }),
    index('decision_daily_rule_day_idx').on(t.rule, t.day),
  ],
);
