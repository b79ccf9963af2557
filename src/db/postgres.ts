import { drizzle } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import { type DatabaseHandle, redactUrl } from './client.js';
import * as schema from './schema/index.js';

export interface PostgresOptions {
  /** Pool size. Workers use 1 per request (Hyperdrive pools for us). */
  max?: number;
  /** Workers: never call sql.end() (postgres.js #1202 in workerd); the runtime closes sockets. */
  endOnClose?: boolean;
  /** Called with every SQL statement drizzle sends (tests count round trips with it). */
  onQuery?: (query: string) => void;
  /** Named statements for `db`; default true. Workers pass false (a connection per request). */
  prepare?: boolean;
  /** Connect over this Unix socket instead of the URL (the running server's embedded database). */
  socketPath?: string;
  /**
   * Give webhook intake connections of its own whose statements end after this many ms
   * (statement_timeout), so a held lock answers 503 fast instead of hanging the request.
   */
  intakeTimeoutMs?: number;
}

export function openPostgres(url: string, options: PostgresOptions = {}): DatabaseHandle {
  const settings = {
    max: options.max ?? 10,
    onnotice: () => {},
    // Type lookups cost a round trip per connection and we use no custom types.
    fetch_types: false,
  };
  // Through the server's socket: one connection, and no named statements (the server's one
  // backend is shared by every client, so a name kept by one would collide with the next's).
  const client = options.socketPath
    ? postgres({ ...settings, path: options.socketPath, max: 1, prepare: false, username: 'postgres' })
    : postgres(url, settings);
  const onQuery = options.onQuery;
  const over = (c: typeof client) =>
    drizzle({
      client: c,
      schema,
      ...(onQuery ? { logger: { logQuery: (q: string) => onQuery(q) } } : {}),
    });
  // Ad hoc queries: unnamed statements, as drizzle asks for them. Postgres plans an unnamed
  // statement for its actual parameters every time, which skewed audit filters need.
  const adHoc = over(client);
  // Everything else: named statements, kept per connection. postgres.js describes an unnamed
  // statement before running it, so every query with parameters cost two round trips; a named
  // one is described once per connection. Postgres also keeps its plan: after five runs it
  // uses a generic plan unless that looks costlier. Our repeated statements carry their rows as
  // JSON, which a custom plan cannot see into anyway, so planning each run was pure cost
  // (a third of the database's CPU in the pipeline benchmark).
  const namedOver = (c: typeof client) =>
    over(
      Object.assign(Object.create(c) as typeof c, {
        unsafe: ((query: string, args: never[] = [], opts: Record<string, unknown> = {}) =>
          c.unsafe(query, args, { ...opts, prepare: true })) as typeof c.unsafe,
      }),
    );
  const named = options.prepare === false || options.socketPath ? adHoc : namedOver(client);
  // Intake writes one group commit at a time (and retries one by one after it): two connections.
  const intakeClient =
    options.intakeTimeoutMs && !options.socketPath
      ? postgres(url, { ...settings, max: 2, connection: { statement_timeout: options.intakeTimeoutMs } })
      : null;
  const intake = intakeClient
    ? options.prepare === false
      ? over(intakeClient)
      : namedOver(intakeClient)
    : undefined;
  return {
    db: named,
    adHoc,
    ...(intake ? { intake } : {}),
    kind: 'postgres',
    location: options.socketPath ?? redactUrl(url),
    ...(options.socketPath ? {} : { url }),
    close: async () => {
      if (options.endOnClose !== false)
        await Promise.all([client.end({ timeout: 5 }), intakeClient?.end({ timeout: 5 })]);
    },
  };
}
