/**
 * A fresh, migrated, isolated database for one test file: a clone of the run's template on a
 * real Postgres (DATABASE_URL), or a PGlite loaded from the run's snapshot.
 */
import { readFileSync } from 'node:fs';
import { inject } from 'vitest';
import type { DatabaseHandle } from '../../src/db/client.js';
import { openPglite } from '../../src/db/pglite.js';
import { openPostgres } from '../../src/db/postgres.js';
import { adminUrl, cloneName, withDatabase } from './pg-names.js';

export interface TestDatabase extends DatabaseHandle {
  /** Set on a real server: a URL a child process can use. */
  readonly testUrl?: string;
}

export async function openTestDatabase(
  options: { onQuery?: (query: string) => void; intakeTimeoutMs?: number } = {},
): Promise<TestDatabase> {
  const url = process.env.DATABASE_URL;
  if (url) {
    const template = inject('postgresTemplate');
    const name = cloneName();
    const admin = openPostgres(adminUrl(url), { max: 1 });
    for (let attempt = 0; ; attempt++) {
      try {
        await admin.db.execute(`create database ${name} template ${template}`);
        break;
      } catch (error) {
        // Two clones of one template at the same instant can collide: try again shortly.
        if (attempt >= 20) throw error;
        await new Promise((r) => setTimeout(r, 100 + Math.random() * 200));
      }
    }
    const testUrl = withDatabase(url, name);
    const handle = openPostgres(testUrl, {
      ...(options.onQuery ? { onQuery: options.onQuery } : {}),
      ...(options.intakeTimeoutMs ? { intakeTimeoutMs: options.intakeTimeoutMs } : {}),
    });
    return {
      ...handle,
      testUrl,
      close: async () => {
        await handle.close();
        await admin.db.execute(`drop database if exists ${name} with (force)`);
        await admin.close();
      },
    };
  }
  const snapshot = inject('pgliteSnapshot');
  return openPglite(undefined, new Blob([readFileSync(snapshot)]), options.onQuery);
}
