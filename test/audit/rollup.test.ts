/** Stats from the daily rollup plus the open edges equal stats counted from decisions alone. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAuditFilter, statsDimensions } from '../../src/audit/filters.js';
import { auditStats } from '../../src/audit/query.js';
import { rollUpClosedDays } from '../../src/audit/rollup.js';
import { openTestDatabase, type TestDatabase } from '../support/db.js';
import { seedDecision, seedRuleSet } from './seed.js';

let database: TestDatabase;
const now = new Date();

beforeAll(async () => {
  database = await openTestDatabase();
  await seedRuleSet(database.db);
  const rules = [null, null, 'dm-me-pitch', 'scam-model'] as const;
  const actions = { 'dm-me-pitch': 'hide', 'scam-model': 'delete' } as const;
  // 9 days of decisions, two accounts, some with two rules fired, spread over the hours.
  for (let i = 0; i < 120; i++) {
    const rule = rules[i % rules.length] ?? null;
    await seedDecision(database.db, {
      createdAt: new Date(now.getTime() - i * 1.8 * 3_600_000),
      accountId: i % 3 === 0 ? '17841400000000099' : '17841400000000001',
      authorId: `60${i % 7}`,
      decidingRule: rule,
      action: rule ? actions[rule] : 'allow',
      firedRules: rule === 'dm-me-pitch' && i % 2 === 0 ? ['dm-me-pitch', 'scam-model'] : rule ? [rule] : [],
    });
  }
});
afterAll(() => database.close());

describe('daily rollup', () => {
  it('rolls up closed days once and answers every dimension exactly as the raw count', async () => {
    const first = await rollUpClosedDays(database.db, { now });
    expect(first.rows).toBeGreaterThan(0);
    expect((await rollUpClosedDays(database.db, { now })).rows).toBe(0);
    const filters = [
      { since: '7d' },
      { since: '30d' },
      { since: '5d', until: '1d' },
      { since: '7d', account: '17841400000000099' },
      { since: '7d', rule: 'scam-model' },
      { since: '7d', action: 'hide' },
      { since: '7d', author: '601' },
    ];
    for (const f of filters) {
      for (const by of statsDimensions) {
        const filter = parseAuditFilter(f);
        const fast = await auditStats(database.db, by, filter, { now });
        const raw = await auditStats(database.db, by, filter, { now, rollup: false });
        const norm = (rows: typeof raw.rows) =>
          [...rows].map((r) => ({ ...r })).sort((a, b) => String(a.key).localeCompare(String(b.key)));
        expect(norm(fast.rows), `${by} ${JSON.stringify(f)}`).toEqual(norm(raw.rows));
      }
    }
  });
});
