/**
 * A flood on one media against the fake Graph API over real HTTP: the lockdown rule turns
 * comments off once however many comments fire it, and turns them back on when the time is up,
 * also after a restart (the reopening is a durable outbox row).
 */
import { and, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actions } from '../../src/db/schema/actions.js';
import { decisions } from '../../src/db/schema/decisions.js';
import { silentLogger } from '../../src/log.js';
import { loadRuleSet, type RuleSet } from '../../src/moderation/index.js';
import { type NodeRuntime, startNodeRuntime } from '../../src/runtime/node-runtime.js';
import { type FakeGraph, startFakeGraph } from '../fakes/graph.js';
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
let fake: FakeGraph;
let rt: Awaited<ReturnType<typeof startTestRuntime>>;
let mediaId: string;
const rules = ruleSet();

beforeAll(async () => {
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
    },
  });
});
afterAll(async () => {
  await rt.close();
  await fake.close();
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

async function until<T>(what: () => Promise<T>, ok: (v: T) => boolean): Promise<T> {
  const end = Date.now() + 20_000;
  for (;;) {
    const v = await what();
    if (ok(v) || Date.now() > end) return v;
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
      const rows = await until(lockRows, (r) => r.some((a) => a.type === 'comments_on' && a.status === 'done'));
      expect(rows.filter((r) => r.type === 'comments_on').map((r) => r.status)).toEqual(['done']);
      expect(fake.state.media.get(mediaId)?.commentsEnabled).toBe(true);
      expect(lockCalls('true')).toHaveLength(1);
      expect(lockCalls('false')).toHaveLength(1);
    } finally {
      await again.stop();
    }
  });
});
