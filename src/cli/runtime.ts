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

/** Prints rows as an aligned text table. */
export function printTable(
  rows: readonly Record<string, string>[],
  out: (line: string) => void = console.log,
): void {
  if (rows.length === 0) return;
  const headers = Object.keys(rows[0] ?? {});
  const widths = headers.map((h) => Math.max(h.length, ...rows.map((r) => (r[h] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  out(line(headers));
  for (const r of rows) out(line(headers.map((h) => r[h] ?? '')));
}
