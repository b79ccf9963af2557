/**
 * What a moderator does to a comment from the CLI or the API: approve, hide, unhide (undo),
 * delete, reply. Each is a NEW row in the actions outbox with actor "moderator:<name>" and status
 * "planned"; the actuator executes it exactly once, like modbot's own actions. Decisions are
 * never changed (the audit log is append-only).
 *
 * Choices (docs/audit.md):
 * - Moderator rows carry decision_id null (a decision's rows are its own ordered plan) and the
 *   comment and account ids; `audit show` lists every action on the comment.
 * - Approve: a held review on the comment is set to "dismissed" (the queue empties) and a new
 *   "review" row with status "dismissed" records who approved; if the comment is hidden (or a
 *   hide is on its way) an unhide is planned. A hide still waiting in the outbox is cancelled
 *   (status "dismissed") instead of being run and undone.
 * - A deleted comment cannot be restored: Instagram has no undelete. Undo of a delete is refused
 *   with that message.
 *
 * The statements are in src/db/repos/moderator-actions.ts; the choices above are made here.
 */
import type { Database } from '../db/client.js';
import {
  createModeratorActionsRepo,
  type HeldAction,
  type ModeratorActionsRepo,
} from '../db/repos/moderator-actions.js';
import type { ActionType } from '../pipeline/plan.js';
import { AuditInputError } from './filters.js';
import { uuidPattern } from './query.js';

export const moderatorActionKinds = ['approve', 'hide', 'unhide', 'delete', 'reply'] as const;
export type ModeratorActionKind = (typeof moderatorActionKinds)[number];

/** Raised when the action cannot be done to this comment (the API answers 409). */
export class ModerationConflict extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModerationConflict';
  }
}

export class TargetNotFound extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TargetNotFound';
  }
}

export interface ModeratorRequest {
  readonly kind: ModeratorActionKind;
  /** A decision id, or a comment id (its latest decision gives the account). */
  readonly target: string;
  /** Who: recorded as "moderator:<name>". */
  readonly moderator: string;
  /** Reply text (reply only). */
  readonly message?: string | undefined;
  /** Why, recorded on the action. */
  readonly note?: string | undefined;
}

export interface ModeratorResult {
  readonly kind: ModeratorActionKind;
  readonly accountId: string;
  readonly commentId: string;
  readonly decisionId: string | null;
  /** New action rows (planned for the actuator, or records). */
  readonly planned: readonly { id: string; type: ActionType; status: string }[];
  /** Rows this request cancelled or dismissed (a hide not yet run, a held review). */
  readonly dismissed: readonly { id: string; type: string; previousStatus: string }[];
  /** A plain sentence for people. */
  readonly message: string;
}

/** Moderators run before modbot's backlog: a person is waiting. */
export const moderatorPriority = -10;
const maxReplyLength = 2200;

export function moderatorActor(name: string): string {
  const n = name.trim();
  if (!/^[A-Za-z0-9._@-]{1,64}$/.test(n))
    throw new AuditInputError(
      'moderator is a name of letters, digits, ".", "_", "@" or "-" (at most 64), e.g. alice',
    );
  return `moderator:${n}`;
}

interface Target {
  accountId: string;
  commentId: string;
  mediaId: string | null;
  decisionId: string | null;
}

async function resolveTarget(repo: ModeratorActionsRepo, target: string): Promise<Target> {
  const key = target.trim();
  const isUuid = uuidPattern.test(key);
  if (!isUuid && !/^[0-9A-Za-z_-]{1,64}$/.test(key))
    throw new AuditInputError('target is a decision id (uuid) or a comment id (digits)');
  const row = await repo.findTarget(key, isUuid ? 'id' : 'comment');
  if (!row) throw new TargetNotFound(`no decision with id or comment id ${key}`);
  if (!row.commentId)
    throw new ModerationConflict(
      'this decision is about a caption mention, not a comment: there is nothing to hide, delete or reply to',
    );
  return { accountId: row.accountId, commentId: row.commentId, mediaId: row.mediaId, decisionId: row.id };
}

const deletedMessage =
  'the comment was deleted on Instagram; a deleted comment cannot be restored (Instagram has no undelete)';

export async function moderate(db: Database, request: ModeratorRequest): Promise<ModeratorResult> {
  const actor = moderatorActor(request.moderator);
  if (request.kind === 'reply') {
    const m = request.message?.trim() ?? '';
    if (m.length === 0) throw new AuditInputError('reply needs a message');
    if (m.length > maxReplyLength)
      throw new AuditInputError(`a reply is at most ${maxReplyLength} characters`);
  }
  const note = request.note?.trim().slice(0, 500) || null;
  const repo = createModeratorActionsRepo(db);
  const target = await resolveTarget(repo, request.target);

  return repo.onComment(target.accountId, target.commentId, async (comment) => {
    const existing = await comment.list();
    const deleted = existing.find((a) => a.type === 'delete' && (a.status === 'done' || a.status === 'gone'));
    const deleting = existing.find(
      (a) => a.type === 'delete' && (a.status === 'planned' || a.status === 'in_progress'),
    );
    if (deleted) throw new ModerationConflict(deletedMessage);
    if (deleting && request.kind !== 'delete')
      throw new ModerationConflict(
        'a delete of this comment is already under way; a deleted comment cannot be restored',
      );

    const planned: { id: string; type: ActionType; status: string }[] = [];
    const dismissed: { id: string; type: string; previousStatus: string }[] = [];
    const plan = async (
      type: ActionType,
      status: 'planned' | 'dismissed' = 'planned',
      extra: { message?: string; reason?: string | null } = {},
    ) => {
      const id = crypto.randomUUID();
      await comment.add({
        id,
        mediaId: target.mediaId,
        type,
        message: extra.message ?? null,
        priority: moderatorPriority,
        actor,
        status,
        reason: extra.reason ?? note,
      });
      planned.push({ id, type, status });
    };
    /** Cancels rows not yet started (the actuator only claims "planned" rows, so this cannot race it). */
    const cancel = async (types: readonly ActionType[], statuses: readonly string[], why: string) => {
      const rows = await comment.dismiss(types, statuses, why);
      const before = new Map(existing.map((a) => [a.id, a.status]));
      for (const r of rows)
        dismissed.push({ id: r.id, type: r.type, previousStatus: before.get(r.id) ?? 'planned' });
      return rows.length;
    };
    const lastVisibility = () =>
      [...existing]
        .reverse()
        .find(
          (a) =>
            (a.type === 'hide' || a.type === 'unhide') &&
            ['done', 'in_progress', 'planned', 'dry_run', 'failed'].includes(a.status),
        );

    let message: string;
    switch (request.kind) {
      case 'hide': {
        await plan('hide');
        message = 'hide planned';
        break;
      }
      case 'delete': {
        if (deleting) throw new ModerationConflict('a delete of this comment is already under way');
        await plan('delete');
        message = 'delete planned; once done it cannot be undone (Instagram has no undelete)';
        break;
      }
      case 'reply': {
        await plan('reply', 'planned', { message: (request.message ?? '').trim() });
        message = 'reply planned';
        break;
      }
      case 'unhide':
      case 'approve': {
        const why = `${request.kind === 'approve' ? 'approved' : 'undone'} by ${actor}`;
        const cancelledHides = await cancel(['hide'], ['planned'], why);
        const last = lastVisibility();
        // A dry-run hide never reached Instagram: there is nothing to unhide.
        const hidden = last?.type === 'hide' && (last.status === 'done' || last.status === 'in_progress');
        const dryRunHide = last?.type === 'hide' && last.status === 'dry_run';
        const parts: string[] = [];
        if (cancelledHides > 0) parts.push('the hide waiting in the outbox was cancelled');
        if (hidden) {
          await plan('unhide');
          parts.push('unhide planned');
        }
        if (request.kind === 'approve') {
          const held = await cancel(['review'], ['held', 'planned'], why);
          if (held > 0) {
            await plan('review', 'dismissed', { reason: note ? `approved: ${note}` : 'approved' });
            parts.push('review dismissed');
          }
        }
        if (parts.length === 0) {
          if (request.kind === 'approve') {
            await plan('review', 'dismissed', { reason: note ? `approved: ${note}` : 'approved' });
            parts.push('nothing was hidden or held; the approval is recorded');
          } else {
            throw new ModerationConflict(
              dryRunHide
                ? 'the hide was a dry run (nothing was done on Instagram): nothing to undo'
                : 'this comment is not hidden by modbot or a moderator: nothing to undo',
            );
          }
        }
        message = parts.join('; ');
        break;
      }
    }
    return { kind: request.kind, ...target, planned, dismissed, message };
  });
}

// ---------------------------------------------------------------------------------------------
// The review queue: actions held for a person.

/** A held comment in the review queue, as the CLI and the API show it. */
export type QueueItem = Omit<HeldAction, 'heldAt'> & { readonly heldAt: string };

export async function reviewQueue(
  db: Database,
  options: { account?: string | undefined; limit: number; after?: string | undefined },
): Promise<{ items: QueueItem[]; nextCursor: string | null }> {
  if (options.account !== undefined && !/^[0-9A-Za-z_-]{1,64}$/.test(options.account))
    throw new AuditInputError('account is an Instagram id (digits)');
  if (options.after !== undefined && !uuidPattern.test(options.after))
    throw new AuditInputError('cursor is not one this API gave out; start again without it');
  const rows = await createModeratorActionsRepo(db).held({
    account: options.account,
    limit: options.limit + 1,
    after: options.after,
  });
  const more = rows.length > options.limit;
  const items = (more ? rows.slice(0, options.limit) : rows).map((r) => ({
    ...r,
    heldAt: r.heldAt.toISOString(),
  }));
  return { items, nextCursor: more ? (items.at(-1)?.actionId ?? null) : null };
}
