/** `modbot migrate`: apply the committed migrations to DATABASE_URL or the embedded database. */
import type { Command } from 'commander';
import { migrateDatabase } from '../runtime/commands.js';
import { envOrExit } from './env.js';

export function registerDb(program: Command): void {
  program
    .command('migrate')
    .description('apply database migrations (also done automatically at start)')
    .action(async () => {
      const where = await migrateDatabase(envOrExit());
      console.log(`migrations applied to ${where.kind} (${where.location})`);
    });
}
