import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  customType,
  index,
  integer,
  jsonb,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';

/** Postgres full-text vector (audit text search). */
const tsvector = customType<{ data: string }>({ dataType: () => 'tsvector' });

/**
 * The audit log: one row per moderated event, append-only (corrections are new entries).
 * Each row explains itself: text as written and normalised, the rule set's hash, the rules that
 * fired and why, classifier results, what was planned. No foreign keys: audit rows outlive
 * what they describe.
 */
export const decisions = pgTable(
  'decisions',
  {
    id: uuid('id').primaryKey(),
    /** The inbox row decided; unique, so a retried or reclaimed event is never decided twice. */
    inboxId: bigint('inbox_id', { mode: 'number' }).notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    accountId: text('account_id').notNull(),
    kind: text('kind').notNull(),
    commentId: text('comment_id'),
    mediaId: text('media_id'),
    authorId: text('author_id'),
    authorUsername: text('author_username'),
    text: text('text'),
    normalisedText: text('normalised_text'),
    textHash: text('text_hash'),
    ruleSetHash: text('rule_set_hash').notNull(),
    /** matched | no_match | skipped */
    outcome: text('outcome').notNull(),
    /** allow | reply | review | hide | delete */
    action: text('action').notNull(),
    decidingRule: text('deciding_rule'),
    firedRules: text('fired_rules').array().notNull().default(sql`'{}'::text[]`),
    /** The whole decision as the engine returned it (rules fired with why, classifier calls, fallbacks, shadow). */
    detail: jsonb('detail').notNull(),
    /** Planned steps (reply, hide, delete, review), in execution order. */
    steps: jsonb('steps').notNull(),
    dryRun: boolean('dry_run').notNull(),
    durationMs: integer('duration_ms').notNull(),
    /** Set when retention or an erasure replaced text and identifiers with a tombstone (src/audit/erase-subject.ts). */
    redactedAt: timestamp('redacted_at', { withTimezone: true }),
    /** Words of the text as written and normalised, for audit text search (kept by Postgres; empty once redacted). */
    search: tsvector('search').generatedAlwaysAs(
      sql`to_tsvector('simple', coalesce(text, '') || ' ' || coalesce(normalised_text, ''))`,
    ),
  },
  (t) => [
    uniqueIndex('decisions_inbox_idx').on(t.inboxId),
    index('decisions_account_created_idx').on(t.accountId, t.createdAt),
    // Repetition conditions: same normalised text on the account (or by the author) within a window.
    index('decisions_repetition_idx').on(t.accountId, t.textHash, t.createdAt),
    index('decisions_comment_idx').on(t.commentId),
    // Audit queries (src/db/repos/audit-*.ts; measured by bench/audit.ts): time ranges, rules, authors, text.
    // (time, account, action): stats by day/account/action read only the index.
    index('decisions_created_account_action_idx').on(t.createdAt, t.accountId, t.action),
    index('decisions_fired_rules_idx').using('gin', t.firedRules),
    index('decisions_author_created_idx').on(t.authorId, t.createdAt),
    index('decisions_username_created_idx').on(sql`lower(${t.authorUsername})`, t.createdAt),
    index('decisions_search_idx').using('gin', t.search),
  ],
);
