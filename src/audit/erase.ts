/**
 * The only code that rewrites old audit rows: erasure of one person (Meta's data-deletion
 * callback, or an operator) and retention (text older than RETENTION_DAYS). Both replace text
 * and identifiers with a tombstone, keep everything else (times, accounts, rule ids, actions,
 * classifier scores, counts), set decisions.redacted_at, and record what they did in `erasures`.
 *
 * Erasure covers every place a person's words or names are stored: decisions (text, normalised
 * text, hash, username, id, condition traces and matched terms, reply text), actions (reply
 * messages) and their attempts' requests, inbox events, raw webhook deliveries (only that
 * person's parts: a delivery can carry other people's comments too), and a connected account
 * whose owner asked (token dropped). The erasure record keeps only a SHA-256 of the id.
 */
import { and, eq, inArray, isNotNull, isNull, lt, sql } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { rowsOf } from '../db/client.js';
import { accounts } from '../db/schema/accounts.js';
import { actionAttempts, actions } from '../db/schema/actions.js';
import { decisions } from '../db/schema/decisions.js';
import { deliveries } from '../db/schema/deliveries.js';
import { type ErasureCounts, type ErasureKind, type ErasureStatus, erasures } from '../db/schema/erasures.js';
import { inbox } from '../db/schema/inbox.js';
import { sha256Hex } from '../moderation/index.js';
import { AuditInputError } from './filters.js';
import { rollUpClosedDays } from './rollup.js';

export const ERASED = '[erased]';
export const REDACTED = '[redacted]';

const d = decisions;

function arrayOr(expr: ReturnType<typeof sql>) {
  return sql`case when jsonb_typeof(${expr}) = 'array' then ${expr} else '[]'::jsonb end`;
}

/** Planned steps with reply text (which may quote the author's name) replaced. */
function stepsTombstone(steps: ReturnType<typeof sql>, mark: string) {
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
      'classifierCalls', coalesce((select jsonb_agg(c #- '{result,reason}' #- '{result,contributions}') from jsonb_array_elements(${arrayOr(calls)}) c), '[]'::jsonb),
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

function confirmationCode(): string {
  const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return [...bytes].map((b) => alphabet[b % alphabet.length]).join('');
}

export interface ErasureResult {
  readonly id: string;
  readonly confirmationCode: string;
  readonly status: ErasureStatus;
  readonly counts: ErasureCounts;
}

/**
 * Rewrites a webhook body so that nothing in it names or quotes the person: every object whose
 * `from.id` is theirs loses its text and author, and any string equal to their id, one of their
 * usernames or one of their comments becomes "[erased]". Other people's comments stay.
 */
export function eraseFromBody(
  body: string,
  userId: string,
  usernames: ReadonlySet<string>,
  texts: ReadonlySet<string>,
): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return JSON.stringify({ redacted: ERASED, reason: 'unparseable body containing an erased id' });
  }
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string')
      return v === userId || usernames.has(v.toLowerCase()) || texts.has(v) ? ERASED : v;
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      const from = o.from as { id?: unknown } | undefined;
      const theirs = from && typeof from === 'object' && String(from.id ?? '') === userId;
      const out: Record<string, unknown> = {};
      for (const [k, val] of Object.entries(o)) {
        if (theirs && (k === 'text' || k === 'message' || k === 'caption')) out[k] = ERASED;
        else if (theirs && k === 'from') out[k] = { id: ERASED, username: ERASED };
        else out[k] = walk(val);
      }
      return out;
    }
    return v;
  };
  return JSON.stringify(walk(parsed));
}

/**
 * Erases one person everywhere, in one transaction, and records it. `userId` is the id Meta
 * sends (the commenter's Instagram-scoped id, or a connected account's id).
 */
export async function eraseSubject(
  db: Database,
  request: { userId: string; kind: Exclude<ErasureKind, 'retention'>; requestedBy: string },
): Promise<ErasureResult> {
  const userId = String(request.userId).trim();
  if (!/^[0-9A-Za-z_-]{1,64}$/.test(userId)) throw new AuditInputError('user id is an Instagram id (digits)');
  const id = crypto.randomUUID();
  const code = confirmationCode();
  await db.insert(erasures).values({
    id,
    kind: request.kind,
    confirmationCode: code,
    subjectHash: sha256Hex(userId),
    requestedBy: request.requestedBy,
  });
  try {
    const counts = await db.transaction(async (tx) => {
      const counts: ErasureCounts = {};
      // What they wrote and were called, to find them inside raw deliveries.
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
      const usernames = new Set(
        [...known.map((k) => k.username), ...inboxRows.map((r) => r.username)]
          .filter((u): u is string => !!u)
          .map((u) => u.toLowerCase()),
      );
      const texts = new Set(
        [...known.map((k) => k.text), ...inboxRows.map((r) => r.text)].filter(
          (t): t is string => !!t && t.length >= 3,
        ),
      );

      const erased = await tx
        .update(d)
        .set(decisionTombstone(ERASED, true))
        .where(eq(d.authorId, userId))
        .returning({ id: d.id });
      counts.decisions = erased.length;
      const decisionIds = erased.map((r) => r.id);

      if (decisionIds.length > 0) {
        const acts = await tx
          .update(actions)
          .set({ message: ERASED, updatedAt: new Date() })
          .where(and(inArray(actions.decisionId, decisionIds), isNotNull(actions.message)))
          .returning({ id: actions.id });
        counts.actions = acts.length;
        const attempts = await tx
          .update(actionAttempts)
          .set({
            request: sql`regexp_replace(${actionAttempts.request}, 'message=[^& ]*', ${`message=${ERASED}`}, 'g')`,
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
                    inArray(actions.decisionId, decisionIds),
                    inArray(actions.type, ['reply', 'mention_reply']),
                  ),
                ),
            ),
          )
          .returning({ id: actionAttempts.id });
        counts.actionAttempts = attempts.length;
      }

      const inboxIds = inboxRows.map((r) => r.id);
      counts.inbox = 0;
      if (inboxIds.length > 0) {
        const rows = await tx
          .update(inbox)
          .set({ event: eventTombstone(ERASED) })
          .where(inArray(inbox.id, inboxIds))
          .returning({ id: inbox.id });
        counts.inbox = rows.length;
      }

      // Raw bodies: those of their events, and any other that contains their id (unhandled shapes too).
      const deliveryIds = new Set(inboxRows.map((r) => r.delivery_id));
      const containing = await tx
        .select({ id: deliveries.id })
        .from(deliveries)
        .where(sql`position(${userId} in ${deliveries.body}) > 0`);
      for (const r of containing) deliveryIds.add(r.id);
      counts.deliveries = 0;
      for (const deliveryId of deliveryIds) {
        const [row] = await tx
          .select({ body: deliveries.body })
          .from(deliveries)
          .where(eq(deliveries.id, deliveryId));
        if (!row) continue;
        const body = eraseFromBody(row.body, userId, usernames, texts);
        if (body !== row.body) {
          await tx.update(deliveries).set({ body }).where(eq(deliveries.id, deliveryId));
          counts.deliveries++;
        }
      }

      // A connected account's owner: drop the token and the name, stop acting for it.
      const acct = await tx
        .update(accounts)
        .set({
          accessTokenEncrypted: null,
          username: null,
          status: 'disconnected',
          statusReason: 'data deletion requested',
          updatedAt: new Date(),
        })
        .where(eq(accounts.id, userId))
        .returning({ id: accounts.id });
      counts.accounts = acct.length;
      return counts;
    });
    await db
      .update(erasures)
      .set({ status: 'done', counts, completedAt: new Date() })
      .where(eq(erasures.id, id));
    return { id, confirmationCode: code, status: 'done', counts };
  } catch (error) {
    await db
      .update(erasures)
      .set({
        status: 'failed',
        error: error instanceof Error ? error.message.slice(0, 500) : 'failed',
        completedAt: new Date(),
      })
      .where(eq(erasures.id, id));
    throw error;
  }
}

export interface ErasureStatusView {
  readonly confirmationCode: string;
  readonly status: ErasureStatus;
  readonly requestedAt: string;
  readonly completedAt: string | null;
  readonly counts: ErasureCounts;
}

export async function erasureStatus(db: Database, code: string): Promise<ErasureStatusView | null> {
  if (!/^[A-Za-z0-9]{8,64}$/.test(code)) return null;
  const [row] = await db.select().from(erasures).where(eq(erasures.confirmationCode, code));
  if (!row || row.kind === 'retention') return null;
  return {
    confirmationCode: code,
    status: row.status,
    requestedAt: row.requestedAt.toISOString(),
    completedAt: row.completedAt ? row.completedAt.toISOString() : null,
    counts: row.counts,
  };
}

// ---------------------------------------------------------------------------------------------
// Retention

export interface RetentionResult {
  readonly id: string;
  readonly cutoff: string;
  readonly counts: ErasureCounts;
}

/**
 * Redacts comment text and author names older than `days`, in batches (so a first run over a
 * large backlog never holds long locks). Keeps ids, times, rules, actions and scores, so counts
 * and stats still add up. Records each run in `erasures` (kind "retention").
 */
export async function runRetention(
  db: Database,
  options: { days: number; now?: Date; batchSize?: number },
): Promise<RetentionResult> {
  const now = options.now ?? new Date();
  const cutoff = new Date(now.getTime() - options.days * 86_400_000);
  const batch = options.batchSize ?? 2000;
  const id = crypto.randomUUID();
  await db.insert(erasures).values({ id, kind: 'retention', requestedBy: 'retention', cutoff });
  const counts: Required<Pick<ErasureCounts, 'decisions' | 'actions' | 'inbox' | 'deliveries'>> = {
    decisions: 0,
    actions: 0,
    inbox: 0,
    deliveries: 0,
  };
  try {
    for (;;) {
      const ids = db
        .select({ id: d.id })
        .from(d)
        .where(and(lt(d.createdAt, cutoff), isNull(d.redactedAt)))
        .limit(batch);
      const rows = await db
        .update(d)
        .set(decisionTombstone(REDACTED, false))
        .where(inArray(d.id, ids))
        .returning({ id: d.id });
      counts.decisions += rows.length;
      if (rows.length < batch) break;
    }
    for (;;) {
      const ids = db
        .select({ id: actions.id })
        .from(actions)
        .where(
          and(
            lt(actions.createdAt, cutoff),
            isNotNull(actions.message),
            sql`${actions.message} not in (${REDACTED}, ${ERASED})`,
          ),
        )
        .limit(batch);
      const rows = await db
        .update(actions)
        .set({ message: REDACTED })
        .where(inArray(actions.id, ids))
        .returning({ id: actions.id });
      counts.actions += rows.length;
      if (rows.length < batch) break;
    }
    for (;;) {
      const ids = db
        .select({ id: inbox.id })
        .from(inbox)
        .where(
          and(
            lt(inbox.createdAt, cutoff),
            sql`${inbox.status} not in ('pending', 'processing')`,
            sql`not (${inbox.event} ? 'redacted')`,
          ),
        )
        .limit(batch);
      const rows = await db
        .update(inbox)
        .set({ event: eventTombstone(REDACTED) })
        .where(inArray(inbox.id, ids))
        .returning({ id: inbox.id });
      counts.inbox += rows.length;
      if (rows.length < batch) break;
    }
    for (;;) {
      const ids = db
        .select({ id: deliveries.id })
        .from(deliveries)
        .where(and(lt(deliveries.receivedAt, cutoff), sql`left(${deliveries.body}, 13) <> '{"redacted":"'`))
        .limit(batch);
      const rows = await db
        .update(deliveries)
        .set({
          body: JSON.stringify({ redacted: REDACTED, reason: `retention: older than ${options.days} days` }),
        })
        .where(inArray(deliveries.id, ids))
        .returning({ id: deliveries.id });
      counts.deliveries += rows.length;
      if (rows.length < batch) break;
    }
    await db
      .update(erasures)
      .set({ status: 'done', counts, completedAt: new Date() })
      .where(eq(erasures.id, id));
    return { id, cutoff: cutoff.toISOString(), counts };
  } catch (error) {
    await db
      .update(erasures)
      .set({
        status: 'failed',
        counts,
        error: error instanceof Error ? error.message.slice(0, 500) : 'failed',
        completedAt: new Date(),
      })
      .where(eq(erasures.id, id));
    throw error;
  }
}

/**
 * Node: audit upkeep in this process. Retention a minute after start and then every `everyMs`
 * (default hourly); the daily stats rollup (src/audit/rollup.ts) every 10 minutes. Returns a
 * stop function.
 */
export function scheduleRetention(
  db: Database,
  options: {
    days: number;
    everyMs?: number;
    onResult?: (r: RetentionResult) => void;
    onError?: (e: unknown) => void;
  },
): () => void {
  let running = false;
  const tick = async () => {
    if (running) return;
    running = true;
    try {
      const result = await runRetention(db, { days: options.days });
      options.onResult?.(result);
    } catch (error) {
      options.onError?.(error);
    } finally {
      running = false;
    }
  };
  const first = setTimeout(() => void tick(), 60_000);
  const timer = setInterval(() => void tick(), options.everyMs ?? 3_600_000);
  const rollup = setInterval(() => {
    rollUpClosedDays(db).catch((error) => options.onError?.(error));
  }, 600_000);
  first.unref?.();
  timer.unref?.();
  rollup.unref?.();
  return () => {
    clearTimeout(first);
    clearInterval(timer);
    clearInterval(rollup);
  };
}

// ---------------------------------------------------------------------------------------------
// Deauthorize: the user removed the app.

/**
 * Drops the account's token and marks it disconnected (the account store then gives no
 * credentials, so nothing more is done on Instagram for it), and dismisses its actions that
 * have not started. Returns false when no connected account has this id.
 */
export async function disconnectAccount(
  db: Database,
  accountId: string,
  reason: string,
): Promise<{ found: boolean; dismissedActions: number }> {
  if (!/^[0-9A-Za-z_-]{1,64}$/.test(accountId))
    throw new AuditInputError('account id is an Instagram id (digits)');
  return db.transaction(async (tx) => {
    const rows = await tx
      .update(accounts)
      .set({
        accessTokenEncrypted: null,
        tokenExpiresAt: null,
        status: 'disconnected',
        statusReason: reason,
        updatedAt: new Date(),
      })
      .where(eq(accounts.id, accountId))
      .returning({ id: accounts.id });
    const dismissed = await tx
      .update(actions)
      .set({ status: 'dismissed', reason, completedAt: new Date(), updatedAt: new Date() })
      .where(and(eq(actions.accountId, accountId), inArray(actions.status, ['planned', 'waiting'])))
      .returning({ id: actions.id });
    return { found: rows.length > 0, dismissedActions: dismissed.length };
  });
}
