/**
 * Dead letters, visible and recoverable: the events that failed INBOX_MAX_ATTEMPTS times and
 * were set aside with their last error (`modbot inbox dead`, `GET /api/inbox/dead`), put back
 * for the workers once the cause is fixed (`modbot inbox retry <id>|--all`,
 * `POST /api/inbox/retry`), and where an event without a decision stands.
 */
import type { Database } from '../db/client.js';
import { createDeadLettersRepo, type DeadLetterRow } from '../db/repos/dead-letters.js';
import { AuditInputError } from './filters.js';

export type { DeadLetterRow };

export async function listDeadLetters(
  db: Database,
  options: { limit?: number } = {},
): Promise<{ total: number; items: DeadLetterRow[] }> {
  const repo = createDeadLettersRepo(db);
  const limit = options.limit ?? 100;
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
    throw new AuditInputError('limit: expected a whole number from 1 to 1000');
  return { total: await repo.count(), items: await repo.list(limit) };
}

/**
 * Puts dead events back in the inbox (pending, attempts from zero, due now). Ids that are not
 * dead are named in `notDead` (already retried, never dead, or unknown), so a typo is seen.
 */
export async function retryDeadLetters(
  db: Database,
  which: { ids: readonly number[] } | { all: true },
): Promise<{ retried: number[]; notDead: number[] }> {
  const repo = createDeadLettersRepo(db);
  if ('all' in which) return { retried: await repo.retry('all'), notDead: [] };
  if (which.ids.length === 0) throw new AuditInputError('name the dead events to retry (ids), or all');
  for (const id of which.ids)
    if (!Number.isSafeInteger(id) || id < 1) throw new AuditInputError(`"${id}" is not an inbox id`);
  const retried = await repo.retry(which.ids);
  return { retried, notDead: which.ids.filter((id) => !retried.includes(id)) };
}

/** Where a comment's events stand in the inbox (for a comment that has no decision). */
export function inboxStateOfComment(db: Database, commentId: string) {
  return createDeadLettersRepo(db).findByComment(commentId);
}
