/** Shared by commands that need the database: open it, apply migrations, run, close. */

import type { DatabaseHandle } from '../db/client.js';
import { applyMigrations } from '../db/migrate.js';
import { openDatabase } from '../db/open.js';
import type { Env } from '../env.js';

export async function withDatabase<T>(env: Env, run: (database: DatabaseHandle) => Promise<T>): Promise<T> {
  const database = await openDatabase(env);
  try {
    await applyMigrations(database);
    return await run(database);
  } finally {
    await database.close();
  }
}
