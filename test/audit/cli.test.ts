/** `modbot audit …` in-process against a test database: what a moderator types and reads. */
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerAudit } from '../../src/cli/audit.js';
import { auditConnection } from '../../src/runtime/commands.js';
import { type CliOutput, captureCli } from '../support/cli.js';
import { openTestDatabase, type TestDatabase } from '../support/db.js';
import { seedAction, seedDecision, seedRuleSet } from './seed.js';

let database: TestDatabase;
let hiddenId = '';

function run(...args: string[]): Promise<CliOutput> {
  return captureCli(async () => {
    const program = new Command().exitOverride().enablePositionalOptions();
    // The test's database stays open across commands: the connection's close does nothing.
    const connection = auditConnection({ ...database, close: async () => {} }, { RETENTION_DAYS: 90 });
    registerAudit(program, { open: async () => connection });
    await program.parseAsync(['node', 'modbot', 'audit', ...args]);
  });
}

beforeAll(async () => {
  database = await openTestDatabase();
  await seedRuleSet(database.db);
  hiddenId = await seedDecision(database.db, {
    createdAt: new Date(Date.now() - 3_600_000),
    commentId: '1790001',
    text: 'dm me on @cash.flow_ava \u001b[2J',
    authorId: '6001',
    authorUsername: 'spam.queen',
    decidingRule: 'dm-me-pitch',
    action: 'hide',
  });
  await seedAction(database.db, {
    decisionId: hiddenId,
    commentId: '1790001',
    type: 'hide',
    status: 'done',
    attempts: [{ httpStatus: 200, outcome: 'ok' }],
  });
  const gone = await seedDecision(database.db, {
    createdAt: new Date(Date.now() - 7_200_000),
    commentId: '1790002',
    text: '=HYPERLINK("x"), spam',
    decidingRule: 'scam-model',
    action: 'delete',
  });
  await seedAction(database.db, { decisionId: gone, commentId: '1790002', type: 'delete', status: 'done' });
  for (let i = 0; i < 3; i++)
    await seedDecision(database.db, {
      createdAt: new Date(Date.now() - 10_000_000 - i),
      commentId: `18${i}`,
      text: `fine ${i}`,
    });
});
afterAll(() => database.close());

describe('modbot audit', () => {
  it('lists in table, json, csv and ndjson, with paging', async () => {
    const table = await run('--rule', 'dm-me-pitch');
    expect(table.out).toMatch(/time \(UTC\)\s+decision\s+comment\s+author/);
    expect(table.out).toContain('@spam.queen');
    expect(table.out).toContain('\\x1b[2J');
    expect(table.out).not.toContain('\u001b');
    const json = JSON.parse((await run('--author', '6001', '--format', 'json')).out) as {
      items: { id: string }[];
    };
    expect(json.items.map((i) => i.id)).toEqual([hiddenId]);
    const csv = (await run('--format', 'csv', '--action', 'delete')).out.split('\n');
    expect(csv[0]).toMatch(/^id,createdAt,accountId/);
    expect(csv[1]).toContain(`"'=HYPERLINK(""x""), spam"`);
    const nd = (await run('--format', 'ndjson')).out.split('\n');
    expect(nd).toHaveLength(5);
    const page = await run('--limit', '2');
    const cursor = /--cursor (\S+)/.exec(page.err)?.[1];
    expect(cursor).toBeTruthy();
    expect((await run('--limit', '2', '--cursor', cursor ?? '', '--format', 'json')).out).not.toContain(
      hiddenId,
    );
  });

  it('explains one decision, and counts', async () => {
    const show = await run('show', '1790001');
    expect(show.out).toContain('decided     hide (matched) by rule dm-me-pitch');
    expect(show.out).toContain('rule text as it was then');
    expect(show.out).toContain('attempt 1');
    const stats = await run('stats', '--by', 'action', '--format', 'json');
    expect((JSON.parse(stats.out) as { rows: { key: string }[] }).rows.map((r) => r.key).sort()).toEqual([
      'allow',
      'delete',
      'hide',
    ]);
    expect((await run('show', '999999')).exitCode).toBe(1);
  });

  it('refuses bad input with exit code 2 and a message', async () => {
    const r = await run('--since', "1' or '1'='1");
    expect(r.exitCode).toBe(2);
    expect(r.err).toMatch(/since: expected a relative time/);
  });

  it('undo a hide as a moderator; a deleted comment cannot be restored', async () => {
    const undo = await run('undo', '1790001', '--as', 'alice');
    expect(undo.out).toMatch(/unhide planned/);
    const refused = await run('unhide', '1790002', '--as', 'alice');
    expect(refused.exitCode).toBe(1);
    expect(refused.err).toMatch(/a deleted comment cannot be restored/);
  });
});
