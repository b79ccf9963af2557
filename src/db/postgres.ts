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
  /** Named (prepared) statements; default true. Workers pass false (a connection per request). */
  prepare?: boolean;
}

export function openPostgres(url: string, options: PostgresOptions = {}): DatabaseHandle {
  const client = postgres(url, {
    max: options.max ?? 10,
    onnotice: () => {},
    // Type lookups cost a round trip per connection and we use no custom types.
    fetch_types: false,
    // Named statements (below) are still planned for their actual parameters each time, as
    // unnamed ones are: a generic plan could be poor for skewed audit filters.
    ...(options.prepare !== false ? { connection: { plan_cache_mode: 'force_custom_plan' } } : {}),
  });
  if (options.prepare !== false) {
    // drizzle asks postgres.js for unnamed statements, and postgres.js describes an unnamed
    // statement before running it: two round trips for every query with parameters. Named
    // statements, kept per connection, make every query we repeat (all the hot ones) one.
    const unprepared = client.unsafe;
    client.unsafe = ((query: string, args: never[] = [], opts: Record<string, unknown> = {}) =>
      unprepared(query, args, { ...opts, prepare: true })) as typeof client.unsafe;
  }
  const onQuery = options.onQuery;
  const db = drizzle({
    client,
    schema,
    ...(onQuery ? { logger: { logQuery: (q: string) => onQuery(q) } } : {}),
  });
  return {
    db,
    kind: 'postgres',
    location: redactUrl(url),
    url,
    close: async () => {
      if (options.endOnClose !== false) await client.end({ timeout: 5 });
    },
  };
}
