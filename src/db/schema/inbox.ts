import { sql } from 'drizzle-orm';
import { bigint, boolean, index, jsonb, pgTable, smallint, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { leaseColumns, rowTimes } from './columns.js';

/** Inbox states: pending → processing (leased) → done | pending (retry later) | dead; tests are skipped. */
export const inboxStatuses = ['pending', 'processing', 'done', 'dead', 'skipped'] as const;
export type InboxStatus = (typeof inboxStatuses)[number];

/**
 * One row per event to moderate. The unique dedupe key (account, field, comment or media id)
 * makes Meta's retries and duplicate deliveries collapse onto one row.
 */
export const inbox = pgTable(
  'inbox',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    deliveryId: uuid('delivery_id').notNull(),
    dedupeKey: text('dedupe_key').notNull().unique(),
    accountId: text('account_id').notNull(),
    field: text('field').notNull(),
    kind: text('kind').notNull(),
    commentId: text('comment_id'),
    mediaId: text('media_id'),
    /** The normalised event (InstagramEvent as JSON). */
    event: jsonb('event').notNull(),
    isTest: boolean('is_test').notNull().default(false),
    status: text('status').$type<InboxStatus>().notNull().default('pending'),
    /** Lower runs first (e.g. hides before replies in a backlog). */
    priority: smallint('priority').notNull().default(0),
    ...leaseColumns(),
    ...rowTimes(),
    processedAt: timestamp('processed_at', { withTimezone: true }),
  },
  (t) => [
    index('inbox_due_idx').on(t.priority, t.nextAttemptAt).where(sql`status = 'pending'`),
    index('inbox_lease_idx').on(t.leaseUntil).where(sql`status = 'processing'`),
    index('inbox_account_created_idx').on(t.accountId, t.createdAt),
  ],
);
