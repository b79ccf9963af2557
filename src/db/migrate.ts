/**
 * Applies the committed migrations in migrations/ (Node only: reads the folder).
 * On a shared Postgres several instances may start at once: an advisory lock serialises them.
 */
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator';
import type { DatabaseHandle } from './client.js';
import { openPostgres } from './postgres.js';

export const migrationsFolder = fileURLToPath(new URL('../../migrations', import.meta.url));
const lockId = 7_405_721_001; // arbitrary, constant: "modbot migrations"

export async function applyMigrations(handle: DatabaseHandle): Promise<void> {
  if (handle.sharedByServer) return; // the running server applied them at its start
  if (handle.kind === 'pglite') {
    // biome-ignore lint/suspicious/noExplicitAny: the drizzle migrators are typed per driver.
    await migratePglite(handle.db as any, { migrationsFolder });
    return;
  }
  // A session-level lock needs one connection throughout: use a dedicated single-connection client.
  const single = openPostgres(handle.url ?? '', { max: 1 });
  try {
    await single.db.execute(sql`select pg_advisory_lock(${lockId})`);
    // biome-ignore lint/suspicious/noExplicitAny: the drizzle migrators are typed per driver.
    await migratePostgres(single.db as any, { migrationsFolder });
    await single.db.execute(sql`select pg_advisory_unlock(${lockId})`);
  } finally {
    await single.close();
  }
}
