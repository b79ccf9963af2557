/** Node side of the Workers tests: a fresh migrated Postgres database for this run, dropped afterwards. */
import type { TestProject } from 'vitest/node';
import { rowsOf } from '../../src/db/client.js';
import { applyMigrations } from '../../src/db/migrate.js';
import { openPostgres } from '../../src/db/postgres.js';
import { startNotifyReceiver } from '../support/notify-receiver.js';
import { adminUrl, withDatabase, workerDatabaseName } from '../support/pg-names.js';

export default async function setup(project: TestProject) {
  const base = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  // A name of its own, so that two runs at once (or a Node run) do not drop each other's database.
  const name = workerDatabaseName();
  const admin = openPostgres(adminUrl(base), { max: 1 });
  try {
    await admin.db.execute(`create database ${name}`);
  } finally {
    await admin.close();
  }
  const drop = async () => {
    // By now workerd has stopped. Should the Hyperdrive proxy still hold connections, give them a
    // few seconds to close: cutting them mid-shutdown shows up as an unhandled ECONNRESET.
    const cleanup = openPostgres(adminUrl(base), { max: 1 });
    try {
      for (const end = Date.now() + 10_000; Date.now() < end; ) {
        const [open] = rowsOf<{ n: number }>(
          await cleanup.db.execute(
            `select count(*)::int as n from pg_stat_activity where datname = '${name}'`,
          ),
        );
        if (!open?.n) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      await cleanup.db.execute(`drop database if exists ${name} with (force)`);
    } finally {
      await cleanup.close();
    }
  };
  const url = withDatabase(base, name);
  const db = openPostgres(url, { max: 1 });
  try {
    await applyMigrations(db);
  } catch (error) {
    await db.close();
    await drop();
    throw error;
  }
  await db.close();
  // Hyperdrive insists on a password in its connection string; trust auth ignores it.
  const u = new URL(url);
  if (!u.password) {
    u.username ||= 'postgres';
    u.password = 'unused';
  }
  project.provide('workerDatabaseUrl', u.toString());
  const receiver = await startNotifyReceiver();
  project.provide('notifyReceiverUrl', receiver.url);
  return async () => {
    await receiver.close();
    await drop();
  };
}
