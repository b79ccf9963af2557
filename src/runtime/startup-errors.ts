/**
 * Start-up mistakes as one line each, the cause first and what to do after it, instead of a
 * stack trace (or 166 KB of minified WASM glue when PGlite is opened twice).
 */
import { DataFolderBusy } from '../db/data-folder-lock.js';
import type { Env } from '../env.js';

/** Why the database could not be opened, for a person. */
export function databaseStartError(
  error: unknown,
  env: Pick<Env, 'DATABASE_URL' | 'MODBOT_DATA_DIR'>,
): string {
  if (error instanceof DataFolderBusy) return error.message;
  const e = withCode(error) as { code?: string; message?: string; address?: string; port?: number };
  const cause = e?.message ? firstLine(e.message) : String(error);
  if (env.DATABASE_URL) {
    if (e?.code === '3D000') return `${cause}; create it (createdb) or fix DATABASE_URL`;
    if (e?.code === '28P01' || e?.code === '28000')
      return `${cause}; fix the user or password in DATABASE_URL`;
    if (
      e?.code === 'ECONNREFUSED' ||
      e?.code === 'ENOTFOUND' ||
      e?.code === 'ETIMEDOUT' ||
      e?.code === 'EHOSTUNREACH'
    )
      return `${connectionCause(e, cause)}; is Postgres running there? (DATABASE_URL)`;
    return `${cause} (DATABASE_URL)`;
  }
  if (e?.code === 'EACCES' || e?.code === 'EROFS' || e?.code === 'ENOTDIR')
    return `${cause}; MODBOT_DATA_DIR must be a writable folder`;
  return `the embedded database in ${env.MODBOT_DATA_DIR} could not be opened: ${cause}`;
}

/** Why the HTTP server could not listen, for a person. */
export function listenError(error: unknown, env: Pick<Env, 'HOST' | 'PORT'>): string {
  const e = error as { code?: string; message?: string };
  if (e?.code === 'EADDRINUSE')
    return `port ${env.PORT} on ${env.HOST} is in use by another program; stop it or set PORT`;
  if (e?.code === 'EACCES')
    return `not allowed to listen on ${env.HOST}:${env.PORT}; choose a PORT above 1023`;
  if (e?.code === 'EADDRNOTAVAIL') return `${env.HOST} is not an address of this machine; fix HOST`;
  return `cannot listen on ${env.HOST}:${env.PORT}: ${e?.message ? firstLine(e.message) : String(error)}`;
}

function connectionCause(e: { code?: string; address?: string; port?: number }, cause: string): string {
  return e.address ? `${e.code} ${e.address}${e.port ? `:${e.port}` : ''}` : cause;
}

/** The error that says what happened: drizzle wraps the driver's ("Failed query: …") in `cause`. */
function withCode(error: unknown): unknown {
  let e = error as { code?: unknown; cause?: unknown } | null;
  for (let depth = 0; e && depth < 5; depth++) {
    if (typeof e.code === 'string') return e;
    e = (e.cause ?? null) as typeof e;
  }
  return error;
}

function firstLine(text: string): string {
  const line = text.split('\n')[0] ?? text;
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}
