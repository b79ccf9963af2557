/**
 * A moderator locks or unlocks a media's comments by hand (`modbot media lock|unlock`, the API):
 *   lock:   comments off now (a comments_off row); with a duration, back on when it is up (a
 *           comments_on row due then). A reopening already waiting (from a rule's lockdown or an
 *           earlier lock) is dismissed: the moderator's word replaces it. Without a duration the
 *           media stays locked until someone unlocks it.
 *   unlock: lockdown rows not yet started are dismissed and comments go back on now.
 * Each is a new row in the actions outbox with actor "moderator:<name>" and the reason given,
 * executed exactly once by the actuator like modbot's own (the audit trail: `modbot media show`).
 * The statements are in src/db/repos/media-locks.ts.
 */
import type { Database } from '../db/client.js';
import { createMediaLocksRepo, type LockRow } from '../db/repos/media-locks.js';
import { parseDuration } from '../moderation/index.js';
import { formatSeconds } from '../pipeline/plan.js';
import { AuditInputError } from './filters.js';
import { ModerationConflict, moderatorActor, moderatorPriority, TargetNotFound } from './moderator-action.js';

export interface MediaLockRequest {
  readonly mediaId: string;
  /** The account the media belongs to; default: the account of modbot's latest decision on it. */
  readonly accountId?: string | undefined;
  /** lock only: how long, e.g. "2h" (1 minute to 7 days); absent: until unlocked. */
  readonly for?: string | undefined;
  readonly moderator: string;
  readonly note?: string | undefined;
}

export interface MediaLockResult {
  readonly accountId: string;
  readonly mediaId: string;
  readonly planned: readonly { id: string; type: string; dueAt: string }[];
  readonly dismissed: readonly { id: string; type: string }[];
  /** A plain sentence for people. */
  readonly message: string;
}

const idPattern = /^[0-9A-Za-z_-]{1,64}$/;
const maxLockSeconds = 7 * 86400;

async function target(db: Database, request: MediaLockRequest) {
  const mediaId = request.mediaId.trim();
  if (!idPattern.test(mediaId)) throw new AuditInputError('media id is an Instagram id (digits)');
  const repo = createMediaLocksRepo(db);
  let accountId = request.accountId?.trim();
  if (accountId !== undefined && !idPattern.test(accountId))
    throw new AuditInputError('account is an Instagram id (digits)');
  accountId ??= (await repo.accountOf(mediaId)) ?? undefined;
  if (!accountId)
    throw new TargetNotFound(
      `modbot has decided nothing on media ${mediaId}, so its account is unknown: give the account id (--account <id>)`,
    );
  return { repo, mediaId, accountId };
}

/** "2h" → seconds, with the message a person needs when it is not a duration modbot takes. */
export function lockDuration(text: string): number {
  const seconds = parseDuration(text);
  if (!(seconds >= 60 && seconds <= maxLockSeconds))
    throw new AuditInputError(`for: expected a duration from 1m to 7d such as "30m" or "2h", got "${text}"`);
  return seconds;
}

export async function lockMedia(db: Database, request: MediaLockRequest): Promise<MediaLockResult> {
  const actor = moderatorActor(request.moderator);
  const seconds = request.for === undefined ? null : lockDuration(request.for);
  const note = request.note?.trim().slice(0, 500) || null;
  const { repo, mediaId, accountId } = await target(db, request);
  return repo.onMedia(accountId, mediaId, async (media) => {
    const pending = await media.pending();
    if (pending.some((r) => r.type === 'comments_on' && r.status === 'in_progress'))
      throw new ModerationConflict('comments are being turned back on right now; lock again in a moment');
    const dismissed = await media.dismiss(
      pending.filter((r) => r.type === 'comments_on').map((r) => r.id),
      `replaced by a lock by ${actor}`,
    );
    const span = seconds === null ? 'until unlocked' : `for ${formatSeconds(seconds)}`;
    const why = `locked by ${actor} ${span}${note ? `: ${note}` : ''}`;
    const now = new Date();
    const planned: { id: string; type: string; dueAt: string }[] = [];
    const off = crypto.randomUUID();
    await media.add({
      id: off,
      type: 'comments_off',
      actor,
      priority: moderatorPriority,
      reason: why,
      dueAt: null,
    });
    planned.push({ id: off, type: 'comments_off', dueAt: now.toISOString() });
    if (seconds !== null) {
      const on = crypto.randomUUID();
      const dueAt = new Date(now.getTime() + seconds * 1000);
      const added = await media.add({
        id: on,
        type: 'comments_on',
        actor,
        priority: moderatorPriority,
        reason: `end of the lock by ${actor} ${span}`,
        dueAt,
      });
      if (!added)
        throw new ModerationConflict('a reopening was planned at the same moment; look again and retry');
      planned.push({ id: on, type: 'comments_on', dueAt: dueAt.toISOString() });
    }
    return {
      accountId,
      mediaId,
      planned,
      dismissed: dismissed.map((id) => ({ id, type: 'comments_on' })),
      message: `comments off planned ${span}; undo: modbot media unlock ${mediaId} --account ${accountId}`,
    };
  });
}

export async function unlockMedia(db: Database, request: MediaLockRequest): Promise<MediaLockResult> {
  const actor = moderatorActor(request.moderator);
  if (request.for !== undefined) throw new AuditInputError('for: only a lock takes a duration');
  const note = request.note?.trim().slice(0, 500) || null;
  const { repo, mediaId, accountId } = await target(db, request);
  return repo.onMedia(accountId, mediaId, async (media) => {
    const pending = await media.pending();
    const reopening = pending.find((r) => r.type === 'comments_on' && r.status === 'in_progress');
    const why = `unlocked by ${actor}${note ? `: ${note}` : ''}`;
    const dismissedIds = await media.dismiss(
      pending.map((r) => r.id),
      `cancelled: ${why}`,
    );
    const dismissed = pending
      .filter((r) => dismissedIds.includes(r.id))
      .map((r) => ({ id: r.id, type: r.type as string }));
    if (reopening)
      return {
        accountId,
        mediaId,
        planned: [],
        dismissed,
        message: 'comments are being turned back on already',
      };
    const id = crypto.randomUUID();
    const added = await media.add({
      id,
      type: 'comments_on',
      actor,
      priority: moderatorPriority,
      reason: why,
      dueAt: null,
    });
    if (!added)
      throw new ModerationConflict('a reopening was planned at the same moment; look again and retry');
    return {
      accountId,
      mediaId,
      planned: [{ id, type: 'comments_on', dueAt: new Date().toISOString() }],
      dismissed,
      message: 'comments on planned now',
    };
  });
}

/** The media's lockdowns and reopenings, newest first: who, why, when, what became of them. */
export async function mediaLockHistory(
  db: Database,
  request: { mediaId: string; accountId?: string | undefined; limit?: number },
): Promise<{
  accountId: string;
  mediaId: string;
  rows: (Omit<LockRow, 'dueAt' | 'createdAt' | 'completedAt'> & {
    dueAt: string;
    createdAt: string;
    completedAt: string | null;
  })[];
}> {
  const { repo, mediaId, accountId } = await target(db, { ...request, moderator: 'reader' });
  const rows = await repo.history(accountId, mediaId, request.limit ?? 50);
  return {
    accountId,
    mediaId,
    rows: rows.map((r) => ({
      ...r,
      dueAt: r.dueAt.toISOString(),
      createdAt: r.createdAt.toISOString(),
      completedAt: r.completedAt?.toISOString() ?? null,
    })),
  };
}

/** Media whose comments are off now (or are being turned off), newest lock first. */
export async function lockedMedia(
  db: Database,
  limit = 100,
): Promise<{ accountId: string; mediaId: string; lockedBy: string; lockedAt: string }[]> {
  const rows = await createMediaLocksRepo(db).locked(limit);
  return rows.map((r) => ({ ...r, lockedAt: r.lockedAt.toISOString() }));
}
