/**
 * The database handle: drizzle over postgres.js (a real server) or over PGlite (embedded, for a
 * newcomer or a small single instance). Same schema, same migrations. Only src/db/ runs SQL on
 * it (the queries are in src/db/repos/); other modules pass the handle along to the repos.
 */
import { sql } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import type * as schema from './schema/index.js';

export type Database = PgDatabase<PgQueryResultHKT, typeof schema>;

export interface DatabaseHandle {
  /** For the statements the service repeats (on Postgres: named, their plans kept). */
  readonly db: Database;
  /**
   * For ad hoc queries whose best plan depends on their parameters (audit filters: one author
   * with 17,000 decisions among a million). On Postgres each is planned for its actual
   * parameters; with kept generic plans the author query took 30–89 ms instead of 2–4 ms.
   */
  readonly adHoc: Database;
  /**
   * Postgres: webhook intake's own connections, whose statements time out (INTAKE_TIMEOUT_MS).
   * Unset: intake uses `db` (PGlite, the commands).
   */
  readonly intake?: Database;
  readonly kind: 'postgres' | 'pglite';
  /** Where it is: the data folder, or the URL without its password. */
  readonly location: string;
  /** The connection URL (postgres only); never logged. */
  readonly url?: string;
  /** The embedded database reached through the running server, which applied the migrations. */
  readonly sharedByServer?: boolean;
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

/**
 * A WHERE condition that is always true and lets the statement's own transaction commit without
 * waiting for its WAL flush (synchronous_commit off, for that transaction only; a flush costs
 * one to three milliseconds on these disks). Only for writes whose loss in a database crash is
 * harmless: a later durable commit flushes the WAL written before it, so such a write can only
 * be lost together with everything after it (e.g. an inbox claim or completion: the row is
 * claimed again and its decision, if any, is found; or decisions whose actions are all safe to
 * repeat, with their inbox rows' completion: the events are decided and carried out again).
 */
export const withoutFlushWait = sql`(select set_config('synchronous_commit', 'off', true)) = 'off'`;
