import { boolean, integer, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';

/**
 * Every webhook delivery that passed the signature check, byte for byte. Meta keeps no copy of
 * what it sent, so this is the record of last resort (replay, forensics).
 */
export const deliveries = pgTable('deliveries', {
  id: uuid('id').primaryKey(),
  receivedAt: timestamp('received_at', { withTimezone: true }).notNull().defaultNow(),
  requestId: text('request_id'),
  /** Which secret's signature matched: meta or instagram. */
  signedWith: text('signed_with').notNull(),
  /** The raw body exactly as received (Meta escapes non-ASCII, so it is ASCII JSON in practice). */
  body: text('body').notNull(),
  changeCount: integer('change_count').notNull(),
  eventCount: integer('event_count').notNull(),
  /** Changes we store but do not moderate, with why: [{field, reason}]. */
  unhandled: jsonb('unhandled').$type<{ field: string | null; reason: string }[]>().notNull().default([]),
  isTest: boolean('is_test').notNull().default(false),
});
