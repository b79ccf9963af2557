/**
 * The only use case that rewrites old audit rows: erasure of one person (Meta's data-deletion
 * callback, or an operator) and retention (text older than RETENTION_DAYS). Both replace text
 * and identifiers with a tombstone, keep everything else (times, accounts, rule ids, actions,
 * classifier scores, counts), set decisions.redacted_at, and record what they did in `erasures`.
 *
 * Erasure covers every place a person's words or names are stored: decisions (text, normalised
 * text, hash, username, id, condition traces and matched terms, reply text), actions (reply
 * messages) and their attempts' requests, inbox events, raw webhook deliveries (only that
 * person's parts: a delivery can carry other people's comments too), and a connected account
 * whose owner asked (token dropped). The erasure record keeps only a SHA-256 of the id.
 *
 * The statements are in src/db/repos/erasure.ts (and, for accounts, src/db/repos/accounts.ts);
 * what is erased, in which order, in which transaction, and what is recorded is decided here.
 */
import type { Database } from '../db/client.js';
import {
  createErasureRepo,
  type ErasureCounts,
  type ErasureKind,
  type ErasureStatus,
} from '../db/repos/erasure.js';
import { sha256Hex } from '../moderation/index.js';
import { AuditInputError } from './filters.js';
import { rollUpClosedDays } from './rollup.js';

export const ERASED = '[erased]';
export const REDACTED = '[redacted]';

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
  const repo = createErasureRepo(db);
  const id = crypto.randomUUID();
  const code = confirmationCode();
  await repo.start({
    id,
    kind: request.kind,
    confirmationCode: code,
    subjectHash: sha256Hex(userId),
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
  const repo = createErasureRepo(db);
  const now = options.now ?? new Date();
  const cutoff = new Date(now.getTime() - options.days * 86_400_000);
  const batch = options.batchSize ?? 2000;
  const id = crypto.randomUUID();
  await repo.start({ id, kind: 'retention', requestedBy: 'retention', cutoff });
  const counts: Required<Pick<ErasureCounts, 'decisions' | 'actions' | 'inbox' | 'deliveries'>> = {
    decisions: 0,
    actions: 0,
    inbox: 0,
    deliveries: 0,
  };
  try {
    for (;;) {
      const n = await repo.redactDecisions(cutoff, REDACTED, batch);
      counts.decisions += n;
      if (n < batch) break;
    }
    for (;;) {
      const n = await repo.redactActionMessages(cutoff, [REDACTED, ERASED], batch);
      counts.actions += n;
      if (n < batch) break;
    }
    for (;;) {
      const n = await repo.redactInboxEvents(cutoff, REDACTED, batch);
      counts.inbox += n;
      if (n < batch) break;
    }
    const body = JSON.stringify({ redacted: REDACTED, reason: `retention: older than ${options.days} days` });
    for (;;) {
      const n = await repo.redactDeliveries(cutoff, body, batch);
      counts.deliveries += n;
      if (n < batch) break;
    }
    await repo.finish(id, { status: 'done', counts });
    return { id, cutoff: cutoff.toISOString(), counts };
  } catch (error) {
    await repo.fail(id, error instanceof Error ? error.message.slice(0, 500) : 'failed', counts);
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
  return createErasureRepo(db).transaction(async ({ accounts, dismissOpenActions }) => {
    const found = await accounts.disconnect(accountId, reason, 'tokenExpiry');
    const dismissedActions = await dismissOpenActions(accountId, reason);
    return { found, dismissedActions };
  });
}
