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
}

export function openPostgres(url: string, options: PostgresOptions = {}): DatabaseHandle {
  const client = postgres(url, {
    max: options.max ?? 10,
    onnotice: () => {},
    // Type lookups cost a round trip per connection and we use no custom types.
    fetch_types: false,
  });
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
