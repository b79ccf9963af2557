/** `modbot migrate`: apply the committed migrations to DATABASE_URL or the embedded database. */
import type { Command } from 'commander';
import { applyMigrations } from '../db/migrate.js';
import { openDatabase } from '../db/open.js';
import { envOrExit } from './env.js';

export function registerDb(program: Command): void {
  program
    .command('migrate')
    .description('apply database migrations (also done automatically at start)')
    .action(async () => {
      const env = envOrExit();
      const database = await openDatabase(env);
      try {
        await applyMigrations(database);
        console.log(`migrations applied to ${database.kind} (${database.location})`);
      } finally {
        await database.close();
      }
    });
}
