import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createMediaActivityRepo } from '../../src/db/repos/media-activity.js';
import { decisions } from '../../src/db/schema/decisions.js';
import { loadRuleSet } from '../../src/moderation/index.js';
import { parseSince, sweepAccount } from '../../src/pipeline/sweep-account.js';
import { graphClientFromEnv } from '../../src/runtime/create-runtime.js';
import { type FakeGraph, startFakeGraph } from '../fakes/graph.js';
import { commentWebhook, startTestRuntime } from '../support/runtime.js';

const ACCOUNT = '17841400000000077';
const TOKEN = 'sweep-token-123456';
let fake: FakeGraph;
let rt: Awaited<ReturnType<typeof startTestRuntime>>;

beforeAll(async () => {
  fake = await startFakeGraph();
  fake.state.addAccount({ id: ACCOUNT, username: 'brand', token: TOKEN });
  const loaded = loadRuleSet([
    {
      path: 'rules/t.yaml',
      content: '- id: dm\n  reason: DM pitch\n  when:\n    text contains any: ["dm me"]\n  action: hide\n',
    },
  ]);
  if (!loaded.ok) throw new Error('rules');
  const ruleSet = loaded.ruleSet;
  rt = await startTestRuntime({
    rules: () => ruleSet,
    env: {
      DRY_RUN: 'false',
      IG_ACCOUNT_ID: ACCOUNT,
      IG_ACCESS_TOKEN: TOKEN,
      GRAPH_API_BASE_URL: fake.baseUrl,
      INBOX_WORKERS: '2',
      ACTION_WORKERS: '1',
    },
  });
});
afterAll(async () => {
  await rt.close();
  await fake.close();
});

it('parses relative and absolute windows', () => {
  const now = new Date('2026-11-28T12:00:00Z');
  expect(parseSince('48h', now)?.toISOString()).toBe('2026-11-26T12:00:00.000Z');
  expect(parseSince('7d', now)?.toISOString()).toBe('2026-11-21T12:00:00.000Z');
  expect(parseSince('2026-11-01', now)?.toISOString()).toBe('2026-11-01T00:00:00.000Z');
  expect(parseSince('soon', now)).toBeNull();
});

it('moderates comments whose webhooks never arrived, once each, replies included', async () => {
  const recent = fake.state.addMedia(ACCOUNT, { timestamp: new Date(Date.now() - 3600_000) });
  const old = fake.state.addMedia(ACCOUNT, { timestamp: new Date(Date.now() - 10 * 86_400_000) });
  const seen = fake.state.addComment(recent.id, { text: 'dm me for promo', fromId: '600001', username: 'a' });
  const missed = fake.state.addComment(recent.id, { text: 'dm me now', fromId: '600002', username: 'b' });
  const missedReply = fake.state.addComment(recent.id, {
    text: 'dm me too',
    parentId: missed.id,
    fromId: '600003',
    username: 'c',
  });
  const harmless = fake.state.addComment(recent.id, { text: 'lovely', fromId: '600004', username: 'd' });
  const tooOld = fake.state.addComment(old.id, { text: 'dm me', fromId: '600005', username: 'e' });

  // One comment did arrive by webhook.
  await rt.post(
    commentWebhook(ACCOUNT, {
      id: seen.id,
      text: seen.text,
      from: { id: '600001', username: 'a' },
      media: { id: recent.id },
    }),
  );
  await rt.idle();

  const account = await rt.accounts.credentials(ACCOUNT);
  const result = await sweepAccount({
    graph: graphClientFromEnv(rt.env),
    store: rt.repo,
    account: account!,
    since: new Date(Date.now() - 48 * 3600_000),
  });
  expect(result.errors).toEqual([]);
  expect(result).toMatchObject({ media: 1, comments: 4, queued: 3 });
  rt.pool.wake();
  await rt.idle();

  const decided = async (id: string) =>
    rt.database.db.select().from(decisions).where(eq(decisions.commentId, id));
  for (const c of [seen, missed, missedReply, harmless]) expect(await decided(c.id)).toHaveLength(1);
  expect(await decided(tooOld.id)).toHaveLength(0);
  expect((await decided(missedReply.id))[0]).toMatchObject({ kind: 'reply', action: 'hide' });
  expect(fake.state.comments.get(missed.id)?.hidden).toBe(true);
  expect(fake.callsTo('POST', `/${seen.id}`)).toHaveLength(1);

  // A second sweep finds nothing new.
  const again = await sweepAccount({
    graph: graphClientFromEnv(rt.env),
    store: rt.repo,
    account: account!,
    since: new Date(Date.now() - 48 * 3600_000),
  });
  expect(again.queued).toBe(0);
});

it('finds a missed comment on an older post with new comments, within a bounded number of calls', async () => {
  const activity = createMediaActivityRepo(rt.database.db);
  const graph = graphClientFromEnv(rt.env);
  const account = (await rt.accounts.credentials(ACCOUNT))!;
  const since = () => new Date(Date.now() - 48 * 3600_000);
  const sweep = (maxCalls: number) =>
    sweepAccount({ graph, store: rt.repo, account, since: since(), older: { activity, maxCalls } });
  const days = (n: number) => new Date(Date.now() - n * 86_400_000);
  const viral = fake.state.addMedia(ACCOUNT, { timestamp: days(40) });
  const quiet = fake.state.addMedia(ACCOUNT, { timestamp: days(41) });
  fake.state.addComment(viral.id, { text: 'nice shot', fromId: '610001', username: 'f' });
  fake.state.addComment(quiet.id, { text: 'love it', fromId: '610002', username: 'g' });

  // First run: older media never swept are swept once (their counts become the baseline).
  const first = await sweep(100);
  expect(first.errors).toEqual([]);
  expect(first.older?.left).toBe(0);
  expect(first.older?.calls).toBeLessThanOrEqual(100);

  // The old post goes viral; the webhook for one scam comment is lost.
  const missed = fake.state.addComment(viral.id, {
    text: 'dm me for the deal',
    fromId: '610003',
    username: 'h',
  });
  fake.state.addComment(viral.id, { text: 'so good', fromId: '610004', username: 'i' });
  const before = fake.calls.length;
  // Two calls are not enough to list the media and that post's comments and replies: it is left
  // for the next run, its stored count unchanged, and never more than two calls are made for it.
  const short = await sweep(2);
  expect(short.older).toMatchObject({ changed: 1, swept: 0, left: 1, calls: 2 });
  const pass = await sweep(100);
  expect(pass.older).toMatchObject({ changed: 1, swept: 1, left: 0 });
  // Of the older posts only the one with new comments had its comments listed (recent media are
  // listed on every run); the quiet one cost nothing.
  const listed = new Set(
    fake.calls
      .slice(before)
      .filter((c) => c.path.endsWith('/comments'))
      .map((c) => c.path),
  );
  expect(listed.has(`/${viral.id}/comments`)).toBe(true);
  expect(listed.has(`/${quiet.id}/comments`)).toBe(false);
  rt.pool.wake();
  await rt.idle();
  expect(
    await rt.database.db.select().from(decisions).where(eq(decisions.commentId, missed.id)),
  ).toHaveLength(1);
  expect(fake.state.comments.get(missed.id)?.hidden).toBe(true);

  // Nothing moved since: the next run lists media only.
  const quietRun = await sweep(100);
  expect(quietRun.older).toMatchObject({ changed: 0, swept: 0 });
});
