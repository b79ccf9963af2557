// Values the global setups hand to test files (vitest provide/inject).
import 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Path of a migrated PGlite snapshot ('' when running on Postgres). */
    pgliteSnapshot: string;
    /** Name of the migrated template database ('' when running on PGlite). */
    postgresTemplate: string;
    /** Connection string of the Workers tests' database (Hyperdrive form). */
    workerDatabaseUrl: string;
    /** URL of a notification receiver the Workers tests can reach (GET lists what it received). */
    notifyReceiverUrl: string;
  }
}
