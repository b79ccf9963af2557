import { integer, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * What the catch-up sweep last saw of each media it looked at: its comments_count when its
 * comments were last listed in full. A media whose count moved since is one with recent activity,
 * worth listing again even when it was published long ago (src/pipeline/sweep-account.ts).
 */
export const mediaActivity = pgTable(
  'media_activity',
  {
    accountId: text('account_id').notNull(),
    mediaId: text('media_id').notNull(),
    commentsCount: integer('comments_count').notNull(),
    sweptAt: timestamp('swept_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.accountId, t.mediaId] })],
);
