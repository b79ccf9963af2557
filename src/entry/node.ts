/**
 * Node entry (`npm start`): configure → open the database → serve the webhook endpoint, run the
 * inbox workers and the periodic jobs in this process; stop cleanly on SIGINT/SIGTERM.
 */
import { serve } from '@hono/node-server';
import { undiciFetch } from '../graph/node-http.js';
import { graphClientFromEnv } from '../runtime/create-runtime.js';
import { runJobsOnTimers } from '../runtime/jobs.js';
import { startNodeRuntime } from '../runtime/node-runtime.js';
import {
  configureNode,
  holdProcessLockOrExit,
  openMigratedDatabase,
  refuseToStart,
  startBanner,
  watchRulesLogged,
} from '../runtime/node-setup.js';
import { listenError } from '../runtime/startup-errors.js';

const { env, logger, devSigning, devSecretsFile } = configureNode();
const rules = await watchRulesLogged(env, logger);
const database = await openMigratedDatabase(env, logger);
const lock = await holdProcessLockOrExit(database, logger);
const runtime = startNodeRuntime({
  env,
  database,
  logger,
  ...(lock ? { leaseHolder: lock.id } : {}),
  graph: graphClientFromEnv(env, undiciFetch),
  rules: () => rules.current(),
  rulesInForce: () => rules.inForce(),
  console: { ruleLoadErrors: rules.loadErrors },
  ...devSigning,
});
const stopJobs = runJobsOnTimers(runtime.jobs, logger);

const server = serve({ fetch: runtime.app.fetch, hostname: env.HOST, port: env.PORT }, (info) => {
  database.setServerUrl?.(`http://${env.HOST}:${info.port}`);
  const inForce = rules.current();
  console.log(
    startBanner({
      env,
      port: info.port,
      database,
      rules: { count: inForce.rules.length, hash: inForce.hash },
      devSecretsFile,
    }),
  );

  logger.info('started', {
    url: `http://${env.HOST}:${info.port}`,
    database: database.kind,
    dryRun: env.DRY_RUN,
    ...(lock ? { processId: lock.id } : {}),
  });
});

server.once('error', (error) => {
  void database.close().finally(() => refuseToStart(`modbot cannot start: ${listenError(error, env)}`));
});

let closing = false;
const shutdown = async (signal: string) => {
  if (closing) return;
  closing = true;
  logger.info('shutting down', { signal });
  server.close();
  stopJobs();
  rules.close();
  await runtime.stop();
  await lock?.close();
  await database.close();
  process.exit(0);
};
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));
