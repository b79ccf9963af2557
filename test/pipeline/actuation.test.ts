/**
 * Decisions carried out on a fake Graph API over real HTTP: order, exactly-once replies, error
 * taxonomy (throttling, token expiry, object gone, outages) and dry run.
 */
import { eq } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { accounts } from '../../src/db/schema/accounts.js';
import { actionAttempts, actions } from '../../src/db/schema/actions.js';
import { decisions } from '../../src/db/schema/decisions.js';
import { loadRuleSet, type RuleSet } from '../../src/moderation/index.js';
import { type FakeGraph, startFakeGraph } from '../fakes/graph.js';
import { commentWebhook, startTestRuntime } from '../support/runtime.js';

const rulesYaml = `
- id: scam-hide
  reason: Investment scam
  when:
    text contains any: [invested, "passive income"]
  action: hide
- id: link-reply
  reason: Links are not allowed; tell them why, then hide
  when:
    text contains any: ["check my link"]
  action: [reply, hide]
  reply: "Hi @{{author}}, links are not allowed here."
- id: spam-delete
  reason: Obvious spam
  when:
    text contains any: ["free followers"]
  action: delete
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
let mediaId: string;

beforeAll(async () => {
  fake = await startFakeGraph({ autoCreate: true });
  fake.state.addAccount({ id: ACCOUNT, username: 'brand', token: TOKEN, loginType: 'instagram' });
  mediaId = fake.state.addMedia(ACCOUNT).id;
  const rules = ruleSet();
  rt = await startTestRuntime({
    rules: () => rules,
    env: {
      DRY_RUN: 'false',
      IG_ACCOUNT_ID: ACCOUNT,
      IG_ACCESS_TOKEN: TOKEN,
      IG_USERNAME: 'brand',
      GRAPH_API_BASE_URL: fake.baseUrl,
      INBOX_WORKERS: '2',
      ACTION_WORKERS: '2',
      INBOX_POLL_MS: '50',
      GRAPH_WRITES_PER_MINUTE: '6000',
      MODBOT_ENCRYPTION_KEY: 'ab'.repeat(32),
    },
    backoff: () => 50,
  });
});
afterAll(async () => {
  await rt.close();
  await fake.close();
});
afterEach(() => fake.clearScript());

async function comment(text: string, opts: { from?: string; username?: string } = {}) {
  const c = fake.state.addComment(mediaId, {
    text,
    fromId: opts.from ?? '6000000000000003',
    username: opts.username ?? 'some_user',
  });
  const body = commentWebhook(
    ACCOUNT,
    {
      id: c.id,
      text,
      from: { id: opts.from ?? '6000000000000003', username: opts.username ?? 'some_user' },
      media: { id: mediaId, media_product_type: 'FEED' },
    },
    Math.floor(Date.now() / 1000),
  );
  const res = await rt.post(body);
  expect(res.status).toBe(200);
  return { id: c.id, body };
}

const actionsFor = (commentId: string) =>
  rt.database.db.select().from(actions).where(eq(actions.commentId, commentId)).orderBy(actions.seq);

/** Waits until every action of the comment reached a final state (retries are scheduled later). */
async function settled(commentId: string) {
  // Only the test's timeout bounds the wait (no speed-dependent deadline).
  for (;;) {
    await rt.idle();
    const rows = await actionsFor(commentId);
    if (rows.length > 0 && rows.every((r) => !['planned', 'in_progress'].includes(r.status))) return rows;
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('acting on Instagram', () => {
  it('hides a scam comment once, even when the webhook arrives three times', async () => {
    const { id, body } = await comment('I invested $3,000 and got $32,200 thanks to @finance.with.ava_');
    await rt.post(body);
    await rt.post(body);
    await rt.idle();
    expect(fake.state.comments.get(id)?.hidden).toBe(true);
    expect(fake.callsTo('POST', `/${id}`)).toHaveLength(1);
    expect(fake.callsTo('POST', `/${id}`)[0]?.query.hide).toBe('true');
    const [action] = await actionsFor(id);
    expect(action).toMatchObject({ type: 'hide', status: 'done', attempts: 1 });
    const attempts = await rt.database.db
      .select()
      .from(actionAttempts)
      .where(eq(actionAttempts.actionId, action?.id ?? ''));
    expect(attempts).toHaveLength(1);
    expect(attempts[0]?.request).toMatch(new RegExp(`^POST /.*${id}\\?hide=true$`));
    expect(JSON.stringify(attempts)).not.toContain(TOKEN);
  });

  it('replies before hiding (Meta refuses replies under hidden comments)', async () => {
    const { id } = await comment('check my link in bio');
    await rt.idle();
    const calls = fake.calls
      .filter((c) => c.path === `/${id}` || c.path === `/${id}/replies`)
      .map((c) => `${c.method} ${c.path}`);
    expect(calls).toEqual([`POST /${id}/replies`, `POST /${id}`]);
    expect(fake.state.repliesBy(ACCOUNT, id).map((r) => r.text)).toEqual([
      'Hi @some_user, links are not allowed here.',
    ]);
    expect(fake.state.comments.get(id)?.hidden).toBe(true);
  });

  it('never posts a reply twice when the first answer is lost', async () => {
    const target = fake.state.nextId();
    fake.script({ method: 'POST', path: `/${target}/replies`, fault: { kind: 'apply-then-drop' } });
    const c = fake.state.addComment(mediaId, {
      id: target,
      text: 'check my link please',
      fromId: '6000000000000009',
      username: 'other',
    });
    await rt.post(
      commentWebhook(ACCOUNT, {
        id: c.id,
        text: c.text,
        from: { id: '6000000000000009', username: 'other' },
        media: { id: mediaId },
      }),
    );
    const [reply, hide] = await settled(c.id);
    expect(fake.state.repliesBy(ACCOUNT, c.id)).toHaveLength(1);
    expect(reply).toMatchObject({ type: 'reply', status: 'done', attempts: 2 });
    expect(reply?.result).toMatchObject({ foundExisting: true });
    expect(hide).toMatchObject({ type: 'hide', status: 'done' });
  });

  it('treats a comment already gone (100/33) as done, and retries outages', async () => {
    const gone = await comment('free followers here');
    await rt.idle();
    expect(fake.state.comments.get(gone.id)?.deleted).toBe(true);

    const target = fake.state.nextId();
    fake.script({
      method: 'DELETE',
      path: `/${target}`,
      fault: { kind: 'error', code: 100, subcode: 33, status: 400 },
    });
    const c = fake.state.addComment(mediaId, {
      id: target,
      text: 'free followers now',
      fromId: '6000000000000010',
    });
    await rt.post(
      commentWebhook(ACCOUNT, { id: c.id, text: c.text, from: { id: '6000000000000010', username: 'x' } }),
    );
    await rt.idle();
    expect((await actionsFor(c.id))[0]).toMatchObject({ type: 'delete', status: 'gone' });

    const flaky = fake.state.nextId();
    fake.script({ method: 'POST', path: `/${flaky}`, times: 2, fault: { kind: 'status', status: 503 } });
    const f = fake.state.addComment(mediaId, {
      id: flaky,
      text: 'passive income daily',
      fromId: '6000000000000011',
    });
    await rt.post(
      commentWebhook(ACCOUNT, { id: f.id, text: f.text, from: { id: '6000000000000011', username: 'y' } }),
    );
    expect((await settled(f.id))[0]).toMatchObject({ type: 'hide', status: 'done', attempts: 3 });
    expect(fake.state.comments.get(f.id)?.hidden).toBe(true);
  });

  it('flags the account on an expired token; its actions wait and resume once re-authorised', async () => {
    fake.state.expireToken(ACCOUNT, true);
    const { id } = await comment('I invested everything, passive income');
    await rt.idle();
    const [waiting] = await actionsFor(id);
    expect(waiting).toMatchObject({ type: 'hide', status: 'planned' });
    const [account] = await rt.database.db.select().from(accounts).where(eq(accounts.id, ACCOUNT));
    expect(account?.status).toBe('reauth_needed');
    expect(fake.state.comments.get(id)?.hidden).toBe(false);

    // The action waits 15 minutes for a token...
    const [held] = await rt.database.db
      .select()
      .from(actions)
      .where(eq(actions.id, waiting?.id ?? ''));
    expect(held?.nextAttemptAt.getTime()).toBeGreaterThan(Date.now() + 10 * 60_000);

    // ...until one is added (as `modbot accounts add` does): the wait ends at once, the action runs.
    fake.state.expireToken(ACCOUNT, false);
    await rt.accounts.add({
      id: ACCOUNT,
      username: 'brand',
      loginType: 'instagram',
      accessToken: TOKEN,
      expiresAt: null,
    });
    expect((await settled(id))[0]).toMatchObject({ status: 'done' });
    expect(fake.state.comments.get(id)?.hidden).toBe(true);
  });

  it("never acts on the account's own comments (our replies come back as webhooks)", async () => {
    const before = fake.calls.length;
    const { id } = await comment('thanks! check my link for the passive income guide', {
      from: ACCOUNT,
      username: 'brand',
    });
    await rt.idle();
    expect(await actionsFor(id)).toEqual([]);
    expect(fake.calls.slice(before).filter((c) => c.path.includes(id))).toEqual([]);
    const [decision] = await rt.database.db.select().from(decisions).where(eq(decisions.commentId, id));
    expect(decision?.outcome).toBe('skipped');
  });

  it('a throttled account waits out its window while other accounts go on', async () => {
    const OTHER = '17841400000000002';
    fake.state.addAccount({ id: OTHER, username: 'other_brand', token: 'other-token-0123456789' });
    const otherMedia = fake.state.addMedia(OTHER).id;
    await rt.accounts.add({
      id: OTHER,
      username: 'other_brand',
      loginType: 'instagram',
      accessToken: 'other-token-0123456789',
      expiresAt: null,
    });

    const throttled = fake.state.nextId();
    fake.script({
      method: 'POST',
      path: `/${throttled}`,
      fault: { kind: 'throttle', code: 80002, regainMinutes: 30 },
    });
    const a = fake.state.addComment(mediaId, {
      id: throttled,
      text: 'passive income for all',
      fromId: '6000000000000020',
    });
    const b = fake.state.addComment(otherMedia, {
      text: 'passive income for everyone',
      fromId: '6000000000000021',
    });
    const send = (account: string, c: { id: string; text: string }, media: string) =>
      rt.post(
        commentWebhook(account, {
          id: c.id,
          text: c.text,
          from: { id: '6000000000000020', username: 'z' },
          media: { id: media },
        }),
      );
    await send(ACCOUNT, a, mediaId);
    await rt.idle();
    await send(OTHER, b, otherMedia);
    await rt.idle();

    const [waiting] = await actionsFor(a.id);
    expect(waiting).toMatchObject({ status: 'planned', attempts: 0 });
    expect(waiting?.nextAttemptAt.getTime()).toBeGreaterThan(Date.now() + 20 * 60_000);
    const [paused] = await rt.database.db.select().from(accounts).where(eq(accounts.id, ACCOUNT));
    expect(paused?.pausedUntil?.getTime()).toBeGreaterThan(Date.now() + 20 * 60_000);
    expect(fake.state.comments.get(b.id)?.hidden).toBe(true);
    expect((await actionsFor(b.id))[0]).toMatchObject({ status: 'done' });
    // Unpause so later tests in this file are not affected.
    await rt.database.db.update(accounts).set({ pausedUntil: null }).where(eq(accounts.id, ACCOUNT));
  });

  it('in dry run nothing is called and the actions say what would have been done', async () => {
    const rules = ruleSet();
    const dry = await startTestRuntime({
      rules: () => rules,
      env: {
        DRY_RUN: 'true',
        IG_ACCOUNT_ID: ACCOUNT,
        IG_ACCESS_TOKEN: TOKEN,
        GRAPH_API_BASE_URL: fake.baseUrl,
        INBOX_WORKERS: '1',
        ACTION_WORKERS: '1',
      },
    });
    try {
      const before = fake.calls.length;
      const c = fake.state.addComment(mediaId, { text: 'check my link now', fromId: '6000000000000030' });
      await dry.post(
        commentWebhook(ACCOUNT, { id: c.id, text: c.text, from: { id: '6000000000000030', username: 'q' } }),
      );
      await dry.idle();
      expect(fake.calls.length).toBe(before);
      const rows = await dry.database.db
        .select()
        .from(actions)
        .where(eq(actions.commentId, c.id))
        .orderBy(actions.seq);
      expect(rows.map((r) => [r.type, r.status, r.reason])).toEqual([
        ['reply', 'dry_run', 'DRY_RUN is on'],
        ['hide', 'dry_run', 'DRY_RUN is on'],
      ]);

      // A moderator's action in dry run is recorded as what would have been done, never called.
      const moderatorActionId = crypto.randomUUID();
      await dry.database.db.insert(actions).values({
        id: moderatorActionId,
        accountId: ACCOUNT,
        commentId: c.id,
        type: 'hide',
        actor: 'moderator:alice',
        priority: -10,
      });
      dry.actuatorLoop.wake();
      await dry.idle();
      const [moderated] = await dry.database.db
        .select()
        .from(actions)
        .where(eq(actions.id, moderatorActionId));
      expect(moderated).toMatchObject({ status: 'dry_run', reason: 'DRY_RUN is on' });
      expect(fake.calls.length).toBe(before);
    } finally {
      await dry.close();
    }
  });
});
