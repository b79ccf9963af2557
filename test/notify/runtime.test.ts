/**
 * Notifications from a running modbot to a local receiver: an account whose token Meta refuses,
 * and the periodic check of what waits for people (dead letters).
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inbox } from '../../src/db/schema/inbox.js';
import { loadRuleSet } from '../../src/moderation/index.js';
import { type FakeGraph, startFakeGraph } from '../fakes/graph.js';
import { startNotifyReceiver } from '../support/notify-receiver.js';
import { commentWebhook, liveEnvAgainst, startTestRuntime } from '../support/runtime.js';

const ACCOUNT = '17841400000000001';
const TOKEN = 'IGQVJ-test-token-0123456789';
let fake: FakeGraph;
let receiver: Awaited<ReturnType<typeof startNotifyReceiver>>;
let rt: Awaited<ReturnType<typeof startTestRuntime>>;
let mediaId: string;

beforeAll(async () => {
  receiver = await startNotifyReceiver();
  fake = await startFakeGraph({ autoCreate: true });
  fake.state.addAccount({ id: ACCOUNT, username: 'brand', token: TOKEN, loginType: 'instagram' });
  mediaId = fake.state.addMedia(ACCOUNT).id;
  const loaded = loadRuleSet([
    {
      path: 'rules/t.yaml',
      content: '- id: scam\n  when:\n    text contains any: [invested]\n  action: hide\n',
    },
  ]);
  if (!loaded.ok) throw new Error('rules');
  const rules = loaded.ruleSet;
  rt = await startTestRuntime({
    rules: () => rules,
    env: liveEnvAgainst(
      fake.baseUrl,
      { id: ACCOUNT, token: TOKEN },
      {
        MODBOT_ENCRYPTION_KEY: 'ab'.repeat(32),
        NOTIFY_WEBHOOK_URL: receiver.url,
        NOTIFY_INTERVAL_SECONDS: '1',
      },
    ),
  });
});
afterAll(async () => {
  await rt.close();
  await fake.close();
  await receiver.close();
});

async function comment(text: string) {
  const c = fake.state.addComment(mediaId, { text });
  const body = commentWebhook(ACCOUNT, {
    id: c.id,
    text,
    from: { id: '6000000000000003', username: 'some_user' },
    media: { id: mediaId, media_product_type: 'FEED' },
  });
  expect((await rt.post(body)).status).toBe(200);
  return c.id;
}

describe('notifications from a running modbot', () => {
  it('an account whose token Meta refuses is told, with how to fix it and never the token', async () => {
    fake.state.expireToken(ACCOUNT, true);
    await comment('I invested and got rich');
    const got = await receiver.waitFor((t) => t.includes('needs re-authorisation'));
    expect(got?.body.text).toContain(`Account ${ACCOUNT} needs re-authorisation`);
    expect(got?.body.text).toContain(`modbot accounts add --id ${ACCOUNT}`);
    expect(got?.body.text).not.toContain(TOKEN);
  });

  it('dead letters are told by the periodic check', async () => {
    const id = await comment('hello there');
    await rt.pool.idle();
    await rt.database.db.update(inbox).set({ status: 'dead' }).where(eq(inbox.commentId, id));
    const job = rt.jobs.find((j) => j.name === 'notify what waits for people');
    await job?.run();
    const got = await receiver.waitFor((t) => t.includes('dead letters'));
    expect(got?.body.text).toContain('1 event(s) failed every attempt');
  });
});
