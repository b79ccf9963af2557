import { index, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';

export const erasureKinds = ['data_deletion', 'operator', 'retention'] as const;
export type ErasureKind = (typeof erasureKinds)[number];
export const erasureStatuses = ['pending', 'done', 'failed'] as const;
export type ErasureStatus = (typeof erasureStatuses)[number];

/** Rows rewritten per table by one erasure or retention run. */
export type ErasureCounts = Partial<
  Record<'decisions' | 'deliveries' | 'inbox' | 'actions' | 'actionAttempts' | 'accounts', number>
>;

/**
 * The record that text and identifiers were erased: Meta's data-deletion requests (looked up by
 * confirmation code), erasures an operator ran, and each retention run. It never holds the
 * erased identifier itself, only a keyed hash of it (so a repeated request can be recognised).
 */
export const erasures = pgTable(
  'erasures',
  {
    id: uuid('id').primaryKey(),
    kind: text('kind').$type<ErasureKind>().notNull(),
    /** Alphanumeric code given to Meta; the status URL carries it. Null for retention runs. */
    confirmationCode: text('confirmation_code').unique(),
    /**
     * `hmac-sha256:<hex>` of the erased user id under ERASURE_HASH_KEY (else the app secret);
     * null for retention and when no secret is configured. Rows before this scheme: plain hex SHA-256.
     */
    subjectHash: text('subject_hash'),
    /** Who asked: "meta", "moderator:<name>", "retention". */
    requestedBy: text('requested_by').notNull(),
    status: text('status').$type<ErasureStatus>().notNull().default('pending'),
    /** Retention: rows older than this were redacted. */
    cutoff: timestamp('cutoff', { withTimezone: true }),
    counts: jsonb('counts').$type<ErasureCounts>().notNull().default({}),
    error: text('error'),
    requestedAt: timestamp('requested_at', { withTimezone: true }).notNull().defaultNow(),
    completedAt: timestamp('completed_at', { withTimezone: true }),
  },
  (t) => [index('erasures_kind_requested_idx').on(t.kind, t.requestedAt)],
);
