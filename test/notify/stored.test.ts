/**
 * Notices as Workers sends them (src/notify/stored.ts), on a real database and a local receiver:
 * stored by the invocation that raised them, sent by the cron minute as one merged message, at
 * most one message per interval, kept for the next minute when the receiver fails.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { rowsOf } from '../../src/db/client.js';
import { createNoticeStore } from '../../src/db/repos/notices.js';
import { createLogger } from '../../src/log.js';
import { watchAttention } from '../../src/notify/attention.js';
import type { Notice } from '../../src/notify/ports.js';
import {
  createStoredNoticeSender,
  createStoredNotifier,
  storedAttentionMemory,
} from '../../src/notify/stored.js';
import { openTestDatabase, type TestDatabase } from '../support/db.js';
import { startNotifyReceiver } from '../support/notify-receiver.js';

const logger = createLogger({ level: 'silent', secrets: [] });
const flood = (commentId: string): Notice => ({
  kind: 'flood',
  accountId: 'acct-1',
  mediaId: 'media-9',
  ruleId: 'same-text-flood',
  action: 'hide',
  commentId,
});

let database: TestDatabase;
let receiver: Awaited<ReturnType<typeof startNotifyReceiver>>;
beforeAll(async () => {
  database = await openTestDatabase();
  receiver = await startNotifyReceiver();
});
afterAll(async () => {
  await receiver.close();
  await database.close();
});
beforeEach(async () => {
  await database.db.execute(sql`delete from notices`);
  receiver.received.length = 0;
  receiver.answer(200);
});

const waiting = async () =>
  rowsOf<{ n: number }>(
    await database.db.execute(sql`select count(*)::int as n from notices where sent_at is null`),
  )[0]?.n;

describe('stored notices (Cloudflare Workers)', () => {
  it('two invocations’ notices about one flood go out as one line with a count', async () => {
    const store = createNoticeStore(database.db);
    const first = createStoredNotifier(store, logger);
    const second = createStoredNotifier(store, logger);
    first.notify(flood('c1'));
    first.notify(flood('c2'));
    second.notify(flood('c3'));
    second.notify({ kind: 'reauth_needed', accountId: 'acct-2', reason: 'token expired' });
    // Nothing is stored before the invocation ends.
    expect(await waiting()).toBe(0);
    await first.flush();
    await second.flush();
    expect(await waiting()).toBe(4);

    const send = createStoredNoticeSender({ store, url: receiver.url, logger, minIntervalMs: 60_000 });
    await send();
    expect(receiver.received).toHaveLength(1);
    const { text, notices } = receiver.received[0]?.body ?? { text: '', notices: [] };
    expect(text).toContain('rule same-text-flood hid 3 comments on media media-9 (account acct-1)');
    expect(text).toContain('(latest: c3)');
    expect(text).toContain('Account acct-2 needs re-authorisation (token expired)');
    expect(notices.map((n) => [n.kind, n.times])).toEqual([
      ['flood', 3],
      ['reauth_needed', 1],
    ]);
    expect(await waiting()).toBe(0);
  });

  it('sends at most one message per interval, whichever invocation sends', async () => {
    const store = createNoticeStore(database.db);
    const notifier = createStoredNotifier(store, logger);
    const send = createStoredNoticeSender({ store, url: receiver.url, logger, minIntervalMs: 3600_000 });
    notifier.notify(flood('c1'));
    await notifier.flush();
    await send();
    notifier.notify(flood('c2'));
    await notifier.flush();
    await send();
    expect(receiver.received).toHaveLength(1);
    expect(await waiting()).toBe(1);
    // With the interval passed (0 here), the waiting one goes out.
    await createStoredNoticeSender({ store, url: receiver.url, logger, minIntervalMs: 0 })();
    expect(receiver.received).toHaveLength(2);
    expect(receiver.received[1]?.body.text).toContain('(latest: c2)');
  });

  it('a failed send keeps its notices for the next minute', async () => {
    const store = createNoticeStore(database.db);
    const notifier = createStoredNotifier(store, logger);
    const send = createStoredNoticeSender({ store, url: receiver.url, logger, minIntervalMs: 0 });
    notifier.notify({ kind: 'dead_letters', count: 4 });
    await notifier.flush();
    receiver.answer(500);
    await send();
    expect(receiver.received).toHaveLength(0);
    expect(await waiting()).toBe(1);
    receiver.answer(200);
    await send();
    expect(receiver.received).toHaveLength(1);
    expect(receiver.received[0]?.body.text).toContain('4 event(s) failed every attempt');
    expect(await waiting()).toBe(0);
  });

  it('the attention check, run afresh each time, remembers what it told through the stored notices', async () => {
    const store = createNoticeStore(database.db);
    let dead = 2;
    // Each run builds everything anew, as each Workers cron invocation does.
    const runCheck = async () => {
      const notifier = createStoredNotifier(store, logger);
      await watchAttention({
        counts: async () => ({ deadLetters: dead, heldForReview: 0 }),
        notifier,
        reviewQueueOver: 50,
        memory: storedAttentionMemory(store),
      })();
      await notifier.flush();
    };
    const told = async () =>
      rowsOf<{ n: number }>(
        await database.db.execute(sql`select count(*)::int as n from notices where key = 'dead_letters'`),
      )[0]?.n;
    await runCheck();
    expect(await told()).toBe(1);
    await runCheck(); // same count within the hour: a reminder is not due yet
    expect(await told()).toBe(1);
    dead = 5; // it grew: told again
    await runCheck();
    expect(await told()).toBe(2);
  });
});
