/**
 * All SQL for the inbox: storing deliveries, claiming with FOR UPDATE SKIP LOCKED and a lease,
 * completing, retrying with backoff, dead-lettering and reclaiming expired leases.
 * Uses database time (now()) for leases so several instances agree without synchronised clocks.
 */
import { and, eq, inArray, lt, lte, or, sql } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { deliveries } from '../db/schema/deliveries.js';
import { inbox } from '../db/schema/inbox.js';
import type { DeliveryStore, DeliveryToStore, StoredDelivery } from '../pipeline/ingest.js';
import type { InstagramEvent } from '../webhook/events.js';

/** Rows per INSERT statement: 11 parameters each stays under Postgres's 65,535 limit. */
const rowsPerStatement = 4000;

export interface InboxItem {
  readonly id: number;
  readonly dedupeKey: string;
  readonly accountId: string;
  readonly field: string;
  readonly kind: string;
  readonly event: InstagramEvent;
  /** 1 on the first try. */
  readonly attempts: number;
  readonly claimToken: string;
}

export interface InboxRepo extends DeliveryStore {
  /** Claims up to `limit` due rows (pending and due, or processing with an expired lease). */
  claim(limit: number, leaseSeconds: number): Promise<InboxItem[]>;
  /** Claims one row by id if it is due (Workers queue consumer). */
  claimById(id: number, leaseSeconds: number): Promise<InboxItem | null>;
  /** Marks a claimed row done; false if the claim was lost (lease expired and row reclaimed). */
  complete(item: InboxItem): Promise<boolean>;
  /** Records a failed attempt: back to pending after `retryInMs`, or dead when out of attempts. */
  fail(
    item: InboxItem,
    error: string,
    retryInMs: number,
    maxAttempts: number,
  ): Promise<'retry' | 'dead' | 'lost'>;
  /** Puts a claimed row back to wait `retryInMs` without counting the attempt. */
  defer(item: InboxItem, reason: string, retryInMs: number): Promise<boolean>;
  /** Ids of rows that should be (re)dispatched: pending and overdue, or leased past expiry. */
  overdue(graceSeconds: number, limit: number): Promise<number[]>;
}

export function createInboxRepo(db: Database, options: { reclaimEveryMs?: number } = {}): InboxRepo {
  const reclaimEveryMs = options.reclaimEveryMs ?? 5_000;
  let lastReclaim = 0;
  // Also reclaim before the claim that follows an empty one: an idle worker finds stranded work at once.
  let reclaimNext = true;
  /**
   * Rows whose worker died (lease expired) become claimable again. Kept out of the claim query
   * so that one walks the (priority, next_attempt_at) index in order and stops at LIMIT.
   */
  const reclaimExpired = async () => {
    lastReclaim = Date.now();
    await db
      .update(inbox)
      .set({
        status: 'pending',
        leaseUntil: null,
        claimToken: null,
        lastError: 'lease expired (worker stopped?)',
        updatedAt: sql`now()`,
      })
      .where(and(eq(inbox.status, 'processing'), lt(inbox.leaseUntil, sql`now()`)));
  };
  const toItem = (row: typeof inbox.$inferSelect): InboxItem => ({
    id: row.id,
    dedupeKey: row.dedupeKey,
    accountId: row.accountId,
    field: row.field,
    kind: row.kind,
    event: reviveEvent(row.event),
    attempts: row.attempts,
    claimToken: row.claimToken ?? '',
  });

  const claimWhere = (extra?: ReturnType<typeof eq>) =>
    and(eq(inbox.status, 'pending'), lte(inbox.nextAttemptAt, sql`now()`), extra);

  const claimRows = async (limit: number, leaseSeconds: number, extra?: ReturnType<typeof eq>) => {
    if (reclaimNext || Date.now() - lastReclaim >= reclaimEveryMs) await reclaimExpired();
    reclaimNext = false;
    const token = crypto.randomUUID();
    const due = db
      .select({ id: inbox.id })
      .from(inbox)
      .where(claimWhere(extra))
      .orderBy(inbox.priority, inbox.nextAttemptAt)
      .limit(limit)
      .for('update', { skipLocked: true });
    const rows = await db
      .update(inbox)
      .set({
        status: 'processing',
        attempts: sql`${inbox.attempts} + 1`,
        leaseUntil: sql`now() + make_interval(secs => ${leaseSeconds})`,
        claimToken: token,
        updatedAt: sql`now()`,
      })
      .where(inArray(inbox.id, due))
      .returning();
    if (rows.length === 0) reclaimNext = true;
    return rows.map(toItem).sort((a, b) => a.id - b.id);
  };

  return {
    async storeDeliveries(batch: readonly DeliveryToStore[]): Promise<StoredDelivery[]> {
      return db.transaction(async (tx) => {
        await tx.insert(deliveries).values(
          batch.map((d) => {
            const events = d.changes.filter((c) => c.type === 'event');
            return {
              id: d.id,
              receivedAt: d.receivedAt,
              requestId: d.requestId,
              signedWith: d.signedWith,
              body: d.body,
              changeCount: d.changes.length,
              eventCount: events.length,
              unhandled: d.changes.flatMap((c) =>
                c.type === 'unhandled' ? [{ field: c.field, reason: c.reason }] : [],
              ),
              isTest: events.length > 0 && events.every((c) => c.event.isTest),
            };
          }),
        );
        const rows = batch.flatMap((d) =>
          d.changes.flatMap((c) =>
            c.type === 'event'
              ? [
                  {
                    deliveryId: d.id,
                    dedupeKey: c.dedupeKey,
                    accountId: c.event.accountId,
                    field: c.event.field,
                    kind: c.event.kind,
                    commentId: c.event.commentId,
                    mediaId: c.event.mediaId,
                    event: c.event,
                    isTest: c.event.isTest,
                    // Test events are kept for the record and never processed.
                    status: c.event.isTest ? ('skipped' as const) : ('pending' as const),
                  },
                ]
              : [],
          ),
        );
        const inserted = new Map<string, number>();
        for (let i = 0; i < rows.length; i += rowsPerStatement) {
          const created = await tx
            .insert(inbox)
            .values(rows.slice(i, i + rowsPerStatement))
            .onConflictDoNothing({ target: inbox.dedupeKey })
            .returning({ id: inbox.id, dedupeKey: inbox.dedupeKey });
          for (const r of created) inserted.set(r.dedupeKey, r.id);
        }
        // Credit each new row to the first delivery in the batch that carried its key.
        const credited = new Set<string>();
        return batch.map((d) => {
          const newInboxIds: number[] = [];
          let events = 0;
          let duplicates = 0;
          let tests = 0;
          for (const c of d.changes) {
            if (c.type !== 'event') continue;
            events++;
            const id = inserted.get(c.dedupeKey);
            if (id === undefined || credited.has(c.dedupeKey)) {
              duplicates++;
              continue;
            }
            credited.add(c.dedupeKey);
            if (c.event.isTest) tests++;
            else newInboxIds.push(id);
          }
          return {
            deliveryId: d.id,
            newInboxIds,
            events,
            duplicates,
            tests,
            unhandled: d.changes.length - events,
          };
        });
      });
    },

    claim: (limit, leaseSeconds) => claimRows(limit, leaseSeconds),

    async claimById(id, leaseSeconds) {
      const rows = await claimRows(1, leaseSeconds, eq(inbox.id, id));
      return rows[0] ?? null;
    },

    async complete(item) {
      const rows = await db
        .update(inbox)
        .set({
          status: 'done',
          processedAt: sql`now()`,
          leaseUntil: null,
          claimToken: null,
          updatedAt: sql`now()`,
        })
        .where(
          and(eq(inbox.id, item.id), eq(inbox.claimToken, item.claimToken), eq(inbox.status, 'processing')),
        )
        .returning({ id: inbox.id });
      return rows.length === 1;
    },

    async fail(item, error, retryInMs, maxAttempts) {
      const dead = item.attempts >= maxAttempts;
      const rows = await db
        .update(inbox)
        .set({
          status: dead ? 'dead' : 'pending',
          lastError: error.slice(0, 2000),
          nextAttemptAt: sql`now() + make_interval(secs => ${retryInMs / 1000})`,
          leaseUntil: null,
          claimToken: null,
          updatedAt: sql`now()`,
        })
        .where(
          and(eq(inbox.id, item.id), eq(inbox.claimToken, item.claimToken), eq(inbox.status, 'processing')),
        )
        .returning({ id: inbox.id });
      if (rows.length === 0) return 'lost';
      return dead ? 'dead' : 'retry';
    },

    async defer(item, reason, retryInMs) {
      const rows = await db
        .update(inbox)
        .set({
          status: 'pending',
          attempts: sql`greatest(${inbox.attempts} - 1, 0)`,
          lastError: reason.slice(0, 2000),
          nextAttemptAt: sql`now() + make_interval(secs => ${retryInMs / 1000})`,
          leaseUntil: null,
          claimToken: null,
          updatedAt: sql`now()`,
        })
        .where(
          and(eq(inbox.id, item.id), eq(inbox.claimToken, item.claimToken), eq(inbox.status, 'processing')),
        )
        .returning({ id: inbox.id });
      return rows.length === 1;
    },

    async overdue(graceSeconds, limit) {
      const rows = await db
        .select({ id: inbox.id })
        .from(inbox)
        .where(
          or(
            and(
              eq(inbox.status, 'pending'),
              lte(inbox.nextAttemptAt, sql`now() - make_interval(secs => ${graceSeconds})`),
            ),
            and(eq(inbox.status, 'processing'), lt(inbox.leaseUntil, sql`now()`)),
          ),
        )
        .orderBy(inbox.priority, inbox.nextAttemptAt)
        .limit(limit);
      return rows.map((r) => r.id);
    },
  };
}

/** jsonb gives back strings for dates. */
function reviveEvent(raw: unknown): InstagramEvent {
  const e = raw as InstagramEvent & { sentAt: string | Date };
  return { ...e, sentAt: new Date(e.sentAt) };
}
