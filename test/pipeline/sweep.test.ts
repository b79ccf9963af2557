import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
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
