/**
 * SQL for erasure and retention (src/audit/erase-subject.ts decides what and when): the tombstones that
 * replace text and identifiers in decisions, actions, their attempts, inbox events and raw
 * deliveries; the statements that erase one person inside one transaction (with the accounts
 * repo bound to it, for a connected account whose owner asked); retention's batched redaction;
 * and the `erasures` records.
 */
import { and, eq, inArray, isNotNull, isNull, lt, type SQL, sql } from 'drizzle-orm';
import type { AccountsRepo } from '../../accounts/ports.js';
import { type Database, rowsOf } from '../client.js';
import { actionAttempts, actions } from '../schema/actions.js';
import { decisions } from '../schema/decisions.js';
import { deliveries } from '../schema/deliveries.js';
import { type ErasureCounts, type ErasureKind, type ErasureStatus, erasures } from '../schema/erasures.js';
import { inbox } from '../schema/inbox.js';
import { createAccountsRepo } from './accounts.js';

export type { ErasureCounts, ErasureKind, ErasureStatus } from '../schema/erasures.js';

const d = decisions;

function arrayOr(expr: SQL) {
  return sql`case when jsonb_typeof(${expr}) = 'array' then ${expr} else '[]'::jsonb end`;
}

/** Planned steps with reply text (which may quote the author's name) replaced. */
function stepsTombstone(steps: SQL, mark: string) {
  return sql`coalesce((select jsonb_agg(case when jsonb_typeof(s) = 'object' and s ? 'text' then s || jsonb_build_object('text', ${mark}::text) else s end)
      from jsonb_array_elements(${arrayOr(steps)}) s), '[]'::jsonb)`;
}

/**
 * The decision row's tombstone: text gone, the engine's record kept minus anything quoting the
 * comment (condition details, matched terms, policy reasons, model feature contributions, reply text).
 */
function decisionTombstone(mark: string, eraseAuthorId: boolean) {
  const fired = sql`${d.detail}->'fired'`;
  const calls = sql`${d.detail}->'classifierCalls'`;
  return {
    text: null,
    normalisedText: null,
    textHash: null,
    authorUsername: null,
    ...(eraseAuthorId ? { authorId: null } : {}),
    detail: sql`(${d.detail} - 'normalisedText' - 'rules') || jsonb_build_object(
      'redacted', ${mark}::text,
      'normalisedText', null,
      'fired', coalesce((select jsonb_agg((f - 'conditions' - 'matchedTerms') || jsonb_build_object(
          'matchedTerms', '[]'::jsonb,
          'conditions', coalesce((select jsonb_agg(c || jsonb_build_object('detail', ${mark}::text))
                                  from jsonb_array_elements(${arrayOr(sql`f->'conditions'`)}) c), '[]'::jsonb)))
        from jsonb_array_elements(${arrayOr(fired)}) f), '[]'::jsonb),
      'classifierCalls', coalesce((select jsonb_agg(c #- '{result,reason}' #- '{result,reasons}' #- '{result,contributions}') from jsonb_array_elements(${arrayOr(calls)}) c), '[]'::jsonb),
      'steps', ${stepsTombstone(sql`${d.detail}->'steps'`, mark)},
      'shadow', case when jsonb_typeof(${d.detail}->'shadow') = 'object' then (${d.detail}->'shadow') - 'steps' else 'null'::jsonb end)`,
    steps: stepsTombstone(sql`${d.steps}`, mark),
    redactedAt: sql`now()`,
  };
}

/** The inbox event's tombstone (the normalised InstagramEvent as JSON). */
function eventTombstone(mark: string) {
  return sql`${inbox.event} || jsonb_build_object('text', null, 'author', null, 'redacted', ${mark}::text)`;
}

/** The statements that erase one person, all in the caller's transaction. */
export interface SubjectErasure {
  /** What they wrote and were called (decisions, inbox events), to find them in raw deliveries. */
  traces(userId: string): Promise<{
    decisions: { text: string | null; username: string | null }[];
    inbox: { id: number; deliveryId: string; username: string | null; text: string | null }[];
  }>;
  /** Tombstones their decisions (author id included); returns the decisions' ids. */
  eraseDecisions(userId: string, mark: string): Promise<string[]>;
  /** Replaces the messages of these decisions' actions; returns how many. */
  eraseActionMessages(decisionIds: readonly string[], mark: string): Promise<number>;
  /** Replaces the message in these decisions' replies' recorded requests, drops the responses. */
  eraseReplyAttempts(decisionIds: readonly string[], mark: string): Promise<number>;
  eraseInboxEvents(inboxIds: readonly number[], mark: string): Promise<number>;
  /** Deliveries whose raw body contains the id anywhere. */
  deliveriesContaining(userId: string): Promise<string[]>;
  deliveryBody(id: string): Promise<string | null>;
  setDeliveryBody(id: string, body: string): Promise<void>;
}

/** What one erasure transaction may do: erase a person, disconnect an account, dismiss its actions. */
export interface ErasureTransaction {
  readonly subject: SubjectErasure;
  readonly accounts: AccountsRepo;
  /** Dismisses the account's actions that have not started (planned, waiting); returns how many. */
  dismissOpenActions(accountId: string, reason: string): Promise<number>;
}

export interface ErasureRecord {
  readonly kind: ErasureKind;
  readonly status: ErasureStatus;
  readonly requestedAt: Date;
  readonly completedAt: Date | null;
  readonly counts: ErasureCounts;
}

export interface ErasureRepo {
  /** Records that an erasure or a retention run started (status pending). */
  start(record: {
    id: string;
    kind: ErasureKind;
    requestedBy: string;
    confirmationCode?: string;
    subjectHash?: string | null;
    cutoff?: Date;
  }): Promise<void>;
  finish(id: string, outcome: { status: 'done'; counts: ErasureCounts }): Promise<void>;
  fail(id: string, error: string, counts?: ErasureCounts): Promise<void>;
  byConfirmationCode(code: string): Promise<ErasureRecord | null>;
  /** Runs `work` in one transaction, with the erasure statements and the accounts repo bound to it. */
  transaction<T>(work: (tx: ErasureTransaction) => Promise<T>): Promise<T>;
  /** Retention, one batch each (at most `batch` rows); each returns how many rows it rewrote. */
  redactDecisions(before: Date, mark: string, batch: number): Promise<number>;
  /** Action messages not yet replaced by one of `marks` (the first is written). */
  redactActionMessages(before: Date, marks: readonly [string, ...string[]], batch: number): Promise<number>;
  /** Inbox events no longer pending or processing, not yet redacted. */
  redactInboxEvents(before: Date, mark: string, batch: number): Promise<number>;
  /** Raw deliveries, replaced by `body` (a JSON object whose first key is "redacted"). */
  redactDeliveries(before: Date, body: string, batch: number): Promise<number>;
}

function subjectErasure(tx: Database): SubjectErasure {
  return {
    async traces(userId) {
      const known = await tx
        .select({ text: d.text, username: d.authorUsername, inboxId: d.inboxId })
        .from(d)
        .where(eq(d.authorId, userId));
      const inboxRows = rowsOf<{
        id: number;
        delivery_id: string;
        username: string | null;
        text: string | null;
      }>(
        await tx.execute(sql`select id, delivery_id, event->'author'->>'username' as username, event->>'text' as text
          from ${inbox} where event->'author'->>'id' = ${userId}`),
      );
      return {
        decisions: known.map((k) => ({ text: k.text, username: k.username })),
        inbox: inboxRows.map((r) => ({
          id: r.id,
          deliveryId: r.delivery_id,
          username: r.username,
          text: r.text,
        })),
      };
    },
    async eraseDecisions(userId, mark) {
      const erased = await tx
        .update(d)
        .set(decisionTombstone(mark, true))
        .where(eq(d.authorId, userId))
        .returning({ id: d.id });
      return erased.map((r) => r.id);
    },
    async eraseActionMessages(decisionIds, mark) {
      const acts = await tx
        .update(actions)
        .set({ message: mark, updatedAt: new Date() })
        .where(and(inArray(actions.decisionId, [...decisionIds]), isNotNull(actions.message)))
        .returning({ id: actions.id });
      return acts.length;
    },
    async eraseReplyAttempts(decisionIds, mark) {
      const attempts = await tx
        .update(actionAttempts)
        .set({
          request: sql`regexp_replace(${actionAttempts.request}, 'message=[^& ]*', ${`message=${mark}`}, 'g')`,
          response: null,
        })
        .where(
          inArray(
            actionAttempts.actionId,
            tx
              .select({ id: actions.id })
              .from(actions)
              .where(
                and(
                  inArray(actions.decisionId, [...decisionIds]),
                  inArray(actions.type, ['reply', 'mention_reply']),
                ),
              ),
          ),
        )
        .returning({ id: actionAttempts.id });
      return attempts.length;
    },
    async eraseInboxEvents(inboxIds, mark) {
      const rows = await tx
        .update(inbox)
        .set({ event: eventTombstone(mark) })
        .where(inArray(inbox.id, [...inboxIds]))
        .returning({ id: inbox.id });
      return rows.length;
    },
    async deliveriesContaining(userId) {
      const containing = await tx
        .select({ id: deliveries.id })
        .from(deliveries)
        .where(sql`position(${userId} in ${deliveries.body}) > 0`);
      return containing.map((r) => r.id);
    },
    async deliveryBody(id) {
      const [row] = await tx.select({ body: deliveries.body }).from(deliveries).where(eq(deliveries.id, id));
      return row ? row.body : null;
    },
    async setDeliveryBody(id, body) {
      await tx.update(deliveries).set({ body }).where(eq(deliveries.id, id));
    },
  };
}

export function createErasureRepo(db: Database): ErasureRepo {
  return {
    async start(record) {
      await db.insert(erasures).values(record);
    },
    async finish(id, { status, counts }) {
      await db.update(erasures).set({ status, counts, completedAt: new Date() }).where(eq(erasures.id, id));
    },
    async fail(id, error, counts) {
      await db
        .update(erasures)
        .set({ status: 'failed', ...(counts ? { counts } : {}), error, completedAt: new Date() })
        .where(eq(erasures.id, id));
    },
    async byConfirmationCode(code) {
      const [row] = await db.select().from(erasures).where(eq(erasures.confirmationCode, code));
      return row
        ? {
            kind: row.kind,
            status: row.status,
            requestedAt: row.requestedAt,
            completedAt: row.completedAt,
            counts: row.counts,
          }
        : null;
    },
    transaction(work) {
      return db.transaction((tx) =>
        work({
          subject: subjectErasure(tx),
          accounts: createAccountsRepo(tx),
          async dismissOpenActions(accountId, reason) {
            const dismissed = await tx
              .update(actions)
              .set({ status: 'dismissed', reason, completedAt: new Date(), updatedAt: new Date() })
              .where(and(eq(actions.accountId, accountId), inArray(actions.status, ['planned', 'waiting'])))
              .returning({ id: actions.id });
            return dismissed.length;
          },
        }),
      );
    },

    async redactDecisions(before, mark, batch) {
      const ids = db
        .select({ id: d.id })
        .from(d)
        .where(and(lt(d.createdAt, before), isNull(d.redactedAt)))
        .limit(batch);
      const rows = await db
        .update(d)
        .set(decisionTombstone(mark, false))
        .where(inArray(d.id, ids))
        .returning({ id: d.id });
      return rows.length;
    },
    async redactActionMessages(before, marks, batch) {
      const ids = db
        .select({ id: actions.id })
        .from(actions)
        .where(
          and(
            lt(actions.createdAt, before),
            isNotNull(actions.message),
            sql`${actions.message} not in (${sql.join(
              marks.map((m) => sql`${m}`),
              sql`, `,
            )})`,
          ),
        )
        .limit(batch);
      const rows = await db
        .update(actions)
        .set({ message: marks[0] })
        .where(inArray(actions.id, ids))
        .returning({ id: actions.id });
      return rows.length;
    },
    async redactInboxEvents(before, mark, batch) {
      const ids = db
        .select({ id: inbox.id })
        .from(inbox)
        .where(
          and(
            lt(inbox.createdAt, before),
            sql`${inbox.status} not in ('pending', 'processing')`,
            sql`not (${inbox.event} ? 'redacted')`,
          ),
        )
        .limit(batch);
      const rows = await db
        .update(inbox)
        .set({ event: eventTombstone(mark) })
        .where(inArray(inbox.id, ids))
        .returning({ id: inbox.id });
      return rows.length;
    },
    async redactDeliveries(before, body, batch) {
      const ids = db
        .select({ id: deliveries.id })
        .from(deliveries)
        .where(and(lt(deliveries.receivedAt, before), sql`left(${deliveries.body}, 13) <> '{"redacted":"'`))
        .limit(batch);
      const rows = await db
        .update(deliveries)
        .set({ body })
        .where(inArray(deliveries.id, ids))
        .returning({ id: deliveries.id });
      return rows.length;
    },
  };
}
