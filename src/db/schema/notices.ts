import { sql } from 'drizzle-orm';
import { bigserial, index, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import type { Notice } from '../../notify/ports.js';

/**
 * Notices waiting to be sent, on Cloudflare Workers (src/notify/stored.ts): an invocation's timers
 * end with it, so its notices are written here and the cron minute sends them as one message.
 * `key` says what a notice is about (notices with one key merge into one line); a notice is
 * leased while it is being sent (`claimed_until`) and kept a week after `sent_at`.
 */
export const notices = pgTable(
  'notices',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    key: text('key').notNull(),
    notice: jsonb('notice').$type<Notice>().notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    claimedUntil: timestamp('claimed_until', { withTimezone: true }),
    sentAt: timestamp('sent_at', { withTimezone: true }),
  },
  (t) => [
    index('notices_unsent_idx').on(t.id).where(sql`sent_at is null`),
    index('notices_sent_at_idx').on(t.sentAt),
    index('notices_key_idx').on(t.key, t.id),
  ],
);
