/**
 * Poison deliveries: correctly signed bodies Postgres cannot store as parsed (NUL, lone
 * surrogates, kilobyte ids), mixed into a burst of good ones. Every delivery is answered 200 and
 * stored byte for byte; every good comment is decided exactly once; a refused event says why.
 * Runs on PGlite, and on Postgres with DATABASE_URL.
 */
import { eq, inArray } from 'drizzle-orm';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decisions } from '../../src/db/schema/decisions.js';
import { deliveries } from '../../src/db/schema/deliveries.js';
import { createLogger } from '../../src/log.js';
import { loadRuleSet, type RuleSet } from '../../src/moderation/index.js';
import { commentWebhook, startTestRuntime } from '../support/runtime.js';

function ruleSetOf(yaml: string): RuleSet {
  const loaded = loadRuleSet([{ path: 'rules/test.yaml', content: yaml }]);
  if (!loaded.ok) throw new Error(loaded.errors.map((e) => e.format()).join('\n'));
  return loaded.ruleSet;
}
const rules = ruleSetOf(`
- id: dm-pitch
  reason: Asks people to DM
  when:
    text contains any: ["dm me"]
  action: hide
`);

const account = '17841400000000001';
const comment = (id: string, extra: Record<string, unknown> = {}) =>
  commentWebhook(account, {
    id,
    text: 'great post',
    from: { id: '6000000000000003', username: 'some_user' },
    media: { id: '18000000000000004', media_product_type: 'FEED' },
    ...extra,
  });

/** Bodies written by hand: JSON.stringify would not keep `\u0000` and `\ud800` as escapes as sent. */
const poison = {
  nul: comment('poison-nul').replace('great post', 'dm\\u0000 me now'),
  loneSurrogate: comment('poison-surrogate').replace('great post', 'broken \\ud800 text'),
  loneLowSurrogate: comment('poison-low').replace('"some_user"', '"user\\udfff"'),
  longCommentId: comment(`9${'1'.repeat(5000)}`),
  longAccountId: commentWebhook('7'.repeat(4000), { id: 'poison-account', text: 'hi' }),
  hugeTime: commentWebhook(account, { id: 'poison-time', text: 'hi' }, 1e300),
  timeAsText: comment('poison-time-text').replace('1767225600', '"99999999999999999999"'),
  nulField: JSON.stringify({
    object: 'instagram',
    entry: [{ id: account, time: 1767225600, changes: [{ field: 'comm\u0000ents', value: { id: 'x' } }] }],
  }),
};

const lines: string[] = [];
let rt: Awaited<ReturnType<typeof startTestRuntime>>;
beforeAll(async () => {
  rt = await startTestRuntime({
    rules: () => rules,
    env: { INBOX_WORKERS: '2', INBOX_POLL_MS: '20' },
    logger: createLogger({ level: 'warn', write: (line) => lines.push(line) }),
  });
});
afterAll(() => rt.close());

describe('poison deliveries in a burst of good ones', () => {
  it('answers every delivery 200, keeps the raw bodies, decides each good comment once', async () => {
    const good = Array.from({ length: 120 }, (_, i) => `good-${i}`);
    const bodies = [
      ...good.map((id) => comment(id)),
      // Each poison body three times, as Meta's retries would send it.
      ...Object.values(poison).flatMap((b) => [b, b, b]),
    ];
    // Shuffled so the poison shares group commits with good deliveries.
    bodies.sort(() => Math.random() - 0.5);
    const answers = await Promise.all(bodies.map(async (body) => ({ body, res: await rt.post(body) })));
    const statuses = answers.map((a) => a.res.status);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);

    // Raw bodies stored byte for byte, escapes and all.
    const ids = await Promise.all(
      answers.map(async (a) => ((await a.res.json()) as { deliveryId: string }).deliveryId),
    );
    const stored = await rt.database.db.select().from(deliveries).where(inArray(deliveries.id, ids));
    const byId = new Map(stored.map((d) => [d.id, d]));
    for (const [i, a] of answers.entries()) expect(byId.get(ids[i] as string)?.body).toBe(a.body);

    // Each good comment (and each storable poison comment) decided exactly once.
    await rt.pool.idle();
    const decided = await rt.database.db
      .select({
        commentId: decisions.commentId,
        text: decisions.text,
        action: decisions.action,
        username: decisions.authorUsername,
      })
      .from(decisions);
    const times = new Map<string, number>();
    for (const d of decided) times.set(d.commentId ?? '', (times.get(d.commentId ?? '') ?? 0) + 1);
    for (const id of [...good, 'poison-nul', 'poison-surrogate', 'poison-low'])
      expect(times.get(id), id).toBe(1);

    // The parsed copies were made storable: NUL removed (so the rule still sees "dm me"), lone
    // surrogates replaced by U+FFFD.
    const one = (id: string) => decided.find((d) => d.commentId === id);
    expect(one('poison-nul')).toMatchObject({ text: 'dm me now', action: 'hide' });
    expect(one('poison-surrogate')?.text).toBe('broken \ufffd text');
    expect(one('poison-low')?.username).toBe('user\ufffd');
  });

  it('refuses an event with an overlong id alone, with the reason recorded on its delivery', async () => {
    const res = await rt.post(poison.longCommentId);
    const {
      deliveryId,
      new: created,
      unhandled,
    } = (await res.json()) as {
      deliveryId: string;
      new: number;
      unhandled: number;
    };
    expect([res.status, created, unhandled]).toEqual([200, 0, 1]);
    const [row] = await rt.database.db.select().from(deliveries).where(eq(deliveries.id, deliveryId));
    expect(row?.unhandled).toEqual([
      { field: 'comments', reason: 'comment id is 5001 characters long (at most 256)' },
    ]);
    const [accountRow] = await rt.database.db
      .select()
      .from(deliveries)
      .where(
        eq(
          deliveries.id,
          ((await (await rt.post(poison.longAccountId)).json()) as { deliveryId: string }).deliveryId,
        ),
      );
    expect(accountRow?.unhandled).toEqual([
      { field: null, reason: 'entry id is 4000 characters long (at most 256)' },
    ]);
  });

  it('logged no failure to store (nothing was refused by the database)', () => {
    expect(lines.filter((l) => l.includes('could not be stored'))).toEqual([]);
  });
});

describe('the log of a failed store', () => {
  it('says the database error and its code, not the parameters of the failed query', () => {
    const out: string[] = [];
    const log = createLogger({ write: (l) => out.push(l) });
    const pgError = Object.assign(new Error('unsupported Unicode escape sequence'), { code: '22P05' });
    const texts = 'comment text of someone '.repeat(2000);
    const error = new Error(`Failed query: with stored_deliveries as (...)\nparams: ${texts}`, {
      cause: pgError,
    });
    log.error('webhook delivery could not be stored', { error });
    expect(out[0]?.length).toBeLessThan(1000);
    expect(JSON.parse(out[0] as string).error.cause).toEqual({
      name: 'Error',
      message: 'unsupported Unicode escape sequence',
      code: '22P05',
    });
  });
});

describe.skipIf(!process.env.DATABASE_URL)('intake while a lock is held (Postgres)', () => {
  it('answers 503 within INTAKE_TIMEOUT_MS instead of hanging, and 200 once the lock is gone', async () => {
    const held = await startTestRuntime({ env: { INTAKE_TIMEOUT_MS: '300' } });
    const locker = postgres(held.database.testUrl as string, { max: 1, onnotice: () => {} });
    let release: () => void = () => {};
    const released = new Promise<void>((r) => {
      release = r;
    });
    let locked: () => void = () => {};
    const isLocked = new Promise<void>((r) => {
      locked = r;
    });
    const holding = locker.begin(async (tx) => {
      await tx`lock table deliveries in access exclusive mode`;
      locked();
      await released;
    });
    try {
      await isLocked;
      // Several at once share a group commit: the timeout fails them together, not one by one.
      const answers = await Promise.all(
        ['lock-1', 'lock-2', 'lock-3'].map((id) => held.post(comment(id)).then((r) => r.status)),
      );
      expect(answers).toEqual([503, 503, 503]);
    } finally {
      release();
      await holding;
      await locker.end();
    }
    expect((await held.post(comment('lock-1'))).status).toBe(200);
    await held.close();
  }, 60_000);
});
