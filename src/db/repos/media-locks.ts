/**
 * SQL for locking and unlocking a media's comments by hand (src/audit/lock-media.ts decides
 * what): the account a media belongs to, its lockdown rows in the actions outbox (comments_off,
 * comments_on), new moderator rows and cancelling rows not yet started, in one transaction.
 */
import { and, desc, eq, inArray, sql } from 'drizzle-orm';
import type { ActionStatus } from '../../pipeline/plan.js';
import type { Database } from '../client.js';
import { actions } from '../schema/actions.js';
import { decisions } from '../schema/decisions.js';

export type LockActionType = 'comments_off' | 'comments_on';

export interface LockRow {
  readonly id: string;
  readonly type: LockActionType;
  readonly status: ActionStatus;
  readonly actor: string;
  readonly ruleId: string | null;
  readonly reason: string | null;
  /** When it runs (a reopening waits until the lockdown is over). */
  readonly dueAt: Date;
  readonly createdAt: Date;
  readonly completedAt: Date | null;
}

/** The statements of one request, in its transaction, on one media. */
export interface MediaLockActions {
  /** Lockdown rows not yet finished (planned or in progress), oldest first. */
  pending(): Promise<LockRow[]>;
  /** A moderator's row; false when a waiting reopening already exists (one per media). */
  add(row: {
    id: string;
    type: LockActionType;
    actor: string;
    priority: number;
    reason: string | null;
    dueAt: Date | null;
  }): Promise<boolean>;
  /** Dismisses these rows if they are still planned; returns those dismissed. */
  dismiss(ids: readonly string[], reason: string): Promise<string[]>;
}

export function createMediaLocksRepo(db: Database) {
  const lockTypes: LockActionType[] = ['comments_off', 'comments_on'];
  const columns = {
    id: actions.id,
    type: sql<LockActionType>`${actions.type}`,
    status: actions.status,
    actor: actions.actor,
    ruleId: actions.ruleId,
    reason: actions.reason,
    dueAt: actions.nextAttemptAt,
    createdAt: actions.createdAt,
    completedAt: actions.completedAt,
  };
  return {
    /** The account of the latest decision about this media, or null when modbot has seen none. */
    async accountOf(mediaId: string): Promise<string | null> {
      const [row] = await db
        .select({ accountId: decisions.accountId })
        .from(decisions)
        .where(eq(decisions.mediaId, mediaId))
        .orderBy(desc(decisions.createdAt))
        .limit(1);
      return row?.accountId ?? null;
    },

    /** Every lockdown row of the media, newest first (at most `limit`). */
    history(accountId: string, mediaId: string, limit: number): Promise<LockRow[]> {
      return db
        .select(columns)
        .from(actions)
        .where(
          and(
            eq(actions.accountId, accountId),
            eq(actions.mediaId, mediaId),
            inArray(actions.type, lockTypes),
          ),
        )
        .orderBy(desc(actions.createdAt), desc(actions.seq))
        .limit(limit);
    },

    onMedia<T>(accountId: string, mediaId: string, work: (m: MediaLockActions) => Promise<T>): Promise<T> {
      return db.transaction((tx) => {
        const onMedia = and(
          eq(actions.accountId, accountId),
          eq(actions.mediaId, mediaId),
          inArray(actions.type, lockTypes),
        );
        return work({
          pending: () =>
            tx
              .select(columns)
              .from(actions)
              .where(and(onMedia, inArray(actions.status, ['planned', 'in_progress'])))
              .orderBy(actions.createdAt)
              .for('update'),
          async add(row) {
            const inserted = await tx
              .insert(actions)
              .values({
                id: row.id,
                decisionId: null,
                accountId,
                mediaId,
                type: row.type,
                priority: row.priority,
                actor: row.actor,
                status: 'planned',
                reason: row.reason,
                ...(row.dueAt ? { nextAttemptAt: row.dueAt } : {}),
              })
              .onConflictDoNothing()
              .returning({ id: actions.id });
            return inserted.length > 0;
          },
          async dismiss(ids, reason) {
            if (ids.length === 0) return [];
            const rows = await tx
              .update(actions)
              .set({ status: 'dismissed', reason, completedAt: new Date(), updatedAt: new Date() })
              .where(and(inArray(actions.id, [...ids]), eq(actions.status, 'planned')))
              .returning({ id: actions.id });
            return rows.map((r) => r.id);
          },
        });
      });
    },
  };
}

export type MediaLocksRepo = ReturnType<typeof createMediaLocksRepo>;
