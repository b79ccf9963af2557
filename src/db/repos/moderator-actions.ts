/**
 * SQL for what moderators do (src/audit/moderator-action.ts decides what): the decision a request names,
 * the actions already on its comment, new moderator rows in the outbox, cancelling rows not yet
 * started, all in one transaction per request; and the review queue (actions held for a person).
 */
import { and, desc, eq, inArray, sql } from 'drizzle-orm';
import type { ActionStatus, ActionType } from '../../pipeline/plan.js';
import type { Database } from '../client.js';
import { actions } from '../schema/actions.js';
import { decisions } from '../schema/decisions.js';

/** The comment a request is about, from the decision it names. */
export interface DecisionTarget {
  readonly id: string;
  readonly accountId: string;
  readonly commentId: string | null;
  readonly mediaId: string | null;
}

export interface ActionOnComment {
  readonly id: string;
  readonly type: ActionType;
  readonly status: ActionStatus;
  readonly createdAt: Date;
}

/** The statements of one request, in its transaction, on one comment. */
export interface CommentActions {
  /** Every action on the comment, oldest first. */
  list(): Promise<ActionOnComment[]>;
  /** A moderator's row (no decision): `planned` for the actuator, or `dismissed` as a record. */
  add(row: {
    id: string;
    mediaId: string | null;
    type: ActionType;
    message: string | null;
    priority: number;
    actor: string;
    status: 'planned' | 'dismissed';
    reason: string | null;
  }): Promise<void>;
  /** Dismisses the comment's rows of these types and statuses; returns them. */
  dismiss(
    types: readonly ActionType[],
    statuses: readonly string[],
    reason: string,
  ): Promise<{ id: string; type: ActionType }[]>;
}

export interface HeldAction {
  readonly actionId: string;
  readonly heldAt: Date;
  readonly accountId: string;
  readonly commentId: string | null;
  readonly mediaId: string | null;
  readonly decisionId: string | null;
  readonly ruleId: string | null;
  readonly authorUsername: string | null;
  readonly authorId: string | null;
  readonly text: string | null;
  readonly decidingRule: string | null;
}

export interface ModeratorActionsRepo {
  /** The decision with this id, or the latest about this comment id. */
  findTarget(key: string, by: 'id' | 'comment'): Promise<DecisionTarget | null>;
  /** Runs `work` in one transaction with the statements on this comment. */
  onComment<T>(
    accountId: string,
    commentId: string,
    work: (comment: CommentActions) => Promise<T>,
  ): Promise<T>;
  /** Actions held for review, oldest first, after the action `after` (keyset): at most `limit`. */
  held(options: {
    account?: string | undefined;
    limit: number;
    after?: string | undefined;
  }): Promise<HeldAction[]>;
}

export function createModeratorActionsRepo(db: Database): ModeratorActionsRepo {
  return {
    async findTarget(key, by) {
      const [row] = await db
        .select({
          id: decisions.id,
          accountId: decisions.accountId,
          commentId: decisions.commentId,
          mediaId: decisions.mediaId,
        })
        .from(decisions)
        .where(by === 'id' ? eq(decisions.id, key) : eq(decisions.commentId, key))
        .orderBy(desc(decisions.createdAt))
        .limit(1);
      return row ?? null;
    },

    onComment(accountId, commentId, work) {
      return db.transaction((tx) => {
        const onComment = and(eq(actions.accountId, accountId), eq(actions.commentId, commentId));
        return work({
          list: () =>
            tx
              .select({
                id: actions.id,
                type: actions.type,
                status: actions.status,
                createdAt: actions.createdAt,
              })
              .from(actions)
              .where(onComment)
              .orderBy(actions.createdAt),
          async add(row) {
            await tx.insert(actions).values({
              id: row.id,
              decisionId: null,
              accountId,
              commentId,
              mediaId: row.mediaId,
              type: row.type,
              message: row.message,
              priority: row.priority,
              actor: row.actor,
              status: row.status,
              reason: row.reason,
              ...(row.status === 'dismissed' ? { completedAt: new Date() } : {}),
            });
          },
          dismiss: (types, statuses, reason) =>
            tx
              .update(actions)
              .set({ status: 'dismissed', reason, completedAt: new Date(), updatedAt: new Date() })
              .where(
                and(
                  onComment,
                  inArray(actions.type, [...types]),
                  inArray(actions.status, statuses as never[]),
                ),
              )
              .returning({ id: actions.id, type: actions.type }),
        });
      });
    },

    held(options) {
      const conditions = [eq(actions.status, 'held')];
      if (options.account) conditions.push(eq(actions.accountId, options.account));
      if (options.after) {
        conditions.push(
          sql`(${actions.createdAt}, ${actions.id}) > (select a2.created_at, a2.id from ${actions} a2 where a2.id = ${options.after}::uuid)`,
        );
      }
      return db
        .select({
          actionId: actions.id,
          heldAt: actions.createdAt,
          accountId: actions.accountId,
          commentId: actions.commentId,
          mediaId: actions.mediaId,
          decisionId: actions.decisionId,
          ruleId: actions.ruleId,
          authorUsername: decisions.authorUsername,
          authorId: decisions.authorId,
          text: decisions.text,
          decidingRule: decisions.decidingRule,
        })
        .from(actions)
        .leftJoin(decisions, eq(decisions.id, actions.decisionId))
        .where(and(...conditions))
        .orderBy(actions.createdAt, actions.id)
        .limit(options.limit);
    },
  };
}
