/**
 * Columns the two work queues (inbox events, actions) share: a claim is leased (`lease_until`,
 * `claim_token`), retried with backoff (`attempts`, `next_attempt_at`, `last_error`), and each
 * row keeps when it was created and last changed. Written once so the queues stay alike.
 */
import { integer, text, timestamp, uuid } from 'drizzle-orm/pg-core';

export function leaseColumns() {
  return {
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true }).notNull().defaultNow(),
    leaseUntil: timestamp('lease_until', { withTimezone: true }),
    /** Identifies the current claim, so a worker whose lease expired cannot complete a reclaimed row. */
    claimToken: uuid('claim_token'),
    /** The process holding the lease (its advisory lock id, src/db/process-lock.ts); null on PGlite. */
    leaseHolder: integer('lease_holder'),
    lastError: text('last_error'),
  };
}

export function rowTimes() {
  return {
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  };
}
