/**
 * SQL for locking and unlocking a media's comments by hand (src/audit/lock-media.ts decides
 * what): the account a media belongs to, its lockdown rows in the actions outbox (comments_off,
 * comments_on), new moderator rows and cancelling rows not yet started, in one transaction.
 */
import { and, desc, eq, inArray, notInArray, sql } from 'drizzle-orm';
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

    /**
     * Media whose comments are off now, or about to be: the latest lockdown row that was not
     * dismissed or failed is a comments_off. Newest first, at most `limit`.
     */
    async locked(
      limit: number,
    ): Promise<{ accountId: string; mediaId: string; lockedBy: string; lockedAt: Date }[]> {
      const latest = db
        .selectDistinctOn([actions.accountId, actions.mediaId], {
          accountId: actions.accountId,
          mediaId: sql<string>`${actions.mediaId}`.as('media_id'),
          type: sql<LockActionType>`${actions.type}`.as('type'),
          actor: actions.actor,
          createdAt: actions.createdAt,
        })
        .from(actions)
        .where(and(inArray(actions.type, lockTypes), notInArray(actions.status, ['dismissed', 'failed'])))
        .orderBy(actions.accountId, actions.mediaId, desc(actions.createdAt), desc(actions.seq))
        .as('latest');
      const rows = await db
        .select()
        .from(latest)
        .where(eq(latest.type, 'comments_off'))
        .orderBy(desc(latest.createdAt))
        .limit(limit);
      return rows.map((r) => ({
        accountId: r.accountId,
        mediaId: r.mediaId,
        lockedBy: r.actor,
        lockedAt: r.createdAt,
      }));
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
