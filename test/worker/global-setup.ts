/** Node side of the Workers tests: a fresh migrated Postgres database for this run. */
import type { TestProject } from 'vitest/node';
import { applyMigrations } from '../../src/db/migrate.js';
import { openPostgres } from '../../src/db/postgres.js';
import { adminUrl, withDatabase } from '../support/pg-names.js';

export default async function setup(project: TestProject) {
  const base = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  // Fixed name, recreated at each run and kept afterwards: dropping it at teardown would cut the
  // Hyperdrive proxy's open connections while workerd shuts down (an unhandled ECONNRESET).
  const name = 'modbot_worker_test';
  const admin = openPostgres(adminUrl(base), { max: 1 });
  await admin.db.execute(`drop database if exists ${name} with (force)`);
  await admin.db.execute(`create database ${name}`);
  const url = withDatabase(base, name);
  // Hyperdrive insists on a password in its connection string; trust auth ignores it.
  const u = new URL(url);
  if (!u.password) {
    u.username ||= 'postgres';
    u.password = 'unused';
  }
  const hyperdriveUrl = u.toString();
  const db = openPostgres(url, { max: 1 });
  await applyMigrations(db);
  await db.close();
  project.provide('workerDatabaseUrl', hyperdriveUrl);
  await admin.close();
}
