/**
 * `npm run bench -- flood [--comments 1000] [--scale 20] [--budget 600]`
 * A bot wave: 1,000 scam comments on one media, all arriving within a minute, against a fake
 * Graph API on loopback that enforces a business-use-case (BUC) budget and answers with Meta's
 * usage headers (X-Business-Use-Case-Usage; 80002 with estimated_time_to_regain_access past it).
 * Runs the same wave twice, each with a fresh database and a fresh fake: adaptive pacing (by the
 * usage headers) and today's fixed pacing (GRAPH_WRITES_PER_MINUTE=30). Prints one JSON object:
 * for each, the time from the first comment to the last one hidden, and the calls throttled.
 *
 * Time is shortened `--scale` times (default 20: a minute lasts 3 s) so the fixed-rate run ends
 * in minutes: the comments arrive within 60/scale s, the fake's budget is `--budget` calls in any
 * rolling 10 (shortened) minutes, its regain times are in shortened minutes, and both pacers run
 * on the shortened clock (their rates times scale, their pauses divided by it). Results are
 * reported in wall seconds and in "minutes" of the scenario. Default rules, builtin classifier.
 * Uses DATABASE_URL (a fresh database on that server) when set, else in-memory PGlite.
 */
import { sql } from 'drizzle-orm';
import { rowsOf } from '../src/db/client.js';
import { parseEnv } from '../src/env.js';
import { createAdaptivePacer } from '../src/graph/adaptive-pacing.js';
import { createGraphClient } from '../src/graph/client.js';
import { undiciFetch } from '../src/graph/node-http.js';
import { createPacer } from '../src/graph/pacing.js';
import { silentLogger } from '../src/log.js';
import { watchRules } from '../src/rules-source/watch.js';
import { startNodeRuntime } from '../src/runtime/node-runtime.js';
import { signBody } from '../src/webhook/verify.js';
import { startFakeGraph } from '../test/fakes/graph.js';
import { arg, benchDatabase } from './support.js';

const ACCOUNT = '17841400000000001';
const MEDIA = '18000000000000004';
const TOKEN = 'bench-token-0123456789';
const SECRET = 'bench_app_secret';
const SCAMS = [
  'DM me on @cash.flow_ava for the promo {n}',
  'I made $5000 this week trading with @forex_mike_fx, message him now {n}',
  'Investment opportunity!! earn daily profit, contact @crypto.queen.77 on WhatsApp {n}',
];

type Mode = 'adaptive' | 'fixed';

function delivery(id: string, n: number): string {
  return JSON.stringify({
    object: 'instagram',
    entry: [
      {
        id: ACCOUNT,
        time: Math.floor(Date.now() / 1000),
        changes: [
          {
            field: 'comments',
            value: {
              id,
              text: (SCAMS[n % SCAMS.length] ?? '').replace('{n}', String(n)),
              from: { id: `6${id}`, username: `bot_${n}` },
              media: { id: MEDIA, media_product_type: 'FEED' },
            },
          },
        ],
      },
    ],
  });
}

async function wave(mode: Mode, opts: { comments: number; scale: number; budget: number; timeoutS: number }) {
  const { scale } = opts;
  const minuteMs = 60_000 / scale;
  const fake = await startFakeGraph({
    autoCreate: true,
    buc: { calls: opts.budget, windowMs: 10 * minuteMs, minuteMs },
  });
  fake.state.addAccount({ id: ACCOUNT, username: 'brand', token: TOKEN });
  fake.state.addMedia(ACCOUNT, { id: MEDIA });
  const rules = await watchRules('rules', {}, { watch: false });
  const env = parseEnv({
    META_APP_SECRET: SECRET,
    META_VERIFY_TOKEN: 'bench',
    DRY_RUN: 'false',
    IG_ACCOUNT_ID: ACCOUNT,
    IG_ACCESS_TOKEN: TOKEN,
    GRAPH_API_BASE_URL: fake.baseUrl,
    GRAPH_PACING: mode,
    LOG_LEVEL: 'silent',
  });
  // Both pacers as modbot builds them from its defaults (src/runtime/create-runtime.ts), on the
  // shortened clock. The hourly budget is left out of the comparison (as if raised for the attack).
  const pacer =
    mode === 'adaptive'
      ? createAdaptivePacer({
          maxRatePerSecond: env.GRAPH_WRITES_PER_SECOND_MAX * scale,
          pauseWithoutRegainMs: 60_000 / scale,
          usageStaleMs: (10 * 60_000) / scale,
          minuteMs,
        })
      : createPacer({
          ratePerSecond: (env.GRAPH_WRITES_PER_MINUTE / 60) * scale,
          burst: Math.max(1, Math.ceil(env.GRAPH_WRITES_PER_MINUTE / 6)),
          highUsagePauseMs: 60_000 / scale,
          usageStaleMs: (10 * 60_000) / scale,
        });
  const budget = createPacer({ ratePerSecond: 1e9, burst: 1e9 });
  const database = await benchDatabase(`modbot_bench_flood_${mode}_${process.pid}`);
  const runtime = startNodeRuntime({
    env,
    database,
    logger: silentLogger,
    rules: () => rules.current(),
    graph: createGraphClient({ baseUrl: fake.baseUrl, fetch: undiciFetch }),
    pacers: { pacer, budget },
  });

  const ids = Array.from({ length: opts.comments }, (_, i) => `9${String(i).padStart(16, '0')}`);
  const start = performance.now();
  const startedAt = Date.now();
  // The wave: every comment within one (shortened) minute, evenly spread, a delivery each.
  const spreadMs = minuteMs * 0.9;
  let refused = 0;
  for (let i = 0; i < ids.length; i += 10) {
    const due = start + (spreadMs * i) / ids.length;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    await Promise.all(
      ids.slice(i, i + 10).map(async (id, j) => {
        const body = delivery(id, i + j);
        const res = await runtime.app.request('/webhooks/instagram', {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'x-hub-signature-256': await signBody(body, SECRET),
          },
          body,
        });
        if (res.status !== 200) refused++;
      }),
    );
  }
  const sentMs = performance.now() - start;
  const hidden = () => ids.filter((id) => fake.state.comments.get(id)?.hidden).length;
  const deadline = performance.now() + opts.timeoutS * 1000;
  // Until the fake has hidden them all, or modbot has nothing left to do (some not hidden).
  const unfinished = async () => {
    const [row] = rowsOf<{ n: number }>(
      await database.db.execute(sql`
        select (select count(*) from inbox where status in ('pending', 'processing'))
          + (select count(*) from actions where status in ('planned', 'in_progress')) as n`),
    );
    return Number(row?.n ?? 0);
  };
  while (hidden() < ids.length && performance.now() < deadline && (await unfinished()) > 0)
    await new Promise((r) => setTimeout(r, 100));
  const hides = fake.calls.filter((c) => c.method === 'POST' && c.query.hide === 'true' && c.status === 200);
  const lastHiddenMs = hides.length > 0 ? Math.max(...hides.map((c) => c.at)) - startedAt : null;
  const throttled = fake.calls.filter((c) => c.status === 400).length;
  const result = {
    pacing: mode,
    hidden: hidden(),
    notHidden: ids.length - hidden(),
    sentWithinSeconds: round(sentMs / 1000),
    refusedDeliveries: refused,
    timeToLastHiddenSeconds: lastHiddenMs === null ? null : round(lastHiddenMs / 1000),
    timeToLastHiddenScenarioMinutes: lastHiddenMs === null ? null : round((lastHiddenMs * scale) / 60_000),
    graphCalls: fake.calls.length,
    throttledCalls: throttled,
    repliesPosted: fake.calls.filter((c) => c.method === 'POST' && c.path.endsWith('/replies')).length,
    callsByStatus: countBy(
      fake.calls.map(
        (c) =>
          `${c.method} ${c.query.hide ? 'hide' : c.path.split('/').length > 2 ? 'edge' : 'object'} ${c.status}`,
      ),
    ),
    hidesRepeated: hides.length - new Set(hides.map((c) => c.path)).size,
  };
  await runtime.stop();
  await database.close();
  rules.close();
  await fake.close();
  return result;
}

const round = (n: number) => Math.round(n * 10) / 10;
const countBy = (keys: readonly string[]) => {
  const out: Record<string, number> = {};
  for (const k of keys) out[k] = (out[k] ?? 0) + 1;
  return out;
};

export default async function flood(args: readonly string[]): Promise<void> {
  const opts = {
    comments: arg(args, 'comments', 1000),
    scale: arg(args, 'scale', 20),
    budget: arg(args, 'budget', 600),
    timeoutS: arg(args, 'timeout', 600),
  };
  const adaptive = await wave('adaptive', opts);
  const fixed = await wave('fixed', opts);
  console.log(
    JSON.stringify({
      bench: 'flood',
      comments: opts.comments,
      timeScale: opts.scale,
      fakeBudget: `${opts.budget} calls per account in any rolling 10 scenario minutes (${(600 / opts.scale).toFixed(0)} s)`,
      adaptive,
      fixedBaseline: fixed,
      speedup:
        adaptive.timeToLastHiddenSeconds && fixed.timeToLastHiddenSeconds
          ? round(fixed.timeToLastHiddenSeconds / adaptive.timeToLastHiddenSeconds)
          : null,
    }),
  );
}
