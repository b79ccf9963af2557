/**
 * The admin API as a moderator uses it: after signed webhooks are moderated and acted on (fake
 * Graph API over HTTP), answer "why was this hidden", "what did rule X do", undo a hide, work the
 * review queue. Plus: every route needs the token, bad input is a 400 (never a 500), and no
 * token appears in any answer or log line.
 */

import { Command } from 'commander';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerAudit } from '../../src/cli/audit.js';
import { rowsOf } from '../../src/db/client.js';
import { decisions } from '../../src/db/schema/decisions.js';
import { secretsOf } from '../../src/env.js';
import { createLogger } from '../../src/log.js';
import { loadRuleSet, type RuleSet } from '../../src/moderation/index.js';
import { type FakeGraph, startFakeGraph } from '../fakes/graph.js';
import { type CliOutput, captureCli } from '../support/cli.js';
import { until } from '../support/modbot-process.js';
import { liveEnvAgainst, startTestRuntime } from '../support/runtime.js';

const rulesYaml = `# audit api test rules
- id: scam-hide
  reason: Investment scam
  when:
    text contains any: [invested, "passive income"]
  action: hide

- id: dm-review
  reason: A bare DM me; a person should look
  when:
    text contains any: ["dm me"]
  action: review

- id: spam-delete
  reason: Obvious spam
  when:
    text contains any: ["free followers"]
  action: delete
`;

const ACCOUNT = '17841400000000001';
const TOKEN = 'IGQVJ-test-token-0123456789';
const ADMIN = 'admin-token-0123456789abcdef';
const logs: string[] = [];
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
  const env = liveEnvAgainst(
    fake.baseUrl,
    { id: ACCOUNT, token: TOKEN },
    {
      ADMIN_TOKEN: ADMIN,
    },
  );
  const { parseEnv } = await import('../../src/env.js');
  const secrets = secretsOf(
    parseEnv({
      META_APP_SECRET: 'test_app_secret',
      INSTAGRAM_APP_SECRET: 'ig_secret',
      META_VERIFY_TOKEN: 'verify-me-please',
      ...env,
    }),
  );
  rt = await startTestRuntime({
    rules: () => rules,
    env,
    logger: createLogger({ level: 'debug', secrets, write: (line) => logs.push(line) }),
    backoff: () => 50,
  });
});
afterAll(async () => {
  await rt.close();
  await fake.close();
});

async function comment(text: string, username = 'some_user', from = '6000000000000003') {
  const c = fake.state.addComment(mediaId, { text, fromId: from, username });
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
              from: { id: from, username },
              media: { id: mediaId, media_product_type: 'FEED' },
            },
          },
        ],
      },
    ],
  });
  expect((await rt.post(body)).status).toBe(200);
  await settle();
  return c.id;
}

/**
 * Waits for the state, not for time: until no event or action that is due waits or runs (the
 * database says so), then until the loops are idle. Actions planned through the API reach the
 * actuator at its next look, so `idle()` alone could come too early.
 */
async function settle() {
  const dueWork = async () => {
    const [row] = rowsOf<{ n: number }>(
      await rt.database.db.execute(sql`
        select (select count(*) from inbox where status = 'processing'
                  or (status = 'pending' and next_attempt_at <= now()))
             + (select count(*) from actions where status = 'in_progress'
                  or (status = 'planned' and next_attempt_at <= now()))::int as n`),
    );
    return Number(row?.n ?? 0);
  };
  await until(async () => {
    await rt.idle();
    return (await dueWork()) === 0;
  }, 20);
  await rt.idle();
}

const auth = { authorization: `Bearer ${ADMIN}` };
const get = (path: string, headers: Record<string, string> = auth) =>
  rt.app.request(`/api${path}`, { headers });
const post = (path: string, body: unknown, headers: Record<string, string> = auth) =>
  rt.app.request(`/api${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

describe('answers a moderator needs', () => {
  let hidden: string;
  it('"why was this hidden?": the decision, the rule text then, and the API outcome', async () => {
    hidden = await comment('I invested $3,000 and got $32,200 thanks to @finance.with.ava_', 'scam.victim');
    expect(fake.state.comments.get(hidden)?.hidden).toBe(true);
    const res = await get(`/decisions/${hidden}`);
    expect(res.status).toBe(200);
    const x = (await res.json()) as Record<string, unknown> & {
      rules: { text: string }[];
      actions: { type: string; status: string; attempts: { httpStatus: number }[] }[];
    };
    expect(x).toMatchObject({
      action: 'hide',
      decidingRule: 'scam-hide',
      commentId: hidden,
      authorUsername: 'scam.victim',
    });
    expect(x.rules[0]?.text).toContain('- id: scam-hide');
    expect(x.actions[0]).toMatchObject({ type: 'hide', status: 'done' });
    expect(x.actions[0]?.attempts[0]?.httpStatus).toBe(200);
  });

  it('"what did rule X do today?" and stats', async () => {
    const res = await get('/decisions?rule=scam-hide&since=24h');
    const page = (await res.json()) as {
      items: { commentId: string; actions: { type: string; status: string }[] }[];
      nextCursor: string | null;
    };
    expect(page.items.map((i) => i.commentId)).toEqual([hidden]);
    expect(page.items[0]?.actions).toEqual([expect.objectContaining({ type: 'hide', status: 'done' })]);
    const stats = (await (await get('/stats?by=rule&since=24h')).json()) as {
      rows: { key: string; hide: number }[];
    };
    expect(stats.rows).toEqual([expect.objectContaining({ key: 'scam-hide', hide: 1 })]);
  });

  it('undo: unhide through the API, recorded with the moderator as actor; the decision is unchanged', async () => {
    const [before] = await rt.database.db.select().from(decisions).where(eq(decisions.commentId, hidden));
    const res = await post('/actions', {
      action: 'unhide',
      target: hidden,
      moderator: 'alice',
      note: 'false positive',
    });
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({
      kind: 'unhide',
      commentId: hidden,
      planned: [{ type: 'unhide', status: 'planned' }],
    });
    await settle();
    expect(fake.state.comments.get(hidden)?.hidden).toBe(false);
    const x = (await (await get(`/decisions/${hidden}`)).json()) as {
      actions: { type: string; status: string; actor: string; reason: string }[];
    };
    expect(x.actions.map((a) => [a.type, a.status, a.actor])).toEqual([
      ['hide', 'done', 'modbot'],
      ['unhide', 'done', 'moderator:alice'],
    ]);
    const [after] = await rt.database.db.select().from(decisions).where(eq(decisions.commentId, hidden));
    expect(after).toEqual(before);
  });

  it('a deleted comment cannot be restored, and the answer says so', async () => {
    const id = await comment('get free followers now');
    expect(fake.state.comments.get(id)?.deleted).toBe(true);
    const res = await post('/actions', { action: 'unhide', target: id, moderator: 'alice' });
    expect(res.status).toBe(409);
    expect(((await res.json()) as { message: string }).message).toMatch(/deleted comment cannot be restored/);
  });

  it('review queue: held comments, approved by a moderator', async () => {
    const id = await comment('dm me', 'curious');
    const queue = (await (await get('/review-queue')).json()) as {
      items: { commentId: string; text: string }[];
    };
    expect(queue.items.map((i) => [i.commentId, i.text])).toEqual([[id, 'dm me']]);
    const res = await post('/actions', { action: 'approve', target: id, moderator: 'bob' });
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({
      dismissed: [{ type: 'review', previousStatus: 'held' }],
      planned: [{ type: 'review', status: 'dismissed' }],
    });
    expect(((await (await get('/review-queue')).json()) as { items: unknown[] }).items).toEqual([]);
    const held = (await (await get(`/decisions?outcome=held`)).json()) as { items: unknown[] };
    expect(held.items).toEqual([]);
  });

  it('hide and reply as a moderator', async () => {
    const id = await comment('lovely photo', 'fan');
    expect(
      (await post('/actions', { action: 'reply', target: id, moderator: 'carol', message: 'thank you!' }))
        .status,
    ).toBe(202);
    expect((await post('/actions', { action: 'hide', target: id, moderator: 'carol' })).status).toBe(202);
    await settle();
    expect(fake.state.repliesBy(ACCOUNT, id).map((r) => r.text)).toEqual(['thank you!']);
    expect(fake.state.comments.get(id)?.hidden).toBe(true);
  });

  it('serves its OpenAPI description', async () => {
    const doc = (await (await get('/openapi.json')).json()) as {
      openapi: string;
      paths: Record<string, unknown>;
    };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths).sort()).toEqual([
      '/actions',
      '/decisions',
      '/decisions/{id}',
      '/erasures',
      '/inbox/dead',
      '/inbox/retry',
      '/media/{id}/lock',
      '/media/{id}/locks',
      '/media/{id}/unlock',
      '/retention/run',
      '/review-queue',
      '/rules',
      '/rules/backtest',
      '/rules/status',
      '/stats',
    ]);
  });
});

describe('security', () => {
  const routes: Array<[string, string, unknown?]> = [
    ['GET', '/decisions'],
    ['GET', '/decisions/123'],
    ['GET', '/stats'],
    ['GET', '/review-queue'],
    ['GET', '/openapi.json'],
    ['POST', '/actions', { action: 'hide', target: '1', moderator: 'x' }],
    ['POST', '/media/1/lock', { moderator: 'x', for: '2h' }],
    ['POST', '/media/1/unlock', { moderator: 'x' }],
    ['GET', '/media/1/locks'],
    ['POST', '/erasures', { author: '1', moderator: 'x' }],
    ['POST', '/retention/run', {}],
    ['POST', '/rules/backtest', { files: [] }],
    ['GET', '/rules/status'],
    ['GET', '/no-such-route'],
  ];
  const badHeaders: Record<string, string>[] = [
    {},
    { authorization: ADMIN },
    { authorization: `Bearer ${ADMIN}x` },
    { authorization: `Bearer ${ADMIN.slice(0, -1)}` },
    { authorization: 'Bearer ' },
    { authorization: `Basic ${btoa(`admin:${ADMIN}`)}` },
    { authorization: `Bearer ${ADMIN.toUpperCase()}` },
  ];
  it.each(routes)('%s %s needs the token', async (method, path, body) => {
    for (const headers of badHeaders) {
      const res = method === 'GET' ? await get(path, headers) : await post(path, body, headers);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toContain('Bearer');
    }
  });

  it('answers 503 "set ADMIN_TOKEN" when no token is configured', async () => {
    const other = await startTestRuntime();
    try {
      const res = await other.app.request('/api/decisions', {
        headers: { authorization: 'Bearer anything-at-all-123456' },
      });
      expect(res.status).toBe(503);
      expect(((await res.json()) as { message: string }).message).toMatch(/set ADMIN_TOKEN/);
    } finally {
      await other.close();
    }
  });

  it('injection attempts in every filter are 400s with a message, or plain data; never 500', async () => {
    const payloads = [
      "' OR 1=1 --",
      "1'; DROP TABLE decisions; --",
      "x') or ('1'='1",
      '1 UNION SELECT access_token_encrypted FROM accounts',
      '%00',
      '\u0000',
      '$' + '{7*7}',
    ];
    const keys = [
      'account',
      'media',
      'comment',
      'author',
      'rule',
      'action',
      'outcome',
      'classifier',
      'minScore',
      'since',
      'until',
      'q',
      'dryRun',
      'limit',
      'cursor',
    ];
    const before = (await rt.database.db.select().from(decisions)).length;
    for (const key of keys) {
      for (const p of payloads) {
        const qs = new URLSearchParams({
          [key]: p,
          ...(key === 'minScore' ? { classifier: 'builtin' } : {}),
        });
        const res = await get(`/decisions?${qs}`);
        expect([200, 400], `${key}=${p}`).toContain(res.status);
        const body = (await res.json()) as { items?: unknown[]; message?: string };
        if (res.status === 200) expect(body.items).toEqual([]);
        else expect(body.message).toBeTruthy();
        const stats = await get(`/stats?${qs}`);
        expect([200, 400], `stats ${key}=${p}`).toContain(stats.status);
      }
    }
    for (const p of payloads) {
      expect([400, 404]).toContain((await get(`/decisions/${encodeURIComponent(p)}`)).status);
      expect([400, 404]).toContain(
        (await post('/actions', { action: 'hide', target: p, moderator: 'x' })).status,
      );
      expect((await post('/actions', { action: 'hide', target: '1', moderator: p })).status).toBe(400);
      expect((await get(`/review-queue?${new URLSearchParams({ account: p })}`)).status).toBe(400);
    }
    expect((await get('/decisions?bogus=1')).status).toBe(400);
    expect((await get('/stats?by=everything')).status).toBe(400);
    expect((await post('/actions', '{not json')).status).toBe(400);
    expect((await post('/actions', { action: 'explode', target: '1', moderator: 'x' })).status).toBe(400);
    expect((await rt.database.db.select().from(decisions)).length).toBe(before);
  });

  it('never shows a token or secret in an answer or a log line', async () => {
    const answers: string[] = [];
    for (const path of ['/decisions', '/openapi.json', '/stats'])
      answers.push(await (await get(path)).text());
    answers.push(await (await get('/decisions', { authorization: `Bearer ${ADMIN}x` })).text());
    const all = [...answers, ...logs].join('\n');
    for (const secret of [ADMIN, TOKEN, 'test_app_secret', 'ig_secret']) expect(all).not.toContain(secret);
    expect(logs.length).toBeGreaterThan(0);
  });
});

describe('modbot audit through the running server (embedded database)', () => {
  function cli(token: string, ...args: string[]): Promise<CliOutput> {
    return captureCli(async () => {
      const program = new Command().exitOverride().enablePositionalOptions();
      const fetcher = ((url: string, init?: RequestInit) =>
        rt.app.request(url, init)) as unknown as typeof fetch;
      registerAudit(program, { api: { baseUrl: 'http://modbot.test', token, fetch: fetcher } });
      await program.parseAsync(['node', 'modbot', 'audit', ...args]);
    });
  }

  it('lists, explains, counts and acts with the same commands', async () => {
    const list = await cli(ADMIN, '--rule', 'scam-hide', '--format', 'json');
    const page = JSON.parse(list.out) as { items: { commentId: string }[] };
    expect(page.items).toHaveLength(1);
    const id = page.items[0]?.commentId ?? '';
    expect((await cli(ADMIN, 'show', id)).out).toContain('by rule scam-hide');
    expect((await cli(ADMIN, 'stats', '--by', 'action', '--format', 'csv')).out.split('\n')[0]).toMatch(
      /^key,decisions/,
    );
    const hide = await cli(ADMIN, 'hide', id, '--as', 'dana');
    expect(hide.out).toMatch(/hide planned/);
    expect((await cli(ADMIN, '--since', 'soon')).exitCode).toBe(2);
    const refused = await cli('not-the-admin-token-000', '--limit', '1');
    expect(refused.exitCode).toBe(2);
    expect(refused.err).toMatch(/refused ADMIN_TOKEN/);
    expect(refused.err).not.toContain('not-the-admin-token-000');
  });
});
