import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { drizzle } from 'drizzle-orm/pglite';
import type { DatabaseHandle } from './client.js';
import * as schema from './schema/index.js';

/**
 * Embedded Postgres (PGlite, WASM) in a data folder. One connection: transactions run one at a
 * time, which is fine for one small instance; use DATABASE_URL for more.
 * `dataDir` undefined means in memory; `loadDataDir` starts from a snapshot (tests).
 */
export async function openPglite(
  dataDir: string | undefined,
  loadDataDir?: Blob,
  onQuery?: (query: string) => void,
): Promise<DatabaseHandle & { client: PGlite }> {
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  const client = await PGlite.create(dataDir, loadDataDir ? { loadDataDir } : {});
  const db = drizzle({
    client,
    schema,
    ...(onQuery ? { logger: { logQuery: (q: string) => onQuery(q) } } : {}),
  });
  return {
    db,
    adHoc: db,
    kind: 'pglite',
    location: dataDir ?? '(memory)',
    close: async () => {
      if (!client.closed) await client.close();
    },
    client,
  };
}
