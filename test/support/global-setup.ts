/**
 * Prepares one migrated database that every test file clones, so each file is isolated and
 * none pays for migrations: a Postgres template database (DATABASE_URL) or a PGlite snapshot.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { applyMigrations } from '../../src/db/migrate.js';
import { openPglite } from '../../src/db/pglite.js';
import { openPostgres } from '../../src/db/postgres.js';
import { adminUrl, templateName, withDatabase } from './pg-names.js';

export default async function setup(project: TestProject) {
  const url = process.env.DATABASE_URL;
  if (url) {
    const admin = openPostgres(adminUrl(url), { max: 1 });
    const template = templateName();
    await admin.db.execute(`drop database if exists ${template} with (force)`);
    await admin.db.execute(`create database ${template}`);
    const tpl = openPostgres(withDatabase(url, template), { max: 1 });
    await applyMigrations(tpl);
    await tpl.close();
    await admin.close();
    project.provide('postgresTemplate', template);
    project.provide('pgliteSnapshot', '');
    return async () => {
      const cleanup = openPostgres(adminUrl(url), { max: 1 });
      await cleanup.db.execute(`drop database if exists ${template} with (force)`);
      await cleanup.close();
    };
  }
  const dir = mkdtempSync(join(tmpdir(), 'modbot-test-'));
  const handle = await openPglite(undefined);
  await applyMigrations(handle);
  const client = (handle as unknown as { client: { dumpDataDir(c: 'gzip'): Promise<Blob> } }).client;
  const snapshot = join(dir, 'snapshot.tar.gz');
  writeFileSync(snapshot, Buffer.from(await (await client.dumpDataDir('gzip')).arrayBuffer()));
  await handle.close();
  project.provide('pgliteSnapshot', snapshot);
  project.provide('postgresTemplate', '');
  return () => rmSync(dir, { recursive: true, force: true });
}
