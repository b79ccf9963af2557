/**
 * Which moderator actions become labels (src/learn/train-from-audit.ts collectLabels), for the
 * cases the end-to-end test does not reach: an approval that cancelled modbot's hide before it ran
 * (it leaves no row of its own), a moderator's hide cancelled by their own approval, an erased
 * comment, a hide of an abusive comment, and the --since window. Decisions and modbot's actions
 * are seeded as the recorder writes them; every moderator action goes through the audit service.
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuditService } from '../../src/audit/service.js';
import { actions } from '../../src/db/schema/actions.js';
import { decisions } from '../../src/db/schema/decisions.js';
import { collectLabels } from '../../src/learn/train-from-audit.js';
import { seedAction, seedDecision, seedRuleSet } from '../audit/seed.js';
import { openTestDatabase, type TestDatabase } from '../support/db.js';

let database: TestDatabase;
beforeAll(async () => {
  database = await openTestDatabase();
  await seedRuleSet(database.db);
});
afterAll(() => database.close());

describe('labels from the audit log', () => {
  it('reads approvals that cancelled a waiting hide, and ignores cancelled moderator hides', async () => {
    const audit = createAuditService(database.db, { retentionDays: 90 });
    const now = Date.now();
    // modbot planned a hide that has not run yet; a moderator approves: the hide is cancelled.
    const waiting = await seedDecision(database.db, {
      createdAt: new Date(now - 60_000),
      commentId: '1795001',
      text: 'check out my etsy shop for handmade candles',
      action: 'hide',
      decidingRule: 'spam-model',
    });
    await seedAction(database.db, {
      decisionId: waiting,
      commentId: '1795001',
      type: 'hide',
      status: 'planned',
    });
    const approved = await audit.moderate({ kind: 'approve', target: '1795001', moderator: 'alice' });
    expect(approved.message).toMatch(/hide waiting in the outbox was cancelled/);

    // A moderator hides, then approves before the hide ran: no label at all.
    await seedDecision(database.db, {
      createdAt: new Date(now - 50_000),
      commentId: '1795002',
      text: 'nice mugs',
    });
    await audit.moderate({ kind: 'hide', target: '1795002', moderator: 'bob' });
    await audit.moderate({ kind: 'approve', target: '1795002', moderator: 'bob' });

    // A manual hide of an abusive comment, and of an erased one: not spam labels.
    await seedDecision(database.db, {
      createdAt: new Date(now - 40_000),
      commentId: '1795003',
      text: 'you are a stupid cunt',
    });
    await audit.moderate({ kind: 'hide', target: '1795003', moderator: 'bob' });
    await seedDecision(database.db, {
      createdAt: new Date(now - 30_000),
      commentId: '1795004',
      text: 'first',
    });
    await audit.moderate({ kind: 'hide', target: '1795004', moderator: 'bob' });
    await database.db
      .update(decisions)
      .set({ text: null, normalisedText: null, redactedAt: new Date() })
      .where(eq(decisions.commentId, '1795004'));

    // A plain manual hide: spam.
    await seedDecision(database.db, {
      createdAt: new Date(now - 20_000),
      commentId: '1795005',
      text: 'me first',
    });
    await audit.moderate({ kind: 'hide', target: '1795005', moderator: 'bob' });

    const { labels, counts } = await collectLabels(database.db, new Date(now - 3600_000));
    expect(counts).toMatchObject({
      positive: 1,
      negative: 1,
      hides: 3,
      unhides: 1,
      approvals: 0, // 1795002: the moderator took back their own hide before it ran: no word either way
      reversals: 1,
      skippedAbuse: 1,
      skippedNoText: 1,
    });
    expect(labels.map((l) => [l.key.split('/')[1], l.positive])).toEqual([
      ['1795001', false],
      ['1795005', true],
    ]);
  });

  it('--since: moderator actions before the window are not labels', async () => {
    const { labels } = await collectLabels(database.db, new Date(Date.now() + 60_000));
    expect(labels).toEqual([]);
    const rows = await database.db.select().from(actions);
    expect(rows.length).toBeGreaterThan(0);
  });
});
