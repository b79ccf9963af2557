/**
 * Backtest as a moderator uses it: signed webhooks are moderated and acted on (fake Graph API
 * over HTTP), moderators unhide, approve and hide by hand through the audit service, then a rule
 * changes and the backtest says what the change would have done. The counts are checked against
 * the audit log itself, not against numbers written into the test.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuditService } from '../../src/audit/service.js';
import { classifierCacheKey } from '../../src/classify/cache.js';
import { PgClassifierCache } from '../../src/db/repos/classifier-cache.js';
import { secretsOf } from '../../src/env.js';
import { createLogger } from '../../src/log.js';
import { type Classifier, loadRuleSet, normalise, type RuleSet } from '../../src/moderation/index.js';
import { type FakeGraph, startFakeGraph } from '../fakes/graph.js';
import { liveEnvAgainst, startTestRuntime } from '../support/runtime.js';

const recordedYaml = `# the rules in force while the comments came in
- id: scam-hide
  reason: Investment scam
  when:
    text contains any: [invested, "passive income"]
  action: hide

- id: dm-review
  reason: A bare DM me; a person should look
  when:
    text contains any: ["dm me"]
  action: review

- id: promo-shadow
  reason: Promo codes, on trial
  mode: shadow
  when:
    text contains any: ["promo code"]
  action: hide
`;

// The change: "invested" alone hid gardeners; promo codes are now hidden.
const candidateYaml = recordedYaml
  .replace('text contains any: [invested, "passive income"]', 'text contains any: ["passive income"]')
  .replace('  mode: shadow\n', '');

const ACCOUNT = '17841400000000001';
const TOKEN = 'IGQVJ-test-token-0123456789';
const ADMIN = 'admin-token-0123456789abcdef';

function load(content: string): RuleSet {
  const loaded = loadRuleSet([{ path: 'rules/test.yaml', content }]);
  if (!loaded.ok) throw new Error(loaded.errors.map((e) => e.format()).join('\n'));
  return loaded.ruleSet;
}

let fake: FakeGraph;
let rt: Awaited<ReturnType<typeof startTestRuntime>>;
let mediaId: string;
const recorded = load(recordedYaml);
const ids: Record<'scam' | 'garden' | 'dm' | 'plain' | 'promo', string[]> = {
  scam: [],
  garden: [],
  dm: [],
  plain: [],
  promo: [],
};

async function settle() {
  for (let i = 0; i < 5; i++) {
    await rt.idle();
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** One signed delivery carrying several comments, as Meta batches them. */
async function deliver(texts: readonly string[]): Promise<string[]> {
  const made = texts.map((text, i) =>
    fake.state.addComment(mediaId, {
      text,
      fromId: `60000000000${String(i).padStart(5, '0')}`,
      username: `user${i}`,
    }),
  );
  const body = JSON.stringify({
    object: 'instagram',
    entry: [
      {
        id: ACCOUNT,
        time: Math.floor(Date.now() / 1000),
        changes: made.map((c, i) => ({
          field: 'comments',
          value: {
            id: c.id,
            text: texts[i],
            from: { id: `60000000000${String(i).padStart(5, '0')}`, username: `user${i}` },
            media: { id: mediaId, media_product_type: 'FEED' },
          },
        })),
      },
    ],
  });
  expect((await rt.post(body)).status).toBe(200);
  return made.map((c) => c.id);
}

const audit = () => createAuditService(rt.database.db, { retentionDays: 90 });

beforeAll(async () => {
  fake = await startFakeGraph({ autoCreate: true });
  fake.state.addAccount({ id: ACCOUNT, username: 'brand', token: TOKEN, loginType: 'instagram' });
  mediaId = fake.state.addMedia(ACCOUNT).id;
  const env = liveEnvAgainst(
    fake.baseUrl,
    { id: ACCOUNT, token: TOKEN },
    {
      ADMIN_TOKEN: ADMIN,
    },
  );
  const { parseEnv } = await import('../../src/env.js');
  const secrets = secretsOf(
    parseEnv({
      META_APP_SECRET: 'test_app_secret',
      INSTAGRAM_APP_SECRET: 'ig_secret',
      META_VERIFY_TOKEN: 'x',
      ...env,
    }),
  );
  rt = await startTestRuntime({
    rules: () => recorded,
    env,
    logger: createLogger({ level: 'warn', secrets, write: () => {} }),
    backoff: () => 50,
  });
  ids.scam = await deliver(
    Array.from({ length: 12 }, (_, i) => `I invested $${i}00 and now earn passive income, ask me`),
  );
  ids.garden = await deliver(
    Array.from({ length: 8 }, (_, i) => `I invested ${i + 2} weekends in this garden, worth it`),
  );
  ids.dm = await deliver(Array.from({ length: 6 }, (_, i) => `dm me about the collab ${i}`));
  ids.plain = await deliver(Array.from({ length: 15 }, (_, i) => `great post number ${i}`));
  ids.promo = await deliver(Array.from({ length: 5 }, (_, i) => `use promo code SAVE${i} at my shop`));
  await settle();

  // Moderators: two gardeners unhidden, one DM approved, two promo comments hidden by hand.
  const a = audit();
  for (const id of ids.garden.slice(0, 2))
    await a.moderate({ kind: 'unhide', target: id, moderator: 'alice' });
  await a.moderate({ kind: 'approve', target: ids.dm[0] as string, moderator: 'bob' });
  for (const id of ids.promo.slice(0, 2)) await a.moderate({ kind: 'hide', target: id, moderator: 'alice' });
  await settle();
}, 60_000);
afterAll(async () => {
  await rt?.close();
  await fake?.close();
});

const api = (path: string, body?: unknown, token = ADMIN) =>
  rt.app.request(`/api${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });

describe('backtest', () => {
  it('the same rules change nothing', async () => {
    const report = await audit().backtest({
      candidateRules: recorded,
      since: new Date(Date.now() - 3_600_000),
    });
    const { decisions } = report.totals;
    expect(decisions).toBe(46);
    expect(report.totals).toMatchObject({ compared: 46, changed: 0, redacted: 0 });
    expect(report.rules).toEqual([]);
    expect(report.recordedRuleSets).toEqual({ [recorded.hash]: 46 });
  });

  it('a changed rule: what it would newly hide and no longer hide, per rule, checked against the audit log', async () => {
    const a = audit();
    const report = await a.backtest({
      candidateRules: load(candidateYaml),
      since: new Date(Date.now() - 3_600_000),
    });

    // From the audit log: what scam-hide hid whose text the narrowed rule no longer matches.
    const hiddenByScam = await a.listDecisions(
      { rule: 'scam-hide', since: new Date(Date.now() - 3_600_000) },
      { limit: 100 },
    );
    const noLongerHidden = hiddenByScam.items.filter((d) => !(d.text ?? '').includes('passive income'));
    const promoInLog = await a.listDecisions(
      { rule: 'promo-shadow', since: new Date(Date.now() - 3_600_000) },
      { limit: 100 },
    );
    expect(noLongerHidden.map((d) => d.commentId).sort()).toEqual([...ids.garden].sort());
    expect(promoInLog.items.every((d) => d.action === 'allow')).toBe(true);

    expect(report.totals.newly).toEqual({ hidden: promoInLog.items.length, deleted: 0, replied: 0, held: 0 });
    expect(report.totals.noLonger).toEqual({
      hidden: noLongerHidden.length,
      deleted: 0,
      replied: 0,
      held: 0,
    });
    expect(report.totals.changed).toBe(promoInLog.items.length + noLongerHidden.length);

    const scam = report.rules.find((r) => r.ruleId === 'scam-hide');
    const promo = report.rules.find((r) => r.ruleId === 'promo-shadow');
    expect(scam?.noLonger.hidden).toBe(ids.garden.length);
    expect(promo?.newly.hidden).toBe(ids.promo.length);
    expect(scam?.examples.length).toBe(3);
    for (const x of scam?.examples ?? []) {
      expect(ids.garden).toContain(x.commentId);
      expect(x).toMatchObject({
        before: 'hidden',
        after: 'allowed',
        recordedRule: 'scam-hide',
        candidateRule: null,
      });
      expect(x.text).toContain('garden');
    }

    // The moderators' labels: two unhidden gardeners (avoided), one approved DM (still held),
    // two promo comments hidden by hand (now caught).
    expect(report.labels).toMatchObject({
      reversals: 3,
      reversalsAvoided: 2,
      reversalsRepeated: 1,
      manualHides: 2,
      manualHidesCaught: 2,
      manualHidesHeld: 0,
    });
    expect([...report.labels.examples.reversalsAvoided].sort()).toEqual(ids.garden.slice(0, 2).sort());
    expect(report.labels.examples.reversalsRepeated).toEqual([ids.dm[0]]);
    expect([...report.labels.examples.manualHidesCaught].sort()).toEqual(ids.promo.slice(0, 2).sort());
    expect(report.scores.commentsAssumed).toBe(0);
  });

  it('an account and a window narrow it; keyset pages give the same answer as one page', async () => {
    const since = new Date(Date.now() - 3_600_000);
    const candidate = load(candidateYaml);
    const whole = await audit().backtest({ candidateRules: candidate, since });
    const paged = await audit().backtest({ candidateRules: candidate, since, pageSize: 7 });
    expect(paged.totals).toEqual(whole.totals);
    expect(paged.labels).toEqual(whole.labels);
    const other = await audit().backtest({ candidateRules: candidate, since, account: '17849999999999999' });
    expect(other.totals.decisions).toBe(0);
    const future = await audit().backtest({
      candidateRules: candidate,
      since: new Date(Date.now() + 60_000),
    });
    expect(future.totals.decisions).toBe(0);
  });

  it('a score no record has is counted and assumed 0; a candidate classifier is asked instead of the record', async () => {
    const withRemote = load(`${recordedYaml}
- id: policy-dm
  when:
    text contains any: ["dm me"]
    classifier:
      use: openai-policy
      question: "Is this a sales pitch?"
      at least: 0.5
      fallback: allow
  priority: 5
  action: delete
`);
    const report = await audit().backtest({
      candidateRules: withRemote,
      since: new Date(Date.now() - 3_600_000),
    });
    expect(report.scores.commentsAssumed).toBe(ids.dm.length);
    expect(report.scores.byClassifier).toEqual({ 'openai-policy': ids.dm.length });
    expect(report.totals.changed).toBe(0);
    expect(report.scores.assumption).toMatch(/taken as 0/);

    const asked: string[] = [];
    const candidate: Classifier = {
      name: 'openai-policy',
      classify: async (req) => {
        asked.push(req.text);
        return {
          provider: 'test',
          model: 'm',
          version: '1',
          scores: { yes: 0.9 },
          latencyMs: 0,
          cached: false,
        };
      },
    };
    const tried = await audit().backtest({
      candidateRules: withRemote,
      candidateClassifiers: new Map([['openai-policy', candidate]]),
      since: new Date(Date.now() - 3_600_000),
    });
    expect(asked.length).toBe(ids.dm.length);
    expect(tried.totals.newly.deleted).toBe(ids.dm.length);
    expect(tried.totals.noLonger.held).toBe(ids.dm.length);
    expect(tried.scores.commentsAssumed).toBe(0);
    expect(tried.candidate.classifiers).toEqual(['openai-policy']);
  });

  it('a score the record lacks is taken from the classifier cache (any model namespace), never asked', async () => {
    const withModeration = load(`${recordedYaml}
- id: harassing-dm
  when:
    text contains any: ["dm me"]
    classifier:
      use: openai-moderation
      score: harassment
      at least: 0.5
      fallback: review
  priority: 5
  action: hide
`);
    const cache = new PgClassifierCache(rt.database.db);
    const text = 'dm me about the collab 0';
    const key = classifierCacheKey('openai-moderation', 'omni-moderation-latest', {
      text,
      normalisedText: normalise(text),
    });
    await cache.set(
      key,
      {
        provider: 'openai',
        model: 'omni',
        version: '1',
        scores: { harassment: 0.9 },
        latencyMs: 1,
        cached: false,
      },
      60_000,
    );
    const report = await audit().backtest({
      candidateRules: withModeration,
      since: new Date(Date.now() - 3_600_000),
    });
    expect(report.scores.cached).toBe(1);
    expect(report.scores.commentsAssumed).toBe(ids.dm.length - 1);
    expect(report.totals.newly.hidden).toBe(1);
    expect(report.rules.find((r) => r.ruleId === 'harassing-dm')?.examples[0]?.commentId).toBe(ids.dm[0]);
  });

  it('rules status: hits, and for the shadow rule what it would have done, the reversal rate and the promoting edit', async () => {
    const status = await audit().rulesStatus(recorded);
    const by = Object.fromEntries(status.rules.map((r) => [r.ruleId, r]));
    expect(by['scam-hide']).toMatchObject({
      mode: 'enforce',
      hits7Days: ids.scam.length + ids.garden.length,
      hits30Days: ids.scam.length + ids.garden.length,
      reversals: { action: 'hide', decided: ids.scam.length + ids.garden.length, reversed: 2 },
    });
    expect(by['promo-shadow']?.shadow).toMatchObject({
      fired: ids.promo.length,
      wouldHave: { hide: ids.promo.length },
      comparable: { action: 'hide', decided: ids.scam.length + ids.garden.length, reversed: 2 },
      promote: 'rules/test.yaml:16: change "mode: shadow" to "mode: enforce" in rule "promo-shadow"',
    });
    expect(by['promo-shadow']?.shadow?.since).not.toBeNull();
  });

  it('through the API: the changed file in place of the one in force gives the same report; errors are file:line', async () => {
    const direct = await audit().backtest({
      candidateRules: load(candidateYaml),
      since: new Date(Date.now() - 3_600_000),
    });
    const res = await api('/rules/backtest', {
      files: [{ path: 'test.yaml', content: candidateYaml }],
      since: '1h',
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { replaced: string[]; added: string[]; report: typeof direct };
    expect(body.replaced).toEqual(['rules/test.yaml']);
    expect(body.added).toEqual([]);
    expect(body.report.totals).toEqual(direct.totals);
    expect(body.report.labels).toEqual(direct.labels);

    const broken = await api('/rules/backtest', {
      files: [
        { path: 'rules/test.yaml', content: candidateYaml.replace('action: review', 'action: frobnicate') },
      ],
    });
    expect(broken.status).toBe(422);
    const err = (await broken.json()) as { error: string; errors: string[] };
    expect(err.error).toBe('invalid_rules');
    expect(err.errors[0]).toMatch(/^rules\/test\.yaml:\d+:\d+/);

    const badSince = await api('/rules/backtest', {
      files: [{ path: 'test.yaml', content: candidateYaml }],
      since: '3x',
    });
    expect(badSince.status).toBe(400);
    expect(((await badSince.json()) as { message: string }).message).toMatch(/since "3x"/);
    const unknown = await api('/rules/backtest', { files: [], sinse: '1d' });
    expect(unknown.status).toBe(400);
    expect((await api('/rules/backtest', { files: [] }, 'wrong-token-0123456789')).status).toBe(401);

    const status = await api('/rules/status');
    expect(status.status).toBe(200);
    const st = (await status.json()) as { rules: { ruleId: string; mode: string }[] };
    expect(st.rules.map((r) => [r.ruleId, r.mode])).toEqual([
      ['scam-hide', 'enforce'],
      ['dm-review', 'enforce'],
      ['promo-shadow', 'shadow'],
    ]);
  });
});
