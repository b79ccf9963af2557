import { readFileSync } from 'node:fs';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderRuleBundle } from '../../scripts/bundle-rules.js';
import { decisions } from '../../src/db/schema/decisions.js';
import { ruleSets } from '../../src/db/schema/rule-sets.js';
import { loadRuleSet, type RuleSet } from '../../src/moderation/index.js';
import { commentPayload, startTestRuntime } from '../support/runtime.js';

const rulesYaml = `
- id: dm-pitch
  reason: Asks people to DM
  when:
    text contains any: ["dm me", "check my dm"]
  action: hide
- id: flood
  reason: Same text three times on the account within an hour
  when:
    repeated across account: {times: 3, within: 1h}
  action: review
`;

function ruleSetOf(yaml: string): RuleSet {
  const loaded = loadRuleSet([{ path: 'rules/test.yaml', content: yaml }]);
  if (!loaded.ok) throw new Error(loaded.errors.map((e) => e.format()).join('\n'));
  return loaded.ruleSet;
}

let current = ruleSetOf(rulesYaml);
let rt: Awaited<ReturnType<typeof startTestRuntime>>;
beforeAll(async () => {
  rt = await startTestRuntime({ rules: () => current, env: { INBOX_WORKERS: '1', INBOX_POLL_MS: '60000' } });
});
afterAll(() => rt.close());

const decisionFor = async (commentId: string) => {
  await rt.pool.idle();
  return rt.database.db.select().from(decisions).where(eq(decisions.commentId, commentId));
};

describe('moderating stored events', () => {
  it('decides with the rules in force and records hash, fired rules and the rule text', async () => {
    await rt.post(commentPayload(['pe-1'], { text: '𝐃𝐌 𝐦𝐞 on @cash.flow_ava' }));
    const [decision] = await decisionFor('pe-1');
    expect(decision).toMatchObject({
      action: 'hide',
      decidingRule: 'dm-pitch',
      firedRules: ['dm-pitch'],
      ruleSetHash: current.hash,
      text: '𝐃𝐌 𝐦𝐞 on @cash.flow_ava',
      dryRun: true,
    });
    expect(decision?.normalisedText).toContain('dm me');
    const [set] = await rt.database.db.select().from(ruleSets).where(eq(ruleSets.hash, current.hash));
    expect(set?.files).toEqual([{ path: 'rules/test.yaml', content: rulesYaml }]);
  });

  it('records harmless comments as allowed, and never decides an event twice', async () => {
    await rt.post(commentPayload(['pe-2'], { text: 'love this colour' }));
    await rt.post(commentPayload(['pe-2'], { text: 'love this colour' }));
    const rows = await decisionFor('pe-2');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ action: 'allow', outcome: 'no_match', decidingRule: null });
  });

  it('counts repetition from the audit log (campaign detection)', async () => {
    for (const id of ['pe-f1', 'pe-f2', 'pe-f3']) {
      await rt.post(commentPayload([id], { text: 'follow for follow' }));
      await rt.pool.idle();
    }
    const actions = await Promise.all(
      ['pe-f1', 'pe-f2', 'pe-f3'].map(async (id) => (await decisionFor(id))[0]?.action),
    );
    expect(actions).toEqual(['allow', 'allow', 'review']);
  });

  it('counts repetition inside one claimed batch too (a flood delivered all at once)', async () => {
    const ids = ['pe-b1', 'pe-b2', 'pe-b3', 'pe-b4'];
    // One delivery, so the worker claims and decides the four events as one batch.
    await rt.post(commentPayload(ids, { text: 'sub 4 sub, link in bio' }));
    const actions = await Promise.all(ids.map(async (id) => (await decisionFor(id))[0]?.action));
    expect(actions).toEqual(['allow', 'allow', 'review', 'review']);
    const [third] = await decisionFor('pe-b3');
    expect(JSON.stringify(third?.detail)).toContain('seen at least 3 times on this account');
  });

  it('uses a new rule set as soon as it is swapped in, and stores it by hash', async () => {
    current = ruleSetOf(rulesYaml.replace('"check my dm"', '"check my dm", "love this"'));
    await rt.post(commentPayload(['pe-3'], { text: 'love this colour' }));
    const [decision] = await decisionFor('pe-3');
    expect(decision).toMatchObject({ action: 'hide', ruleSetHash: current.hash });
    expect(await rt.database.db.select().from(ruleSets)).toHaveLength(2);
  });

  it("never acts on the account's own comments", async () => {
    const body = JSON.parse(commentPayload(['pe-self'], { text: 'dm me for the discount code!' }));
    body.entry[0].changes[0].value.from = { id: '17841400000000001', username: 'brand' };
    await rt.post(JSON.stringify(body));
    const [decision] = await decisionFor('pe-self');
    expect(decision).toMatchObject({ outcome: 'skipped', action: 'allow' });
  });
});

describe('repetition across batches decided at the same time', () => {
  let wide: Awaited<ReturnType<typeof startTestRuntime>>;
  beforeAll(async () => {
    // Four loops taking one event each: four copies posted at once are four concurrent batches.
    wide = await startTestRuntime({
      rules: () => current,
      env: { INBOX_WORKERS: '4', INBOX_BATCH_SIZE: '1', INBOX_POLL_MS: '60000' },
    });
  });
  afterAll(() => wide.close());

  it('each copy counts the ones decided before it, as if the batches had run one after another', async () => {
    const ids = ['pe-c1', 'pe-c2', 'pe-c3', 'pe-c4', 'pe-c5'];
    await Promise.all(ids.map((id) => wide.post(commentPayload([id], { text: 'free followers at my bio' }))));
    await wide.pool.idle();
    const rows = await wide.database.db
      .select({ action: decisions.action, detail: decisions.detail })
      .from(decisions)
      .where(eq(decisions.text, 'free followers at my bio'));
    // The first two copies seen are allowed; from the third on, the flood rule fires.
    expect(rows.map((r) => r.action).sort()).toEqual(['allow', 'allow', 'review', 'review', 'review']);
  });
});

describe('rules bundled for Workers', () => {
  it('src/generated/rules.ts matches rules/ (run npm run bundle:rules after editing rules)', async () => {
    expect(readFileSync('src/generated/rules.ts', 'utf8')).toBe(await renderRuleBundle('rules'));
  });
});
