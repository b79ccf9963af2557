/**
 * Outgoing notifications against a local HTTP receiver on loopback: one message for many
 * notices (never one per comment), at most one message per interval, a failed send neither
 * throws nor loses its notices, and what waits for people (dead letters, review queue) is told
 * when it starts and not again while it stands still.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { watchAttention } from '../../src/notify/attention.js';
import type { Notice, Notifier } from '../../src/notify/ports.js';
import { createWebhookNotifier } from '../../src/notify/webhook.js';
import { startNotifyReceiver } from '../support/notify-receiver.js';

let receiver: Awaited<ReturnType<typeof startNotifyReceiver>>;
beforeAll(async () => {
  receiver = await startNotifyReceiver();
});
afterAll(() => receiver.close());

const flood = (commentId: string): Notice => ({
  kind: 'flood',
  accountId: '17841400000000001',
  mediaId: '18000000000000004',
  ruleId: 'campaign-flood',
  action: 'hide',
  commentId,
});

describe('webhook notifier', () => {
  it('200 notices about one flood make one Slack-compatible message with a count', async () => {
    receiver.received.length = 0;
    const n = createWebhookNotifier({
      url: receiver.url,
      logger: silentLogger,
      gatherMs: 50,
      minIntervalMs: 60_000,
    });
    for (let i = 0; i < 200; i++) n.notify(flood(`c-${i}`));
    const got = await receiver.waitFor((t) => t.includes('Flood'));
    expect(receiver.received).toHaveLength(1);
    expect(got?.body.text).toContain('rule campaign-flood hid 200 comments on media 18000000000000004');
    expect(got?.body.text).toContain(
      'modbot media lock 18000000000000004 --account 17841400000000001 --for 2h',
    );
    expect(got?.body.notices).toEqual([{ ...flood('c-199'), times: 200 }]);
  });

  it('sends at most one message per interval; what came meanwhile goes in the next one', async () => {
    receiver.received.length = 0;
    const n = createWebhookNotifier({
      url: receiver.url,
      logger: silentLogger,
      gatherMs: 20,
      minIntervalMs: 700,
    });
    n.notify({ kind: 'reauth_needed', accountId: 'a-1', reason: 'token expired' });
    await receiver.waitFor((t) => t.includes('a-1'));
    n.notify({ kind: 'dead_letters', count: 3 });
    n.notify({ kind: 'review_queue', count: 80, over: 50 });
    await receiver.waitFor((t) => t.includes('dead letters'));
    expect(receiver.received).toHaveLength(2);
    const [first, second] = receiver.received;
    expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(650);
    expect(second?.body.text).toContain('The review queue holds 80 comments (more than 50)');
    expect(first?.body.text).toContain('Account a-1 needs re-authorisation (token expired)');
  });

  it('a receiver that fails or is gone never throws; the notices go out once it answers again', async () => {
    receiver.received.length = 0;
    receiver.answer(500);
    const warnings: string[] = [];
    const logger = { ...silentLogger, warn: (m: string) => void warnings.push(m) };
    const n = createWebhookNotifier({ url: receiver.url, logger, gatherMs: 10, minIntervalMs: 100 });
    expect(() => n.notify(flood('c-x'))).not.toThrow();
    await n.flush();
    expect(warnings).toContain('notification not delivered; it goes out with the next one');
    receiver.answer(200);
    const got = await receiver.waitFor((t) => t.includes('Flood'));
    expect(got?.body.notices).toHaveLength(1);

    const gone = createWebhookNotifier({
      url: 'http://127.0.0.1:9/none',
      logger,
      gatherMs: 10,
      timeoutMs: 500,
    });
    gone.notify(flood('c-y'));
    await expect(gone.flush()).resolves.toBeUndefined();
  });
});

describe('what waits for people', () => {
  it('dead letters and a long review queue are told when they start or grow, not every check', async () => {
    const told: Notice[] = [];
    const notifier: Notifier = { notify: (n) => void told.push(n), flush: async () => {} };
    let counts = { deadLetters: 0, heldForReview: 10 };
    let now = 0;
    const check = watchAttention({
      counts: async () => counts,
      notifier,
      reviewQueueOver: 50,
      now: () => now,
    });
    await check();
    expect(told).toEqual([]);
    counts = { deadLetters: 2, heldForReview: 51 };
    await check();
    await check();
    expect(told.map((t) => t.kind)).toEqual(['dead_letters', 'review_queue']);
    counts = { deadLetters: 5, heldForReview: 51 };
    await check();
    expect(told.at(-1)).toEqual({ kind: 'dead_letters', count: 5 });
    now += 3600_000;
    await check();
    expect(told).toHaveLength(5);
  });
});
