/**
 * Dead letters: inbox events that failed INBOX_MAX_ATTEMPTS times (status `dead`), with their
 * last error; and putting them back (pending, attempts reset, due now) for the workers to claim.
 */
import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import type { Database } from '../client.js';
import { inbox } from '../schema/index.js';

export interface DeadLetterRow {
  readonly id: number;
  readonly accountId: string;
  readonly field: string;
  readonly kind: string;
  readonly commentId: string | null;
  readonly mediaId: string | null;
  readonly attempts: number;
  readonly lastError: string | null;
  readonly receivedAt: string;
  readonly deadSince: string;
}

export function createDeadLettersRepo(db: Database) {
  return {
    async list(limit: number): Promise<DeadLetterRow[]> {
      const rows = await db
        .select({
          id: inbox.id,
          accountId: inbox.accountId,
          field: inbox.field,
          kind: inbox.kind,
          commentId: inbox.commentId,
          mediaId: inbox.mediaId,
          attempts: inbox.attempts,
          lastError: inbox.lastError,
          receivedAt: inbox.createdAt,
          deadSince: inbox.updatedAt,
        })
        .from(inbox)
        .where(eq(inbox.status, 'dead'))
        .orderBy(asc(inbox.id))
        .limit(limit);
      return rows.map((r) => ({
        ...r,
        id: Number(r.id),
        receivedAt: r.receivedAt.toISOString(),
        deadSince: r.deadSince.toISOString(),
      }));
    },

    async count(): Promise<number> {
      const [row] = await db
        .select({ n: sql<number>`count(*)::int` })
        .from(inbox)
        .where(eq(inbox.status, 'dead'));
      return Number(row?.n ?? 0);
    },

    /** Dead rows back to pending (all of them, or these ids); returns the ids put back. */
    async retry(ids: readonly number[] | 'all'): Promise<number[]> {
      const rows = await db
        .update(inbox)
        .set({ status: 'pending', attempts: 0, nextAttemptAt: sql`now()`, updatedAt: sql`now()` })
        .where(and(eq(inbox.status, 'dead'), ids === 'all' ? undefined : inArray(inbox.id, [...ids])))
        .returning({ id: inbox.id });
      return rows.map((r) => Number(r.id)).sort((a, b) => a - b);
    },

    /** An event's state in the inbox by comment id (for "why is there no decision?"). */
    async findByComment(commentId: string) {
      const rows = await db
        .select({
          id: inbox.id,
          status: inbox.status,
          attempts: inbox.attempts,
          lastError: inbox.lastError,
          nextAttemptAt: inbox.nextAttemptAt,
        })
        .from(inbox)
        .where(eq(inbox.commentId, commentId))
        .orderBy(asc(inbox.id));
      return rows.map((r) => ({ ...r, id: Number(r.id), nextAttemptAt: r.nextAttemptAt.toISOString() }));
    },
  };
}
