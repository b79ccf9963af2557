/**
 * Erase a subject: the story of one person's data-deletion request (Meta's callback, or an
 * operator), and of an account's deauthorisation.
 *
 *   1. check the request and record it in `erasures` (a keyed hash of the id, never the id);
 *   2. in one transaction, replace that person's text and identifiers with a tombstone wherever
 *      they are stored: decisions (text, normalised text, hash, username, id, condition traces,
 *      matched terms, reply text), actions (reply messages) and their attempts' requests, inbox
 *      events, and raw webhook deliveries (only that person's parts: a delivery can carry other
 *      people's comments too); a connected account whose owner asked is disconnected (token
 *      dropped);
 *   3. record what was erased (counts) and give a confirmation code whose status anyone can read.
 *
 * Everything else is kept (times, accounts, rule ids, actions, classifier scores), so counts
 * still add up; decisions.redacted_at says a row was rewritten. Retention, the other rewrite of
 * old rows, is in retention.ts. The statements are in src/db/repos/erasure.ts (and, for
 * accounts, src/db/repos/accounts.ts); what is erased, in which order and transaction, and what
 * is recorded is decided here.
 */
import type { Database } from '../db/client.js';
import {
  createErasureRepo,
  type ErasureCounts,
  type ErasureKind,
  type ErasureStatus,
} from '../db/repos/erasure.js';
import { AuditInputError } from './filters.js';

export const ERASED = '[erased]';
export const REDACTED = '[redacted]';

function confirmationCode(): string {
  const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return [...bytes].map((b) => alphabet[b % alphabet.length]).join('');
}

/**
 * What the erasure record keeps of the person: an HMAC-SHA256 of their id under a secret from
 * the configuration (ERASURE_HASH_KEY, else the app secret), so a repeated request can be
 * recognised by whoever holds the secret, while the table alone cannot be matched against a list
 * of ids (a plain SHA-256 of a 17-digit id is reversed by trying them). No secret: nothing kept.
 */
export async function subjectHash(userId: string, key: string | undefined): Promise<string | null> {
  if (!key) return null;
  const encoder = new TextEncoder();
  const hmac = await crypto.subtle.importKey(
    'raw',
    encoder.encode(key),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  );
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', hmac, encoder.encode(userId)));
  return `hmac-sha256:${[...mac].map((b) => b.toString(16).padStart(2, '0')).join('')}`;
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
 *
 * A signed delivery can be nested as deep as its size allows (a 1 MiB body, half a million
 * levels): the walk and the writing back use a stack of their own, never the call stack, so any
 * stored body can be erased.
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
  const named = (v: string) => v === userId || usernames.has(v.toLowerCase()) || texts.has(v);
  // The parsed copy is ours: rewritten in place, container by container.
  const root: Record<string, unknown> = { body: parsed };
  const pending: object[] = [root];
  const visit = (holder: Record<string, unknown>, key: string) => {
    const v = holder[key];
    if (typeof v === 'string') {
      if (named(v)) setOwn(holder, key, ERASED);
    } else if (v && typeof v === 'object') pending.push(v);
  };
  for (let container = pending.pop(); container; container = pending.pop()) {
    const o = container as Record<string, unknown>;
    if (Array.isArray(container)) {
      for (let i = 0; i < container.length; i++) visit(o, String(i));
      continue;
    }
    const from = o.from as { id?: unknown } | undefined;
    const theirs = !!from && typeof from === 'object' && String(from.id ?? '') === userId;
    for (const k of Object.keys(o)) {
      if (theirs && (k === 'text' || k === 'message' || k === 'caption')) setOwn(o, k, ERASED);
      else if (theirs && k === 'from') setOwn(o, k, { id: ERASED, username: ERASED });
      else visit(o, k);
    }
  }
  return stringifyDeep(root.body);
}

/** Sets an own property, even one named `__proto__` (JSON.parse makes those own properties). */
function setOwn(o: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(o, key, { value, writable: true, enumerable: true, configurable: true });
}

/**
 * JSON.stringify for parsed JSON of any depth (V8's own recurses and overflows at about 10,000
 * levels). Same output for the values JSON.parse makes.
 */
export function stringifyDeep(value: unknown): string {
  const out: string[] = [];
  type Frame =
    | { readonly array: readonly unknown[]; i: number }
    | { readonly object: Record<string, unknown>; readonly keys: string[]; i: number };
  const stack: Frame[] = [];
  const open = (v: unknown) => {
    if (v === null || typeof v !== 'object') out.push(JSON.stringify(v) ?? 'null');
    else if (Array.isArray(v)) {
      out.push('[');
      stack.push({ array: v, i: 0 });
    } else {
      out.push('{');
      const object = v as Record<string, unknown>;
      stack.push({ object, keys: Object.keys(object), i: 0 });
    }
  };
  open(value);
  for (let frame = stack.at(-1); frame; frame = stack.at(-1)) {
    if ('array' in frame) {
      if (frame.i >= frame.array.length) {
        out.push(']');
        stack.pop();
        continue;
      }
      if (frame.i > 0) out.push(',');
      open(frame.array[frame.i++]);
    } else {
      if (frame.i >= frame.keys.length) {
        out.push('}');
        stack.pop();
        continue;
      }
      const key = frame.keys[frame.i++] as string;
      out.push(frame.i > 1 ? ',' : '', JSON.stringify(key), ':');
      open(frame.object[key]);
    }
  }
  return out.join('');
}

/**
 * Erases one person everywhere, in one transaction, and records it. `userId` is the id Meta
 * sends (the commenter's Instagram-scoped id, or a connected account's id).
 */
export async function eraseSubject(
  db: Database,
  request: { userId: string; kind: Exclude<ErasureKind, 'retention'>; requestedBy: string },
  options: { readonly subjectKey?: string | undefined } = {},
): Promise<ErasureResult> {
  const userId = String(request.userId).trim();
  if (!/^[0-9A-Za-z_-]{1,64}$/.test(userId)) throw new AuditInputError('user id is an Instagram id (digits)');
  const repo = createErasureRepo(db);
  const id = crypto.randomUUID();
  const code = confirmationCode();
  await repo.start({
    id,
    kind: request.kind,
    confirmationCode: code,
    subjectHash: await subjectHash(userId, options.subjectKey),
    requestedBy: request.requestedBy,
  });
  try {
    const counts = await repo.transaction(async ({ subject, accounts }) => {
      const counts: ErasureCounts = {};
      // What they wrote and were called, to find them inside raw deliveries.
      const { decisions: known, inbox: inboxRows } = await subject.traces(userId);
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

      const decisionIds = await subject.eraseDecisions(userId, ERASED);
      counts.decisions = decisionIds.length;

      if (decisionIds.length > 0) {
        counts.actions = await subject.eraseActionMessages(decisionIds, ERASED);
        counts.actionAttempts = await subject.eraseReplyAttempts(decisionIds, ERASED);
      }

      const inboxIds = inboxRows.map((r) => r.id);
      counts.inbox = 0;
      if (inboxIds.length > 0) counts.inbox = await subject.eraseInboxEvents(inboxIds, ERASED);

      // Raw bodies: those of their events, and any other that contains their id (unhandled shapes too).
      const deliveryIds = new Set(inboxRows.map((r) => r.deliveryId));
      for (const deliveryId of await subject.deliveriesContaining(userId)) deliveryIds.add(deliveryId);
      counts.deliveries = 0;
      for (const deliveryId of deliveryIds) {
        const original = await subject.deliveryBody(deliveryId);
        if (original === null) continue;
        const body = eraseFromBody(original, userId, usernames, texts);
        if (body !== original) {
          await subject.setDeliveryBody(deliveryId, body);
          counts.deliveries++;
        }
      }

      // A connected account's owner: drop the token and the name, stop acting for it.
      counts.accounts = (await accounts.disconnect(userId, 'data deletion requested', 'username')) ? 1 : 0;
      return counts;
    });
    await repo.finish(id, { status: 'done', counts });
    return { id, confirmationCode: code, status: 'done', counts };
  } catch (error) {
    await repo.fail(id, error instanceof Error ? error.message.slice(0, 500) : 'failed');
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
  const row = await createErasureRepo(db).byConfirmationCode(code);
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
  return createErasureRepo(db).transaction(async ({ accounts, dismissOpenActions }) => {
    const found = await accounts.disconnect(accountId, reason, 'tokenExpiry');
    const dismissedActions = await dismissOpenActions(accountId, reason);
    return { found, dismissedActions };
  });
}
