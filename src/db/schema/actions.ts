import { sql } from 'drizzle-orm';
import {
  bigint,
  index,
  integer,
  jsonb,
  pgTable,
  smallint,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
// The outbox's vocabulary belongs to the pipeline (what modbot plans); stored here as text.
import type { ActionStatus, ActionType } from '../../pipeline/plan.js';
import { leaseColumns, rowTimes } from './columns.js';

/**
 * What modbot (or a moderator) does on Instagram: an outbox. Rows are written in the same
 * transaction as their decision (intent first), then executed by the actuator, exactly once.
 */
export const actions = pgTable(
  'actions',
  {
    id: uuid('id').primaryKey(),
    /** The decision that planned it; null for moderator actions taken outside a decision. */
    decisionId: uuid('decision_id'),
    inboxId: bigint('inbox_id', { mode: 'number' }),
    accountId: text('account_id').notNull(),
    commentId: text('comment_id'),
    mediaId: text('media_id'),
    type: text('type').$type<ActionType>().notNull(),
    /** Reply text (after template expansion). */
    message: text('message'),
    /** Order within its decision (a reply goes before a hide: Meta refuses replies under hidden comments). */
    seq: smallint('seq').notNull().default(0),
    /** Lower runs first: hides and deletes before replies in a backlog. */
    priority: smallint('priority').notNull().default(0),
    /** "modbot", or "moderator:<name>" for actions taken through the CLI or the API. */
    actor: text('actor').notNull().default('modbot'),
    ruleId: text('rule_id'),
    status: text('status').$type<ActionStatus>().notNull().default('planned'),
    /** Why it was not executed (dry run, shadow rule, no token). */
    reason: text('reason'),
    ...leaseColumns(),
    /** The Graph API's answer when done (e.g. the new reply's id). */
    result: jsonb('result'),
    ...rowTimes(),
    completedAt: timestamp('completed_at', { withTimezone: true }),
  },
  (t) => [
    uniqueIndex('actions_decision_seq_idx').on(t.decisionId, t.seq),
    index('actions_due_idx').on(t.priority, t.nextAttemptAt).where(sql`status = 'planned'`),
    index('actions_lease_idx').on(t.leaseUntil).where(sql`status = 'in_progress'`),
    index('actions_account_idx').on(t.accountId, t.createdAt),
    index('actions_comment_idx').on(t.commentId),
    // One waiting reopening per media (a lockdown fires once however many comments trigger it).
    uniqueIndex('actions_one_reopening_idx')
      .on(t.accountId, t.mediaId)
      .where(sql`type = 'comments_on' and status in ('planned', 'in_progress')`),
  ],
);

/** Every call made for an action (append-only): request without secrets, status, classified outcome. */
export const actionAttempts = pgTable(
  'action_attempts',
  {
    id: uuid('id').primaryKey(),
    actionId: uuid('action_id').notNull(),
    attempt: integer('attempt').notNull(),
    startedAt: timestamp('started_at', { withTimezone: true }).notNull(),
    durationMs: integer('duration_ms').notNull(),
    /** e.g. "POST /v25.0/{comment-id}?hide=true" (never a token). */
    request: text('request').notNull(),
    httpStatus: integer('http_status'),
    /** ok | transient | throttled | token | permission | invalid | gone | unknown */
    outcome: text('outcome').notNull(),
    errorCode: integer('error_code'),
    errorSubcode: integer('error_subcode'),
    error: text('error'),
    response: jsonb('response'),
  },
  (t) => [index('action_attempts_action_idx').on(t.actionId)],
);
