/** Node: postgres.js when DATABASE_URL is set, PGlite in MODBOT_DATA_DIR otherwise. */
import { join } from 'node:path';
import type { DatabaseHandle } from './client.js';
import { openPostgres } from './postgres.js';

export async function openDatabase(config: {
  DATABASE_URL?: string | undefined;
  MODBOT_DATA_DIR: string;
}): Promise<DatabaseHandle> {
  if (config.DATABASE_URL) return openPostgres(config.DATABASE_URL);
  // Imported lazily: postgres.js users never load the WASM build.
  const { openPglite } = await import('./pglite.js');
  return openPglite(join(config.MODBOT_DATA_DIR, 'pgdata'));
}
