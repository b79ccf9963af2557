/**
 * Node entry (`npm start`): parse configuration → open and migrate the database → serve the
 * webhook endpoint and run the inbox workers in this process.
 */
import { serve } from '@hono/node-server';
import { applyMigrations } from '../db/migrate.js';
import { openDatabase } from '../db/open.js';
import { PgClassifierCache } from '../db/repos/classifier-cache.js';
import { releaseLeasesOfStoppedProcess } from '../db/repos/leases.js';
import { buildNodeRuntime, graphClientFromEnv } from '../deps.js';
import { devSecretsPath, loadOrCreateDevSecrets } from '../dev-secrets.js';
import { ConfigError, missingForLive, parseEnv, secretsOf } from '../env.js';
import { undiciFetch } from '../graph/node-http.js';
import { createLogger } from '../log.js';
import { dailyMaintenance, every, type ScheduleDeps, sweepAllAccounts } from '../pipeline/schedule.js';
import { RuleLoadError, watchRules } from '../rules-source/watch.js';
import { signingSecrets } from '../webhook/verify.js';

async function main() {
  let env: ReturnType<typeof parseEnv>;
  try {
    env = parseEnv(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`modbot cannot start.\n${error.message}`);
      process.exit(1);
    }
    throw error;
  }

  // In dry run without a Meta app, sign with generated local secrets (never accept unsigned input).
  const useDevSecrets = env.DRY_RUN && !env.META_APP_SECRET && !env.INSTAGRAM_APP_SECRET;
  const dev = useDevSecrets ? loadOrCreateDevSecrets(env.MODBOT_DATA_DIR) : null;
  const logger = createLogger({
    level: env.LOG_LEVEL,
    secrets: [...secretsOf(env), ...(dev ? [dev.appSecret, dev.verifyToken] : [])],
  });

  // Rule files: a set with any error never takes effect. At start there is no last good set, so
  // modbot refuses to start; later, a bad edit is reported and the running set stays in force.
  let rules: Awaited<ReturnType<typeof watchRules>>;
  try {
    rules = await watchRules(env.RULES_DIR, {
      onLoaded: (set, previous) => {
        if (previous)
          logger.info('rules reloaded', {
            hash: set.hash,
            rules: set.rules.length,
            previousHash: previous.hash,
          });
      },
      onRejected: (errors, current) => {
        logger.error('rule change refused; the previous rules stay in force', {
          errors: errors.map((e) => e.format()),
          inForce: current?.hash ?? null,
        });
        for (const e of errors) console.error(e.format());
      },
    });
  } catch (error) {
    if (error instanceof RuleLoadError) {
      console.error(
        `modbot cannot start: ${error.message}\nFix the files above, then check them with: npm run modbot -- rules check`,
      );
      process.exit(1);
    }
    throw error;
  }

  const database = await openDatabase(env);
  await applyMigrations(database);
  const released = await releaseLeasesOfStoppedProcess(database);
  if (released && released.events + released.actions > 0)
    logger.info('released what a stopped modbot was holding; it is processed now', released);
  const graph = graphClientFromEnv(env, undiciFetch);
  const runtime = buildNodeRuntime({
    env,
    database,
    logger,
    graph,
    rules: () => rules.current(),
    ...(dev
      ? { secrets: signingSecrets(dev.appSecret), verifyToken: env.META_VERIFY_TOKEN ?? dev.verifyToken }
      : {}),
  });

  // Periodic jobs: catch-up sweep of every account, token refresh and cache purge.
  const jobs: ScheduleDeps = {
    accounts: runtime.accounts,
    graph,
    store: runtime.repo,
    cache: new PgClassifierCache(database.db),
    logger,
    onQueued: () => runtime.pool.wake(),
  };
  const stopJobs = [
    env.SWEEP_INTERVAL_MINUTES > 0
      ? every(
          'sweep',
          env.SWEEP_INTERVAL_MINUTES * 60_000,
          60_000,
          () => sweepAllAccounts(jobs, env.SWEEP_SINCE_HOURS),
          logger,
        )
      : () => {},
    every('daily maintenance', 24 * 3600_000, 5 * 60_000, () => dailyMaintenance(jobs), logger),
  ];

  const server = serve({ fetch: runtime.app.fetch, hostname: env.HOST, port: env.PORT }, (info) => {
    const url = `http://${env.HOST}:${info.port}`;
    const lines = [
      `modbot listening on ${url}`,
      `  webhook:  ${url}/webhooks/instagram`,
      `  database: ${database.kind} (${database.location})`,
      `  rules:    ${rules.current().rules.length} rules from ${env.RULES_DIR}/ (hot reload on; set ${rules.current().hash.slice(0, 12)})`,
      `  mode:     ${env.DRY_RUN ? 'dry run (nothing is done on Instagram; DRY_RUN=false to act)' : 'live'}`,
    ];
    const missing = missingForLive(env);
    if (missing.length > 0) lines.push(`  missing for live use: ${missing.join(', ')}`);
    if (dev) lines.push(`  using generated development secrets from ${devSecretsPath(env.MODBOT_DATA_DIR)}`);
    lines.push('  try:      npm run modbot -- simulate --text "DM me on @cash.flow_ava"');
    console.log(lines.join('\n'));
    logger.info('started', { url, database: database.kind, dryRun: env.DRY_RUN });
  });

  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    logger.info('shutting down', { signal });
    server.close();
    for (const stop of stopJobs) stop();
    rules.close();
    await runtime.stop();
    await database.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

await main();
