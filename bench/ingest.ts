/**
 * `npm run bench -- ingest [--duration 10] [--connections 50] [--rounds 2]`
 * Signed-webhook intake (verify + parse + durable group-committed insert) against a bare Hono
 * endpoint that only reads the body, same machine, same run. Prints one JSON object.
 * The two alternate in `rounds` rounds of duration/rounds seconds each (bare, durable, bare,
 * durable...), so a machine that speeds up or slows down during the run (a busy neighbour on a
 * shared VM) weighs on both sides alike. Totals are over all rounds; p50/p99 are the worst round's.
 * Uses DATABASE_URL (a fresh database on that server) when set, else in-memory PGlite.
 */
import { Hono } from 'hono';
import { parseEnv } from '../src/env.js';
import { silentLogger } from '../src/log.js';
import { startNodeRuntime } from '../src/runtime/node-runtime.js';
import { type LoadResult, runLoad } from './load.js';
import { arg, benchDatabase, listen } from './support.js';

const secret = 'bench_app_secret';

export default async function ingest(args: readonly string[]): Promise<void> {
  const duration = arg(args, 'duration', 10);
  const connections = arg(args, 'connections', 50);
  const rounds = Math.max(1, arg(args, 'rounds', 2));

  const bare = new Hono();
  bare.post('/webhooks/instagram', async (c) => {
    await c.req.arrayBuffer();
    return c.json({ ok: true });
  });
  const bareServer = await listen(bare.fetch);

  const database = await benchDatabase('modbot_bench_ingest');
  const env = parseEnv({
    META_APP_SECRET: secret,
    META_VERIFY_TOKEN: 'bench',
    INBOX_WORKERS: '0',
    LOG_LEVEL: 'silent',
  });
  const runtime = startNodeRuntime({
    env,
    database,
    logger: silentLogger,
    handler: async () => ({ outcome: 'done' }),
  });
  const modbotServer = await listen(runtime.app.fetch);

  const load = (url: string, prefix: string, seconds: number) =>
    runLoad({ url, connections, duration: seconds, secret, prefix });
  await load(bareServer.url, 'warm-bare', 2);
  await load(modbotServer.url, 'warm-modbot', 2);
  const bareRounds: LoadResult[] = [];
  const modbotRounds: LoadResult[] = [];
  for (let round = 0; round < rounds; round++) {
    bareRounds.push(await load(bareServer.url, `bare${round}-`, duration / rounds));
    modbotRounds.push(await load(modbotServer.url, `modbot${round}-`, duration / rounds));
  }
  bareServer.server.close();
  modbotServer.server.close();
  await runtime.stop();
  await database.close();

  const bareResult = combine(bareRounds, duration);
  const modbotResult = combine(modbotRounds, duration);
  const ratio = modbotResult.requestsPerSec / bareResult.requestsPerSec;
  console.log(
    JSON.stringify({
      bench: 'ingest',
      database: database.kind,
      connections,
      durationSeconds: duration,
      rounds,
      bareHono: bareResult,
      durableIntake: modbotResult,
      throughputRatio: Math.round(ratio * 1000) / 1000,
      roundRatios: modbotRounds.map(
        (m, i) =>
          Math.round((m.requestsPerSec / (bareRounds[i]?.requestsPerSec ?? Number.NaN)) * 1000) / 1000,
      ),
      target: { throughputRatio: 0.25, p99Ms: 25 },
      meetsTarget: ratio >= 0.25 && modbotResult.p99Ms <= 25 && modbotResult.non2xx === 0,
    }),
  );
}

/** One side's rounds together: requests over the whole time, and the worst round's percentiles. */
function combine(rounds: readonly LoadResult[], seconds: number): LoadResult {
  const sum = (f: (r: LoadResult) => number) => rounds.reduce((n, r) => n + f(r), 0);
  return {
    requestsPerSec: Math.round(sum((r) => r.requests) / seconds),
    p50Ms: Math.max(...rounds.map((r) => r.p50Ms)),
    p99Ms: Math.max(...rounds.map((r) => r.p99Ms)),
    requests: sum((r) => r.requests),
    non2xx: sum((r) => r.non2xx),
    errors: sum((r) => r.errors),
  };
}
