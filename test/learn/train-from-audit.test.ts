/**
 * Learning from moderators, end to end on a real database and a fake Graph API over HTTP:
 * comments arrive as signed webhooks, the builtin model hides some (really, on the fake),
 * moderators undo those and hide others through the audit service, then `modbot train
 * --from-audit` fits a model, `--apply` puts it in force (new decisions name it), `--revert`
 * goes back to the shipped model, and a stored model of another feature version is refused.
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuditService } from '../../src/audit/service.js';
import {
  builtinModel,
  LEARNED_MODEL_NAME,
  LinearModel,
  SHIPPED_MODEL_NAME,
} from '../../src/classify/builtin/index.js';
import { BUILTIN_MODEL } from '../../src/classify/builtin/weights.generated.js';
import { runTrain, setLearningOpener, type TrainOptions } from '../../src/cli/train.js';
import { actions } from '../../src/db/schema/actions.js';
import { decisions } from '../../src/db/schema/decisions.js';
import { learnedModels } from '../../src/db/schema/learned-models.js';
import { createActiveSpamModel } from '../../src/learn/active-model.js';
import { silentLogger } from '../../src/log.js';
import type { ClassifierCall } from '../../src/moderation/decision.js';
import { loadRuleSet, normalise, type RuleSet } from '../../src/moderation/index.js';
import { learningConnection } from '../../src/runtime/commands.js';
import { type FakeGraph, startFakeGraph } from '../fakes/graph.js';
import { captureCli } from '../support/cli.js';
import { commentWebhook, liveEnvAgainst, startTestRuntime } from '../support/runtime.js';

const rulesYaml = `
- id: spam-model
  reason: The builtin model is sure it is spam
  when:
    classifier:
      use: builtin
      score: spam
      at least: 0.97
      fallback: allow
  action: hide
- id: spam-model-unsure
  reason: The builtin model thinks it may be spam
  when:
    classifier:
      use: builtin
      score: spam
      at least: 0.7
      fallback: allow
  action: review
`;

/** A makers' community: members sharing their own shops is welcome here (the shipped model hides it). */
const WELCOME = [
  'check out my new shop link in bio, handmade candles',
  'check out my etsy shop for handmade candles',
  'visit my page for handmade soap',
  'check my page, handmade mugs',
  'check out my channel for candle tutorials',
  'check out my shop for handmade soap and candles',
];
/** The shipped model holds these for review; moderators approve them. */
const HELD = ['follow my page for candle making tips', 'visit my website for pottery classes'];
/** ...and "first!" races are not (the shipped model lets them through). */
const UNWANTED = ['first', 'first!!', 'me first', 'omg first comment', 'first again', 'first here'];

const ACCOUNT = '17841400000000001';
const TOKEN = 'IGQVJ-test-token-0123456789';
let fake: FakeGraph;
let rt: Awaited<ReturnType<typeof startTestRuntime>>;
let mediaId: string;

function ruleSet(): RuleSet {
  const loaded = loadRuleSet([{ path: 'rules/test.yaml', content: rulesYaml }]);
  if (!loaded.ok) throw new Error(loaded.errors.map((e) => e.format()).join('\n'));
  return loaded.ruleSet;
}

beforeAll(async () => {
  fake = await startFakeGraph({ autoCreate: true });
  fake.state.addAccount({ id: ACCOUNT, username: 'brand', token: TOKEN, loginType: 'instagram' });
  mediaId = fake.state.addMedia(ACCOUNT).id;
  const rules = ruleSet();
  rt = await startTestRuntime({
    rules: () => rules,
    env: liveEnvAgainst(
      fake.baseUrl,
      { id: ACCOUNT, token: TOKEN },
      {
        INBOX_WORKERS: '2',
        ACTION_WORKERS: '2',
        MODBOT_ENCRYPTION_KEY: 'ab'.repeat(32),
      },
    ),
    backoff: () => 50,
  });
  // The CLI on the test's database (the connection's close would close it: the test does).
  setLearningOpener(async () => ({ ...learningConnection(rt.database), close: async () => {} }));
});
afterAll(async () => {
  await rt.close();
  await fake.close();
});

async function comment(text: string): Promise<string> {
  const c = fake.state.addComment(mediaId, { text, fromId: '6000000000000003', username: 'some_user' });
  const body = commentWebhook(
    ACCOUNT,
    { id: c.id, text, from: { id: '6000000000000003', username: 'some_user' }, media: { id: mediaId } },
    Math.floor(Date.now() / 1000),
  );
  expect((await rt.post(body)).status).toBe(200);
  return c.id;
}

/** Waits until the comment is decided and every action on it reached a final state. */
async function settled(commentId: string) {
  const end = Date.now() + 15_000;
  for (;;) {
    await rt.idle();
    const [decision] = await rt.database.db
      .select()
      .from(decisions)
      .where(eq(decisions.commentId, commentId));
    const rows = await rt.database.db.select().from(actions).where(eq(actions.commentId, commentId));
    if (decision && rows.every((r) => !['planned', 'in_progress'].includes(r.status)))
      return { decision, rows };
    if (Date.now() > end) throw new Error(`comment ${commentId} not settled`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function builtinCall(decision: { detail: unknown }): ClassifierCall | undefined {
  const calls = (decision.detail as { classifierCalls?: ClassifierCall[] }).classifierCalls ?? [];
  return calls.find((c) => c.classifier === 'builtin');
}

const train = (o: Partial<TrainOptions>) =>
  captureCli(() => runTrain({ since: '90d', as: 'alice', format: 'json', l2: '1', ...o }));

describe('modbot train --from-audit', () => {
  const welcomeIds: string[] = [];
  const unwantedIds: string[] = [];

  it('refuses what it cannot do with a message that says what to give', async () => {
    const none = await train({});
    expect(none.exitCode).toBe(2);
    expect(none.err).toMatch(/give one of --from-audit .*--revert or --status/);
    const applyAlone = await train({ apply: true });
    expect(applyAlone.exitCode).toBe(2);
    const since = await train({ fromAudit: true, since: 'yesterday' });
    expect(since.exitCode).toBe(2);
    expect(since.err).toMatch(/--since yesterday: expected a relative time like 90d/);
    const l2 = await train({ fromAudit: true, l2: '-1' });
    expect(l2.err).toMatch(/--l2 -1: expected a number above 0/);
  });

  it('refuses with too few labels, saying how many there are and how many are needed', async () => {
    const out = await train({ fromAudit: true });
    expect(out.exitCode).toBe(2);
    expect(out.err).toMatch(/too few moderator labels since .*: 0 usable .*at least 10 needed/);
  });

  it('takes moderator reversals of automatic hides and manual hides as labels', async () => {
    const audit = createAuditService(rt.database.db, { retentionDays: 90 });
    for (const text of WELCOME) {
      const id = await comment(text);
      const { decision, rows } = await settled(id);
      expect(decision.action).toBe('hide'); // the shipped model hides a member's shop
      expect(rows).toMatchObject([{ type: 'hide', status: 'done', actor: 'modbot' }]);
      expect(builtinCall(decision)?.result).toMatchObject({
        model: SHIPPED_MODEL_NAME,
        version: expect.stringMatching(new RegExp(`^${BUILTIN_MODEL.version}\\+abuse-`)),
      });
      welcomeIds.push(id);
    }
    const heldIds: string[] = [];
    for (const text of HELD) {
      const id = await comment(text);
      const { decision, rows } = await settled(id);
      expect(decision.action).toBe('review');
      expect(rows).toMatchObject([{ type: 'review', status: 'held' }]);
      heldIds.push(id);
    }
    for (const text of UNWANTED) {
      const id = await comment(text);
      const { decision } = await settled(id);
      expect(decision.action).toBe('allow');
      unwantedIds.push(id);
    }
    // Reversals by unhide and by approve (an approval of a hidden comment is its unhide), approvals
    // from the review queue, and manual hides.
    for (const [i, id] of welcomeIds.entries())
      await audit.moderate({ kind: i % 2 === 0 ? 'unhide' : 'approve', target: id, moderator: 'alice' });
    for (const id of heldIds) await audit.moderate({ kind: 'approve', target: id, moderator: 'alice' });
    for (const id of unwantedIds) await audit.moderate({ kind: 'hide', target: id, moderator: 'bob' });
    for (const id of [...welcomeIds, ...heldIds, ...unwantedIds]) await settled(id);
    expect(fake.state.comments.get(welcomeIds[0]!)?.hidden).toBe(false);
    expect(fake.state.comments.get(unwantedIds[0]!)?.hidden).toBe(true);

    const out = await train({ fromAudit: true });
    expect(out.err).toBe('');
    const report = JSON.parse(out.out);
    expect(report.labels).toMatchObject({
      positive: UNWANTED.length,
      negative: WELCOME.length + HELD.length,
      hides: UNWANTED.length,
      unhides: WELCOME.length,
      approvals: HELD.length,
      reversals: WELCOME.length,
    });
    // Nothing stored without --apply.
    expect(await rt.database.db.select().from(learnedModels)).toHaveLength(0);
    expect(report.onLabels.shipped.right).toBe(0);
    expect(report.onLabels.learned.right).toBeGreaterThan(report.onLabels.shipped.right);
    // The stored comments of the last 30 days: the members' shops would no longer be hidden.
    expect(report.recent.noLongerHidden.comments).toBeGreaterThanOrEqual(WELCOME.length - 1);
    expect(report.recent.noLongerHidden.examples[0].commentId).toMatch(/\d+/);
    // And what the rules in rules/ would do with it: the same backtest as `rules backtest`,
    // the fitted model asked instead of the recorded scores.
    expect(report.backtest.totals.compared).toBeGreaterThan(0);
    expect(report.backtest.scores.candidate).toBeGreaterThan(0);
  });

  it('is deterministic, and moves the scores of the labelled texts the way the moderators did', async () => {
    const a = JSON.parse((await train({ fromAudit: true })).out);
    const b = JSON.parse((await train({ fromAudit: true })).out);
    expect(a.version).toBe(b.version);
    expect(a.version).toMatch(/^L[0-9a-f]{12}$/);
    // The model the report names: fit again through the connection to read its weights.
    const report = await learningConnection(rt.database).train({ since: '90d' });
    expect(report.model.version).toBe(a.version);
    const learned = LinearModel.fromData(report.model);
    const shipped = builtinModel();
    for (const text of [...WELCOME, ...HELD]) {
      const t = normalise(text);
      expect(learned.score(t).score).toBeLessThan(shipped.score(t).score - 0.1);
    }
    for (const text of UNWANTED) {
      const t = normalise(text);
      expect(learned.score(t).score).toBeGreaterThan(shipped.score(t).score + 0.1);
    }
    // A text it never saw, of the same kind, moves too (it learned "handmade shop", not ids).
    const unseen = normalise('check out my shop for handmade mugs');
    expect(learned.score(unseen).score).toBeLessThan(shipped.score(unseen).score);
  });

  it('--apply puts it in force: new decisions name the learned model and version', async () => {
    const out = await train({ fromAudit: true, apply: true });
    expect(out.exitCode).toBe(0);
    const report = JSON.parse(out.out);
    expect(report.applied).toMatchObject({ id: 1, active: true, appliedBy: 'moderator:alice' });
    await rt.spamModel?.refresh();
    const id = await comment('check out my etsy shop for handmade candles');
    const { decision } = await settled(id);
    expect(builtinCall(decision)?.result).toMatchObject({
      model: LEARNED_MODEL_NAME,
      version: expect.stringMatching(new RegExp(`^${report.version}\\+abuse-`)),
    });
    expect(decision.action).toBe('allow');
    // A process starting now loads it before its first decision; a running one checks every minute.
    const starting = createActiveSpamModel(rt.database.db, silentLogger);
    await starting.ready();
    expect(starting.current().name).toBe(LEARNED_MODEL_NAME);
    expect(starting.learned()).toEqual({ id: 1, version: report.version });
    expect(rt.jobs.find((j) => j.name === 'learned spam model check')).toMatchObject({ everyMinutes: 1 });

    const status = await train({ status: true });
    const s = JSON.parse(status.out);
    expect(s.inForce).toBe(`learned model #1 (${report.version})`);
    expect(s.models).toMatchObject([
      { id: 1, active: true, usable: true, labels: { positive: 6, negative: 8 } },
    ]);
  });

  it('--revert goes back to the shipped model', async () => {
    const out = await train({ revert: true, as: 'carol' });
    expect(out.exitCode).toBe(0);
    expect(JSON.parse(out.out)).toMatchObject({
      reverted: { id: 1, revertedBy: 'moderator:carol' },
      restored: null,
    });
    await rt.spamModel?.refresh();
    const id = await comment('check out my etsy shop for handmade candles');
    const { decision } = await settled(id);
    expect(builtinCall(decision)?.result?.model).toBe(SHIPPED_MODEL_NAME);
    expect(decision.action).toBe('hide');
    const again = await train({ revert: true });
    expect(again.exitCode).toBe(2);
    expect(again.err).toMatch(/no learned model is in force/);
  });

  it('a second apply then a revert restores the first one', async () => {
    await train({ fromAudit: true, apply: true });
    await train({ fromAudit: true, apply: true, l2: '3' });
    const out = await train({ revert: true });
    expect(JSON.parse(out.out)).toMatchObject({ reverted: { id: 3 }, restored: { id: 2, active: true } });
    const text = await captureCli(() =>
      runTrain({ status: true, since: '90d', as: 'alice', format: 'text' }),
    );
    expect(text.out).toMatch(/in force: learned model #2/);
    expect(text.out).toMatch(/#3 .* reverted/);
  });

  it('a learned model of another feature version is not used: shipped model, a /readyz warning', async () => {
    await rt.database.db
      .update(learnedModels)
      .set({ featureVersion: 1 })
      .where(eq(learnedModels.active, true));
    await rt.spamModel?.refresh();
    const ready = await (await rt.app.request('/readyz')).json();
    expect(ready.warnings).toEqual([
      expect.stringMatching(/feature version 1, this code has \d+: the shipped model/),
    ]);
    const id = await comment('check out my etsy shop for handmade candles');
    const { decision } = await settled(id);
    expect(builtinCall(decision)?.result?.model).toBe(SHIPPED_MODEL_NAME);
    const status = JSON.parse((await train({ status: true })).out);
    expect(status.warning).toMatch(/feature version 1/);
    expect(status.inForce).toMatch(/^shipped model/);
  });
});
