/** Shared by benchmarks: a fresh database (DATABASE_URL server, or in-memory PGlite) and percentiles. */

import { type ServerType, serve } from '@hono/node-server';
import type { DatabaseHandle } from '../src/db/client.js';
import { applyMigrations } from '../src/db/migrate.js';
import { openPglite } from '../src/db/pglite.js';
import { openPostgres } from '../src/db/postgres.js';
import { adminUrl, withDatabase } from '../test/support/pg-names.js';

export async function benchDatabase(name: string, options: { max?: number } = {}): Promise<DatabaseHandle> {
  const url = process.env.DATABASE_URL;
  if (!url) {
    const handle = await openPglite(undefined);
    await applyMigrations(handle);
    return handle;
  }
  // A name of this run's own (two runs at once must not drop each other's), dropped on close.
  const unique = `${name}_${process.pid}`;
  const admin = openPostgres(adminUrl(url), { max: 1 });
  await admin.db.execute(`drop database if exists ${unique} with (force)`);
  await admin.db.execute(`create database ${unique}`);
  // As the server opens it: intake on connections of its own with INTAKE_TIMEOUT_MS's default.
  const handle = openPostgres(withDatabase(url, unique), { max: options.max ?? 10, intakeTimeoutMs: 5000 });
  await applyMigrations(handle);
  return {
    ...handle,
    close: async () => {
      await handle.close();
      await admin.db.execute(`drop database if exists ${unique} with (force)`);
      await admin.close();
    },
  };
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return Math.round((sorted[i] ?? 0) * 100) / 100;
}

export function arg(args: readonly string[], name: string, fallback: number): number {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
}

/** Serves `fetch` over HTTP on a free loopback port; the URL is the webhook endpoint's. */
export function listen(
  fetch: (req: Request) => Response | Promise<Response>,
): Promise<{ server: ServerType; url: string; close: () => void }> {
  return new Promise((resolve) => {
    const server = serve({ fetch, hostname: '127.0.0.1', port: 0 }, (info) =>
      resolve({
        server,
        url: `http://127.0.0.1:${info.port}/webhooks/instagram`,
        close: () => server.close(),
      }),
    );
  });
}
