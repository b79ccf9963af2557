/**
 * All SQL for the inbox: storing deliveries, claiming with FOR UPDATE SKIP LOCKED and a lease,
 * completing, retrying with backoff, dead-lettering and reclaiming expired leases.
 * Uses database time (now()) for leases so several instances agree without synchronised clocks.
 * The workers see it as an InboxQueue (src/queue/ports.ts), intake as a DeliveryStore
 * (src/pipeline/receive-delivery.ts).
 */
import { and, eq, lt, lte, or, type SQL, sql } from 'drizzle-orm';
import type { PgUpdateSetSource } from 'drizzle-orm/pg-core';
import type {
  DeliveryStore,
  DeliveryToStore,
  StoredDelivery,
  StoreOptions,
} from '../../pipeline/receive-delivery.js';
import type { InboxItem, InboxQueue } from '../../queue/ports.js';
import { reclaimSchedule } from '../../queue/reclaim.js';
import type { InstagramEvent } from '../../webhook/events.js';
import { type Database, rowsOf, withoutFlushWait } from '../client.js';
import { holderGone } from '../process-lock.js';
import { inbox } from '../schema/inbox.js';

/** The inbox as the workers see it (claims, completion, retries) and as intake writes it. */
export interface InboxRepo extends InboxQueue, DeliveryStore {}

export interface QueueRepoOptions {
  readonly reclaimEveryMs?: number;
  /**
   * This process's lock id (src/db/process-lock.ts), written into every lease it takes; leases
   * whose holder's lock is gone are released with the expired ones. Unset on PGlite and commands.
   */
  readonly leaseHolder?: number;
}

export function createInboxRepo(db: Database, options: QueueRepoOptions = {}): InboxRepo {
  const holder = options.leaseHolder ?? null;
  /**
   * A claimed row goes back to the queue (`changes`: its new status, and for a deferral its attempt
   * back), due again in `retryInMs` with `error` kept; only while this claim still holds it.
   * Returns whether it did (false: the lease expired and another worker has the row).
   */
  const giveBack = async (
    item: InboxItem,
    changes: PgUpdateSetSource<typeof inbox>,
    error: string,
    retryInMs: number,
  ): Promise<boolean> => {
    const rows = await db
      .update(inbox)
      .set({
        ...changes,
        lastError: error.slice(0, 2000),
        nextAttemptAt: sql`now() + make_interval(secs => ${retryInMs / 1000})`,
        leaseUntil: null,
        claimToken: null,
        leaseHolder: null,
        updatedAt: sql`now()`,
      })
      .where(
        and(eq(inbox.id, item.id), eq(inbox.claimToken, item.claimToken), eq(inbox.status, 'processing')),
      )
      .returning({ id: inbox.id });
    return rows.length === 1;
  };
  const releaseLeases = async (which: 'expired' | 'all'): Promise<number> => {
    const rows = await db
      .update(inbox)
      .set({
        status: 'pending',
        leaseUntil: null,
        claimToken: null,
        leaseHolder: null,
        lastError:
          which === 'all'
            ? 'released at start (the process holding it had stopped)'
            : sql`case when ${holderGone(sql`${inbox.leaseHolder}`)} then 'its process stopped (lock gone)'
                else 'lease expired (worker stopped?)' end`,
        updatedAt: sql`now()`,
      })
      .where(
        and(
          eq(inbox.status, 'processing'),
          which === 'all'
            ? undefined
            : or(lt(inbox.leaseUntil, sql`now()`), holderGone(sql`${inbox.leaseHolder}`)),
        ),
      )
      .returning({ id: inbox.id });
    return rows.length;
  };
  /**
   * Rows whose worker died (lease expired, or its process's lock gone) become claimable again.
   * (With a process lock, the Node runtime also runs this every second, busy or not.)
   */
  const reclaim = reclaimSchedule(async () => {
    await releaseLeases('expired');
  }, options.reclaimEveryMs);
  interface ClaimedRow {
    id: number | string;
    dedupe_key: string;
    account_id: string;
    field: string;
    kind: string;
    event: unknown;
    attempts: number;
    claim_token: string;
  }
  const toItem = (row: ClaimedRow): InboxItem => ({
    id: Number(row.id),
    dedupeKey: row.dedupe_key,
    accountId: row.account_id,
    field: row.field,
    kind: row.kind,
    event: reviveEvent(typeof row.event === 'string' ? JSON.parse(row.event) : row.event),
    attempts: row.attempts,
    claimToken: row.claim_token,
  });

  // The claim is the hottest query of the pipeline: written as SQL (no query building per call).
  const claimRows = async (limit: number, leaseSeconds: number, onlyId?: number) => {
    await reclaim.beforeClaim();
    const rows = rowsOf<ClaimedRow>(
      await db.execute(sql`
        update inbox set status = 'processing', attempts = attempts + 1,
          lease_until = now() + make_interval(secs => ${leaseSeconds}),
          claim_token = ${crypto.randomUUID()}, lease_holder = ${holder}::int, updated_at = now()
        where id in (
          select id from inbox
          where status = 'pending' and next_attempt_at <= now()
            ${onlyId === undefined ? sql`` : sql`and id = ${onlyId}`}
          order by priority, next_attempt_at
          limit ${limit}
          for update skip locked)
          -- a lost claim is harmless: the row is claimed again
          and ${withoutFlushWait}
        returning id, dedupe_key, account_id, field, kind, event, attempts, claim_token`),
    );
    reclaim.afterClaim(rows.length);
    return rows.map(toItem).sort((a, b) => a.id - b.id);
  };

  return {
    async storeDeliveries(
      batch: readonly DeliveryToStore[],
      options: StoreOptions = {},
    ): Promise<StoredDelivery[]> {
      const claim = options.claimFor;
      const deliveryRows = batch.map((d) => {
        const events = d.changes.filter((c) => c.type === 'event');
        return {
          id: d.id,
          received_at: d.receivedAt.toISOString(),
          request_id: d.requestId,
          signed_with: d.signedWith,
          body: d.body,
          change_count: d.changes.length,
          event_count: events.length,
          unhandled: d.changes.flatMap((c) =>
            c.type === 'unhandled' ? [{ field: c.field, reason: c.reason }] : [],
          ),
          is_test: events.length > 0 && events.every((c) => c.event.isTest),
        };
      });
      const inboxRows = batch.flatMap((d) =>
        d.changes.flatMap((c) =>
          c.type === 'event'
            ? [
                {
                  delivery_id: d.id,
                  dedupe_key: c.dedupeKey,
                  account_id: c.event.accountId,
                  field: c.event.field,
                  kind: c.event.kind,
                  comment_id: c.event.commentId,
                  media_id: c.event.mediaId,
                  event: c.event,
                  is_test: c.event.isTest,
                  // Test events are kept for the record and never processed.
                  status: c.event.isTest ? 'skipped' : claim ? 'processing' : 'pending',
                },
              ]
            : [],
        ),
      );
      // One statement, so one round trip and one implicit transaction, whatever the batch size:
      // the rows travel as two JSON parameters (no 65,535-parameter limit, no per-row SQL to
      // build). Both inserts commit together or not at all. Rows written claimed get their
      // first attempt, lease and claim token here, as a claim would give them.
      const created = rowsOf<{ id: number | string; dedupe_key: string }>(
        await db.execute(sql`
          with stored_deliveries as (
            insert into deliveries (id, received_at, request_id, signed_with, body, change_count, event_count, unhandled, is_test)
            select id, received_at, request_id, signed_with, body, change_count, event_count, unhandled, is_test
            from jsonb_to_recordset(${JSON.stringify(deliveryRows)}::jsonb) as d(
              id uuid, received_at timestamptz, request_id text, signed_with text, body text,
              change_count integer, event_count integer, unhandled jsonb, is_test boolean)
          )
          insert into inbox (delivery_id, dedupe_key, account_id, field, kind, comment_id, media_id, event, is_test,
            status, attempts, lease_until, claim_token, lease_holder)
          select delivery_id, dedupe_key, account_id, field, kind, comment_id, media_id, event, is_test,
            status, claimed::int, case when claimed then now() + make_interval(secs => ${claim?.leaseSeconds ?? 0}) end,
            case when claimed then ${claim?.claimToken ?? null}::uuid end,
            case when claimed then ${holder}::int end
          from jsonb_to_recordset(${JSON.stringify(inboxRows)}::jsonb) as i(
            delivery_id uuid, dedupe_key text, account_id text, field text, kind text,
            comment_id text, media_id text, event jsonb, is_test boolean, status text),
          lateral (select status = 'processing' as claimed) c
          on conflict (dedupe_key) do nothing
          returning id, dedupe_key`),
      );
      const inserted = new Map<string, number>(created.map((r) => [r.dedupe_key, Number(r.id)]));
      // Credit each new row to the first delivery in the batch that carried its key.
      const credited = new Set<string>();
      return batch.map((d) => {
        const newInboxIds: number[] = [];
        const claimed: InboxItem[] = [];
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
          else {
            newInboxIds.push(id);
            if (claim) {
              const { event } = c;
              claimed.push({
                id,
                dedupeKey: c.dedupeKey,
                accountId: event.accountId,
                field: event.field,
                kind: event.kind,
                event,
                attempts: 1,
                claimToken: claim.claimToken,
              });
            }
          }
        }
        return {
          deliveryId: d.id,
          newInboxIds,
          claimed,
          events,
          duplicates,
          tests,
          unhandled: d.changes.length - events,
        };
      });
    },

    claim: (limit, leaseSeconds) => claimRows(limit, leaseSeconds),

    releaseLeases,

    async claimById(id, leaseSeconds) {
      const rows = await claimRows(1, leaseSeconds, id);
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
          leaseHolder: null,
          updatedAt: sql`now()`,
        })
        .where(
          and(eq(inbox.id, item.id), eq(inbox.claimToken, item.claimToken), eq(inbox.status, 'processing')),
        )
        .returning({ id: inbox.id });
      return rows.length === 1;
    },

    async completeMany(items) {
      if (items.length === 0) return [];
      const done = rowsOf<{ id: number | string }>(
        // A lost completion is harmless: the row is claimed again and its decision found.
        await db.execute(completeClaims(items, sql`and ${withoutFlushWait}`)),
      );
      const ids = new Set(done.map((r) => Number(r.id)));
      return items.map((i) => ids.has(i.id));
    },

    async fail(item, error, retryInMs, maxAttempts) {
      const dead = item.attempts >= maxAttempts;
      const given = await giveBack(item, { status: dead ? 'dead' : 'pending' }, error, retryInMs);
      if (!given) return 'lost';
      return dead ? 'dead' : 'retry';
    },

    async defer(item, reason, retryInMs) {
      // Not the event's fault: the attempt it used is handed back.
      return giveBack(
        item,
        { status: 'pending', attempts: sql`greatest(${inbox.attempts} - 1, 0)` },
        reason,
        retryInMs,
      );
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

/**
 * Marks claimed inbox rows done where their claim still holds, returning their ids: the one
 * definition of completing a claim, run alone (`completeMany`) or inside the statement that
 * records the decisions (src/db/repos/decisions.ts). `extra` adds a condition.
 */
export function completeClaims(
  claims: readonly { readonly id: number; readonly claimToken: string }[],
  extra: SQL = sql``,
): SQL {
  const rows = claims.map((c) => ({ id: c.id, claim_token: c.claimToken }));
  return sql`
    update inbox set status = 'done', processed_at = now(), lease_until = null,
      claim_token = null, lease_holder = null, updated_at = now()
    from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as c(id bigint, claim_token uuid)
    where inbox.id = c.id and inbox.claim_token = c.claim_token and inbox.status = 'processing'
      ${extra}
    returning inbox.id`;
}

/** jsonb gives back strings for dates. */
function reviveEvent(raw: unknown): InstagramEvent {
  const e = raw as InstagramEvent & { sentAt: string | Date };
  return { ...e, sentAt: new Date(e.sentAt) };
}
