/**
 * Recording decisions: a reply's record is flushed to disk before the reply can be posted; a
 * batch whose actions are all safe to repeat (hide, delete...) commits without waiting for it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDecisionRecorder } from '../../src/db/repos/decisions.js';
import { createInboxRepo } from '../../src/db/repos/inbox.js';
import { evaluate, loadRuleSet, type RuleSet } from '../../src/moderation/index.js';
import { planActions } from '../../src/pipeline/plan.js';
import type { DecisionToRecord } from '../../src/pipeline/ports.js';
import type { InboxItem } from '../../src/queue/ports.js';
import { openTestDatabase, type TestDatabase } from '../support/db.js';
import { commentPayload, deliveryOf } from '../support/runtime.js';

const rules = `
- id: scam
  reason: Investment scam
  when: {text contains any: [invested]}
  action: hide
- id: link
  reason: Links are not allowed
  when: {text contains any: ["check my link"]}
  action: [reply, hide]
  reply: "Links are not allowed here."
`;

let database: TestDatabase;
const statements: string[] = [];
let ruleSet: RuleSet;
beforeAll(async () => {
  database = await openTestDatabase({ onQuery: (q) => statements.push(q) });
  const loaded = loadRuleSet([{ path: 'rules/test.yaml', content: rules }]);
  if (!loaded.ok) throw new Error('rules');
  ruleSet = loaded.ruleSet;
});
afterAll(() => database.close());

/** Stores comments as the intake does (claimed for this process) and judges them. */
async function judged(ids: string[], text: string): Promise<DecisionToRecord[]> {
  const [stored] = await createInboxRepo(database.db).storeDeliveries(
    [deliveryOf(commentPayload(ids, { text }))],
    { claimFor: { claimToken: crypto.randomUUID(), leaseSeconds: 60 } },
  );
  return Promise.all(
    (stored?.claimed ?? []).map(async (item: InboxItem) => {
      const decision = await evaluate(ruleSet, { event: item.event, text: item.event.text }, {});
      return {
        inboxId: item.id,
        inboxClaim: item.claimToken,
        event: item.event,
        text: item.event.text,
        ruleSet,
        decision,
        actions: planActions(decision, item.event, null),
        dryRun: false,
        durationMs: 1,
      };
    }),
  );
}

const waitsForFlush = (sql: string) => !sql.includes('synchronous_commit');

describe('recording decisions', () => {
  const record = () => createDecisionRecorder(database.db, { claimFirst: { leaseSeconds: 60 } });

  it('hides and deletes commit without waiting for the flush; the inbox rows are done', async () => {
    const inputs = await judged(['r-1', 'r-2'], 'I invested and got rich');
    statements.length = 0;
    const recorded = await record()(inputs);
    expect(recorded.map((r) => [r.created, r.inboxDone, r.claimed.length])).toEqual([
      [true, true, 1],
      [true, true, 1],
    ]);
    const [statement] = statements.filter((q) => q.includes('insert into decisions'));
    expect(statement && waitsForFlush(statement)).toBe(false);
  });

  it('a batch with a reply waits for the flush before anything is posted', async () => {
    const inputs = [
      ...(await judged(['r-3'], 'I invested and got rich')),
      ...(await judged(['r-4'], 'check my link')),
    ];
    expect(inputs.map((i) => i.actions.map((a) => a.type))).toEqual([['hide'], ['reply', 'hide']]);
    statements.length = 0;
    const recorded = await record()(inputs);
    expect(recorded.map((r) => r.claimed.map((a) => a.type))).toEqual([['hide'], ['reply']]);
    const [statement] = statements.filter((q) => q.includes('insert into decisions'));
    expect(statement && waitsForFlush(statement)).toBe(true);
  });
});
