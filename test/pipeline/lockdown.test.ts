/**
 * A flood on one media against the fake Graph API over real HTTP: the lockdown rule turns
 * comments off once however many comments fire it, and turns them back on when the time is up,
 * also after a restart (the reopening is a durable outbox row).
 */
import { Command } from 'commander';
import { and, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerAudit } from '../../src/cli/audit.js';
import { registerMedia } from '../../src/cli/media.js';
import { actions } from '../../src/db/schema/actions.js';
import { decisions } from '../../src/db/schema/decisions.js';
import { silentLogger } from '../../src/log.js';
import { loadRuleSet, type RuleSet } from '../../src/moderation/index.js';
import { auditConnection } from '../../src/runtime/commands.js';
import { type NodeRuntime, startNodeRuntime } from '../../src/runtime/node-runtime.js';
import { type FakeGraph, startFakeGraph } from '../fakes/graph.js';
import { captureCli } from '../support/cli.js';
import { startNotifyReceiver } from '../support/notify-receiver.js';
import { startTestRuntime } from '../support/runtime.js';

const rulesYaml = `
- id: wave-lockdown
  reason: A bot wave on one post
  priority: 10
  when:
    repeated across account: {times: 3, within: 10m}
  action: [hide, lock_comments]
  for: 2h
`;

function ruleSet(): RuleSet {
  const loaded = loadRuleSet([{ path: 'rules/test.yaml', content: rulesYaml }]);
  if (!loaded.ok) throw new Error(loaded.errors.map((e) => e.format()).join('\n'));
  return loaded.ruleSet;
}

const ACCOUNT = '17841400000000001';
const TOKEN = 'IGQVJ-test-token-0123456789';
const ADMIN = 'admin-token-0123456789abcdef';
let fake: FakeGraph;
let rt: Awaited<ReturnType<typeof startTestRuntime>>;
let mediaId: string;
let receiver: Awaited<ReturnType<typeof startNotifyReceiver>>;
const rules = ruleSet();

const rtEnv = () => ({
  DRY_RUN: 'false',
  IG_ACCOUNT_ID: ACCOUNT,
  IG_ACCESS_TOKEN: TOKEN,
  IG_USERNAME: 'brand',
  GRAPH_API_BASE_URL: fake.baseUrl,
  INBOX_WORKERS: '4',
  INBOX_BATCH_SIZE: '4',
  ACTION_WORKERS: '2',
  INBOX_POLL_MS: '50',
  GRAPH_WRITES_PER_MINUTE: '6000',
  MODBOT_ENCRYPTION_KEY: 'ab'.repeat(32),
});

beforeAll(async () => {
  receiver = await startNotifyReceiver();
  fake = await startFakeGraph({ autoCreate: true });
  fake.state.addAccount({ id: ACCOUNT, username: 'brand', token: TOKEN, loginType: 'instagram' });
  mediaId = fake.state.addMedia(ACCOUNT).id;
  rt = await startTestRuntime({
    rules: () => rules,
    env: {
      DRY_RUN: 'false',
      IG_ACCOUNT_ID: ACCOUNT,
      IG_ACCESS_TOKEN: TOKEN,
      IG_USERNAME: 'brand',
      GRAPH_API_BASE_URL: fake.baseUrl,
      INBOX_WORKERS: '4',
      INBOX_BATCH_SIZE: '4',
      ACTION_WORKERS: '2',
      INBOX_POLL_MS: '50',
      GRAPH_WRITES_PER_MINUTE: '6000',
      MODBOT_ENCRYPTION_KEY: 'ab'.repeat(32),
      ADMIN_TOKEN: ADMIN,
      NOTIFY_WEBHOOK_URL: receiver.url,
      NOTIFY_INTERVAL_SECONDS: '1',
    },
  });
});
afterAll(async () => {
  await rt.close();
  await fake.close();
  await receiver.close();
});

/** One delivery per comment, all at once: a bot wave. */
async function wave(n: number, text: string) {
  await Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const c = fake.state.addComment(mediaId, { text, fromId: `60000000000001${i}`, username: `bot_${i}` });
      const body = JSON.stringify({
        object: 'instagram',
        entry: [
          {
            id: ACCOUNT,
            time: Math.floor(Date.now() / 1000),
            changes: [
              {
                field: 'comments',
                value: {
                  id: c.id,
                  text,
                  from: { id: c.fromId, username: c.username },
                  media: { id: mediaId, media_product_type: 'FEED' },
                },
              },
            ],
          },
        ],
      });
      expect((await rt.post(body)).status).toBe(200);
    }),
  );
}

const lockCalls = (enabled: 'true' | 'false') =>
  fake.calls.filter(
    (c) => c.method === 'POST' && c.path === `/${mediaId}` && c.query.comment_enabled === enabled,
  );

const lockRows = () =>
  rt.database.db
    .select()
    .from(actions)
    .where(and(eq(actions.mediaId, mediaId), sql`${actions.type} in ('comments_off', 'comments_on')`));

/** Polls until `ok` holds; only the test's timeout bounds it (no speed-dependent deadline). */
async function until<T>(what: () => Promise<T>, ok: (v: T) => boolean): Promise<T> {
  for (;;) {
    const v = await what();
    if (ok(v)) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('lockdown', () => {
  it('a wave of 20 comments turns comments off once and plans one reopening two hours on', async () => {
    await wave(20, 'claim your free crypto at my bio');
    await rt.idle();
    expect(fake.state.media.get(mediaId)?.commentsEnabled).toBe(false);
    expect(lockCalls('false')).toHaveLength(1);
    const rows = await lockRows();
    const off = rows.filter((r) => r.type === 'comments_off');
    const on = rows.filter((r) => r.type === 'comments_on');
    expect(off.map((r) => r.status)).toEqual(['done']);
    expect(on.map((r) => r.status)).toEqual(['planned']);
    expect(off[0]?.reason).toBe('lockdown by rule wave-lockdown for 2h');
    const inMs = (on[0]?.nextAttemptAt.getTime() ?? 0) - Date.now();
    expect(inMs).toBeGreaterThan(115 * 60_000);
    expect(inMs).toBeLessThanOrEqual(120 * 60_000);
    // Every comment past the threshold was hidden, and the decisions say why.
    const decided = await rt.database.db
      .select({ action: decisions.action })
      .from(decisions)
      .where(eq(decisions.mediaId, mediaId));
    expect(decided).toHaveLength(20);
    expect(decided.filter((d) => d.action === 'hide').length).toBeGreaterThanOrEqual(18);

    // People hear about it: which account and media, what was done, how to undo it; the other
    // hides of the wave are one line with a count, never a message per comment.
    const lockdown = await receiver.waitFor((t) => t.includes('Lockdown'));
    expect(lockdown?.body.text).toContain(
      `Lockdown: comments turned off for 2h on media ${mediaId} (account ${ACCOUNT}) by rule wave-lockdown (A bot wave on one post)`,
    );
    expect(lockdown?.body.text).toContain(`Undo now: modbot media unlock ${mediaId} --account ${ACCOUNT}`);
    const flood = await receiver.waitFor((t) => /rule wave-lockdown hid \d+ comments/.test(t));
    expect(flood).toBeDefined();
    expect(receiver.received.length).toBeLessThanOrEqual(3);
  });

  it('turns comments back on when the time is up, in a process started after the lock', async () => {
    await rt.stop();
    // Two hours pass while modbot is down.
    await rt.database.db
      .update(actions)
      .set({ nextAttemptAt: new Date(Date.now() - 1000) })
      .where(and(eq(actions.mediaId, mediaId), eq(actions.type, 'comments_on')));
    const again: NodeRuntime = startNodeRuntime({
      env: rt.env,
      database: rt.database,
      logger: silentLogger,
      rules: () => rules,
    });
    try {
      const rows = await until(lockRows, (r) =>
        r.some((a) => a.type === 'comments_on' && a.status === 'done'),
      );
      expect(rows.filter((r) => r.type === 'comments_on').map((r) => r.status)).toEqual(['done']);
      expect(fake.state.media.get(mediaId)?.commentsEnabled).toBe(true);
      expect(lockCalls('true')).toHaveLength(1);
      expect(lockCalls('false')).toHaveLength(1);
    } finally {
      await again.stop();
    }
  });
});

describe('lock and unlock by hand', () => {
  let other: string;
  let live: Awaited<ReturnType<typeof startTestRuntime>>;
  beforeAll(async () => {
    other = fake.state.addMedia(ACCOUNT).id;
    const rules = ruleSet();
    live = await startTestRuntime({ rules: () => rules, env: { ...rtEnv(), ADMIN_TOKEN: ADMIN } });
  });
  afterAll(() => live.close());

  const api = (path: string, body?: unknown) =>
    live.app.request(`/api${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  const rowsOn = (media: string) =>
    live.database.db.select().from(actions).where(eq(actions.mediaId, media)).orderBy(actions.createdAt);
  const calls = (media: string, enabled: 'true' | 'false') =>
    fake.calls.filter(
      (c) => c.method === 'POST' && c.path === `/${media}` && c.query.comment_enabled === enabled,
    );

  it('API: lock for 30m turns comments off now and plans the reopening; unlock turns them on now', async () => {
    const res = await api(`/media/${other}/lock`, {
      moderator: 'alice',
      account: ACCOUNT,
      for: '30m',
      note: 'pile-on',
    });
    expect(res.status).toBe(202);
    const locked = (await res.json()) as { planned: { type: string; dueAt: string }[]; message: string };
    expect(locked.planned.map((p) => p.type)).toEqual(['comments_off', 'comments_on']);
    expect(locked.message).toContain(`undo: modbot media unlock ${other} --account ${ACCOUNT}`);
    await live.idle();
    expect(fake.state.media.get(other)?.commentsEnabled).toBe(false);
    expect(calls(other, 'false')).toHaveLength(1);
    const off = (await rowsOn(other)).find((r) => r.type === 'comments_off');
    expect(off).toMatchObject({
      actor: 'moderator:alice',
      status: 'done',
      reason: 'locked by moderator:alice for 30m: pile-on',
    });

    const unlocked = await api(`/media/${other}/unlock`, {
      moderator: 'bob',
      account: ACCOUNT,
      note: 'calm again',
    });
    expect(unlocked.status).toBe(202);
    await live.idle();
    expect(fake.state.media.get(other)?.commentsEnabled).toBe(true);
    const rows = await rowsOn(other);
    // The 30-minute reopening was cancelled; bob's reopening ran now, once.
    expect(rows.map((r) => [r.type, r.status, r.actor])).toEqual([
      ['comments_off', 'done', 'moderator:alice'],
      ['comments_on', 'dismissed', 'moderator:alice'],
      ['comments_on', 'done', 'moderator:bob'],
    ]);
    expect(calls(other, 'true')).toHaveLength(1);
    const history = (await (await api(`/media/${other}/locks?account=${ACCOUNT}`)).json()) as {
      rows: unknown[];
    };
    expect(history.rows).toHaveLength(3);
  });

  it('API: bad input is a 400 with what to fix; an unknown media without account is a 404', async () => {
    const bad = await api(`/media/${other}/lock`, { moderator: 'alice', account: ACCOUNT, for: '2 weeks' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { message: string }).message).toContain(
      'for: expected a duration from 1m to 7d',
    );
    const unknown = await api('/media/17999999999999999/lock', { moderator: 'alice' });
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { message: string }).message).toContain('--account <id>');
  });

  it('CLI: modbot media lock asks for the account when modbot has decided nothing on the media; unlock undoes it', async () => {
    const connection = auditConnection({ ...live.database, close: async () => {} }, { RETENTION_DAYS: 90 });
    const run = (...args: string[]) =>
      captureCli(async () => {
        const program = new Command().exitOverride();
        registerAudit(program, { open: async () => connection });
        registerMedia(program);
        await program.parseAsync(['node', 'modbot', ...args]);
      });
    // The wave above was decided on mediaId by the first runtime: the same database holds no
    // decision for it here, so the account must be given; after one decision it is found.
    const missing = await run('media', 'lock', mediaId, '--as', 'carol');
    expect(missing.exitCode).toBe(1);
    expect(missing.err).toContain('give the account id (--account <id>)');
    const locked = await run(
      'media',
      'lock',
      mediaId,
      '--account',
      ACCOUNT,
      '--as',
      'carol',
      '--note',
      'raid',
    );
    expect(locked.exitCode).toBe(0);
    expect(locked.out).toContain('comments off planned until unlocked');
    await live.idle();
    expect(fake.state.media.get(mediaId)?.commentsEnabled).toBe(false);
    const unlocked = await run('media', 'unlock', mediaId, '--account', ACCOUNT, '--as', 'carol');
    expect(unlocked.out).toContain('comments on planned now');
    await live.idle();
    expect(fake.state.media.get(mediaId)?.commentsEnabled).toBe(true);
    const shown = await run('media', 'show', mediaId, '--account', ACCOUNT);
    expect(shown.out).toContain('locked by moderator:carol until unlocked: raid');
  });
});
