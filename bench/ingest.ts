/**
 * `npm run bench -- ingest [--duration 10] [--connections 50]`
 * Signed-webhook intake (verify + parse + durable group-committed insert) against a bare Hono
 * endpoint that only reads the body, same machine, same run. Prints one JSON object.
 * Uses DATABASE_URL (a fresh database on that server) when set, else in-memory PGlite.
 */
import { Hono } from 'hono';
import { buildNodeRuntime } from '../src/deps.js';
import { parseEnv } from '../src/env.js';
import { silentLogger } from '../src/log.js';
import { runLoad } from './load.js';
import { arg, benchDatabase, listen } from './support.js';

const secret = 'bench_app_secret';

export default async function ingest(args: readonly string[]): Promise<void> {
  const duration = arg(args, 'duration', 10);
  const connections = arg(args, 'connections', 50);

  const bare = new Hono();
  bare.post('/webhooks/instagram', async (c) => {
    await c.req.arrayBuffer();
    return c.json({ ok: true });
  });
  const bareServer = await listen(bare.fetch);
  await runLoad({ url: bareServer.url, connections, duration: 2, secret, prefix: 'warm-bare' });
  const bareResult = await runLoad({ url: bareServer.url, connections, duration, secret, prefix: 'bare' });
  bareServer.server.close();

  const database = await benchDatabase('modbot_bench_ingest');
  const env = parseEnv({
    META_APP_SECRET: secret,
    META_VERIFY_TOKEN: 'bench',
    INBOX_WORKERS: '0',
    LOG_LEVEL: 'silent',
  });
  const runtime = buildNodeRuntime({
    env,
    database,
    logger: silentLogger,
    handler: async () => ({ outcome: 'done' }),
  });
  const modbotServer = await listen(runtime.app.fetch);
  await runLoad({ url: modbotServer.url, connections, duration: 2, secret, prefix: 'warm-modbot' });
  const modbotResult = await runLoad({
    url: modbotServer.url,
    connections,
    duration,
    secret,
    prefix: 'modbot',
  });
  modbotServer.server.close();
  await runtime.stop();
  await database.close();

  const ratio = modbotResult.requestsPerSec / bareResult.requestsPerSec;
  console.log(
    JSON.stringify({
      bench: 'ingest',
      database: database.kind,
      connections,
      durationSeconds: duration,
      bareHono: bareResult,
      durableIntake: modbotResult,
      throughputRatio: Math.round(ratio * 1000) / 1000,
      target: { throughputRatio: 0.25, p99Ms: 25 },
      meetsTarget: ratio >= 0.25 && modbotResult.p99Ms <= 25 && modbotResult.non2xx === 0,
    }),
  );
}
