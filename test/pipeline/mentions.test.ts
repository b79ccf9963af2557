/**
 * Mentions against the fake Graph API: the fields read are the ones Meta documents for the
 * mention edges, and the author is known where Meta gives it (a caption's author is the media's
 * owner), so `{{author}}` and `author is` work; a mentioned comment has no documented author.
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actions } from '../../src/db/schema/actions.js';
import { decisions } from '../../src/db/schema/decisions.js';
import { loadRuleSet, type RuleSet } from '../../src/moderation/index.js';
import { type FakeGraph, startFakeGraph } from '../fakes/graph.js';
import { startTestRuntime } from '../support/runtime.js';

const rulesYaml = `
- id: thank-fan-club
  reason: Our fan club mentions us in captions
  when:
    kind is: mention_caption
    author is: [fan_club]
  action: reply
  reply: "Thanks @{{author}}!"
- id: scam-mention
  reason: Someone uses our name in a scam comment
  when:
    kind is: mention_comment
    text contains any: [giveaway]
  action: reply
  reply: "Hi {{author}}, this giveaway is not ours."
`;

function ruleSet(): RuleSet {
  const loaded = loadRuleSet([{ path: 'rules/test.yaml', content: rulesYaml }]);
  if (!loaded.ok) throw new Error(loaded.errors.map((e) => e.format()).join('\n'));
  return loaded.ruleSet;
}

const ACCOUNT = '17841400000000001';
const TOKEN = 'IGQVJ-test-token-0123456789';
let fake: FakeGraph;
let rt: Awaited<ReturnType<typeof startTestRuntime>>;

beforeAll(async () => {
  fake = await startFakeGraph();
  fake.state.addAccount({ id: ACCOUNT, username: 'brand', token: TOKEN, loginType: 'facebook' });
  const rules = ruleSet();
  rt = await startTestRuntime({
    rules: () => rules,
    env: {
      DRY_RUN: 'false',
      IG_ACCOUNT_ID: ACCOUNT,
      IG_ACCESS_TOKEN: TOKEN,
      IG_USERNAME: 'brand',
      IG_LOGIN_TYPE: 'facebook',
      GRAPH_API_BASE_URL: fake.baseUrl,
      INBOX_WORKERS: '1',
      ACTION_WORKERS: '1',
      INBOX_POLL_MS: '50',
      GRAPH_WRITES_PER_MINUTE: '6000',
      MODBOT_ENCRYPTION_KEY: 'ab'.repeat(32),
    },
  });
});
afterAll(async () => {
  await rt.close();
  await fake.close();
});

const mention = (value: Record<string, string>) =>
  rt.post(
    JSON.stringify({
      object: 'instagram',
      entry: [{ id: ACCOUNT, time: Math.floor(Date.now() / 1000), changes: [{ field: 'mentions', value }] }],
    }),
  );

describe('mentions', () => {
  it("a caption mention's author is the media's owner: author is matches and {{author}} is filled", async () => {
    const fan = fake.state.addAccount({ username: 'fan_club' });
    const media = fake.state.addMedia(fan.id, { caption: 'our favourite shop @brand' });
    expect((await mention({ media_id: media.id })).status).toBe(200);
    await rt.idle();
    const [decision] = await rt.database.db.select().from(decisions).where(eq(decisions.mediaId, media.id));
    expect(decision).toMatchObject({
      kind: 'mention_caption',
      decidingRule: 'thank-fan-club',
      authorUsername: 'fan_club',
      text: 'our favourite shop @brand',
    });
    const [reply] = await rt.database.db
      .select()
      .from(actions)
      .where(eq(actions.decisionId, decision?.id ?? ''));
    expect(reply).toMatchObject({ type: 'mention_reply', status: 'done', message: 'Thanks @fan_club!' });
    const read = fake.calls.find(
      (c) => c.method === 'GET' && c.query.fields?.includes(`media_id(${media.id})`),
    );
    expect(read?.query.fields).toBe(
      `mentioned_media.media_id(${media.id}){id,caption,media_type,comments_count,like_count,timestamp,username}`,
    );
  });

  it('a mentioned comment is read with the documented fields only; its author stays unknown', async () => {
    const other = fake.state.addAccount({ username: 'someone_else' });
    const media = fake.state.addMedia(other.id, { caption: 'a post' });
    const c = fake.state.addComment(media.id, {
      text: '@brand giveaway, send your card number',
      username: 'scammer',
    });
    expect((await mention({ comment_id: c.id, media_id: media.id })).status).toBe(200);
    await rt.idle();
    const [decision] = await rt.database.db.select().from(decisions).where(eq(decisions.commentId, c.id));
    expect(decision).toMatchObject({ decidingRule: 'scam-mention', authorUsername: null });
    const [reply] = await rt.database.db
      .select()
      .from(actions)
      .where(eq(actions.decisionId, decision?.id ?? ''));
    expect(reply?.message).toBe('Hi there, this giveaway is not ours.');
    const read = fake.calls.find(
      (c2) => c2.method === 'GET' && c2.query.fields?.includes(`comment_id(${c.id})`),
    );
    expect(read?.query.fields).toBe(
      `mentioned_comment.comment_id(${c.id}){id,text,timestamp,like_count,media{id}}`,
    );
  });
});
