/**
 * Smaller audit points: stats by outcome count the planned actions, stats by rule count a rule
 * that fired in shadow in its own column, and an unhide of a dry-run hide has nothing to undo.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModerationConflict } from '../../src/audit/moderator-action.js';
import { createAuditService } from '../../src/audit/service.js';
import { openTestDatabase, type TestDatabase } from '../support/db.js';
import { seedAction, seedDecision, seedRuleSet } from './seed.js';

let database: TestDatabase;
beforeAll(async () => {
  database = await openTestDatabase();
  await seedRuleSet(database.db);
  const now = Date.now();
  const enforced = await seedDecision(database.db, {
    createdAt: new Date(now - 60_000),
    commentId: '1791001',
    decidingRule: 'dm-me-pitch',
    firedRules: ['dm-me-pitch', 'trial-shadow'],
    shadowRules: ['trial-shadow'],
    action: 'hide',
  });
  await seedAction(database.db, { decisionId: enforced, commentId: '1791001', type: 'hide', status: 'done' });
  const dry = await seedDecision(database.db, {
    createdAt: new Date(now - 30_000),
    commentId: '1791002',
    decidingRule: 'dm-me-pitch',
    action: 'hide',
  });
  await seedAction(database.db, { decisionId: dry, commentId: '1791002', type: 'hide', status: 'dry_run' });
});
afterAll(() => database.close());

describe('audit stats and undo', () => {
  it('by rule: a shadow rule is counted in its own column, not under the decided action', async () => {
    const audit = createAuditService(database.db, { retentionDays: 90 });
    const { rows } = await audit.stats('rule', {});
    const byKey = Object.fromEntries(rows.map((r) => [r.key, r]));
    expect(byKey['trial-shadow']).toMatchObject({ decisions: 1, shadow: 1, deciding: 0, hide: 0 });
    expect(byKey['dm-me-pitch']).toMatchObject({ decisions: 2, shadow: 0, deciding: 2, hide: 2 });
  });

  it('by outcome: the action columns count what was planned', async () => {
    const audit = createAuditService(database.db, { retentionDays: 90 });
    const { rows } = await audit.stats('outcome', {});
    const byKey = Object.fromEntries(rows.map((r) => [r.key, r]));
    expect(byKey.done).toMatchObject({ decisions: 1, hide: 1 });
    expect(byKey.dry_run).toMatchObject({ decisions: 1, hide: 1 });
  });

  it('an unhide of a dry-run hide refuses: nothing to undo', async () => {
    const audit = createAuditService(database.db, { retentionDays: 90 });
    const refused = audit.moderate({ kind: 'unhide', target: '1791002', moderator: 'alice' });
    await expect(refused).rejects.toBeInstanceOf(ModerationConflict);
    await expect(refused).rejects.toThrow(/dry run .*nothing to undo/);
    const undone = await audit.moderate({ kind: 'unhide', target: '1791001', moderator: 'alice' });
    expect(undone.message).toBe('unhide planned');
  });
});
