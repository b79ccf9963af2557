/**
 * At start on the embedded database (PGlite): only one process can have it open, so every lease
 * in it belongs to a process that stopped (killed, crashed, the machine restarted). Its events
 * and actions are released at once instead of after their lease (INBOX_LEASE_SECONDS): the same
 * as their leases expiring, sooner. On Postgres several processes may share the database, and a
 * lease is only ever taken back when it expires.
 */
import type { DatabaseHandle } from '../client.js';
import { createActionsRepo } from './actions.js';
import { createInboxRepo } from './inbox.js';

export async function releaseLeasesOfStoppedProcess(
  database: DatabaseHandle,
): Promise<{ events: number; actions: number } | null> {
  if (database.kind !== 'pglite') return null;
  return {
    events: await createInboxRepo(database.db).releaseLeases('all'),
    actions: await createActionsRepo(database.db).releaseLeases('all'),
  };
}
