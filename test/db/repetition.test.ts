import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgRepetitionCounter } from '../../src/db/repos/repetition.js';
import { decisions } from '../../src/db/schema/decisions.js';
import { openTestDatabase, type TestDatabase } from '../support/db.js';

const ACCOUNT = '17841400000000001';
const now = new Date('2026-11-28T12:00:00Z');
const minutesAgo = (m: number) => new Date(now.getTime() - m * 60_000);

/** A stored decision of `textHash` on the account; only what counting reads varies. */
const decisionRow = (r: { inboxId: number; authorId: string; createdAt: Date; textHash: string }) => ({
  id: crypto.randomUUID(),
  ...r,
  accountId: ACCOUNT,
  kind: 'comment',
  ruleSetHash: 'h',
  outcome: 'no_match',
  action: 'allow',
  detail: {},
  steps: [],
  dryRun: true,
  durationMs: 1,
});

let database: TestDatabase;
const queries: string[] = [];
beforeAll(async () => {
  database = await openTestDatabase({ onQuery: (q) => queries.push(q) });
  // Five copies of one text: four from author a (one outside the hour), one from author b.
  const rows = [
    { inboxId: 1, authorId: 'a', createdAt: minutesAgo(50) },
    { inboxId: 2, authorId: 'a', createdAt: minutesAgo(40) },
    { inboxId: 3, authorId: 'b', createdAt: minutesAgo(30) },
    { inboxId: 4, authorId: 'a', createdAt: minutesAgo(20) },
    { inboxId: 5, authorId: 'a', createdAt: minutesAgo(90) },
  ];
  await database.db.insert(decisions).values(rows.map((r) => decisionRow({ ...r, textHash: 'flood' })));
});
afterAll(() => database.close());

const ask = { accountId: ACCOUNT, textHash: 'flood', windowSeconds: 3600, now };

describe('repetition counts from the audit log', () => {
  it('counts within the window, by account or by author, leaving out the given inbox rows', async () => {
    const counter = new PgRepetitionCounter(database.db);
    expect(await counter.count({ ...ask, authorId: null })).toBe(4);
    expect(await counter.count({ ...ask, authorId: 'a' })).toBe(3);
    expect(await counter.count({ ...ask, authorId: null }, [3, 4])).toBe(2);
    expect(await counter.count({ ...ask, textHash: 'other', authorId: null })).toBe(0);
  });

  it("with throughNow, also counts what was stored after the query's now, up to the database's present", async () => {
    const counter = new PgRepetitionCounter(database.db);
    // Stored after `now` (say, by a batch the caller waited for), before the database's present.
    await database.db.insert(decisions).values(
      decisionRow({
        inboxId: 6,
        authorId: 'c',
        createdAt: new Date(now.getTime() + 10 * 60_000),
        textHash: 'later',
      }),
    );
    const later = { ...ask, textHash: 'later', authorId: null };
    expect(await counter.count(later)).toBe(0);
    expect(await counter.count(later, [], { throughNow: true })).toBe(1);
    expect(await counter.count({ ...later, authorId: 'c' }, [], { throughNow: true })).toBe(1);
  });

  it('stops at what the condition needs, and counts asked together share one query', async () => {
    const counter = new PgRepetitionCounter(database.db);
    queries.length = 0;
    const [capped, byAuthor] = await Promise.all([
      counter.count({ ...ask, authorId: null, enough: 2 }),
      counter.count({ ...ask, authorId: 'a', enough: 10 }),
    ]);
    expect(capped).toBe(2);
    expect(byAuthor).toBe(3);
    expect(queries.filter((q) => q.includes('from decisions d'))).toHaveLength(1);
  });
});
