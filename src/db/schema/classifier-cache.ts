import { index, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/** Classifier results by key (classifier, model, question and normalised-text hash), with a TTL. */
export const classifierCache = pgTable(
  'classifier_cache',
  {
    key: text('key').primaryKey(),
    result: jsonb('result').notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('classifier_cache_expires_idx').on(t.expiresAt)],
);
