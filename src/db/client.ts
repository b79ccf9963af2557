/**
 * The database handle shared by every module: drizzle over postgres.js (a real server) or over
 * PGlite (embedded, for a newcomer or a small single instance). Same schema, same migrations.
 */
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import type * as schema from './schema/index.js';

export type Database = PgDatabase<PgQueryResultHKT, typeof schema>;

export interface DatabaseHandle {
  readonly db: Database;
  readonly kind: 'postgres' | 'pglite';
  /** Where it is: the data folder, or the URL without its password. */
  readonly location: string;
  /** The connection URL (postgres only); never logged. */
  readonly url?: string;
  close(): Promise<void>;
}

/** `db.execute()` returns an array on postgres.js and `{rows}` on PGlite. */
export function rowsOf<T>(result: unknown): T[] {
  if (Array.isArray(result)) return result as T[];
  return ((result as { rows?: T[] }).rows ?? []) as T[];
}

/** A URL safe to print: the password replaced. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable DATABASE_URL)';
  }
}
