import { jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * Every rule set that ever decided something, by content hash, so an old decision can be
 * explained with the exact rules that made it.
 */
export const ruleSets = pgTable('rule_sets', {
  hash: text('hash').primaryKey(),
  files: jsonb('files').$type<{ path: string; content: string }[]>().notNull(),
  firstSeenAt: timestamp('first_seen_at', { withTimezone: true }).notNull().defaultNow(),
});
