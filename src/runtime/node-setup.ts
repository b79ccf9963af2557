/**
 * What the Node entry does before it serves: configuration (with generated development secrets
 * in dry run), the rule files under watch, the database opened and migrated, and the banner a
 * person reads at start. Each start-up mistake ends in one clear message, not a stack trace.
 */

import { undecryptableToken } from '../accounts/store.js';
import { EncryptionKeyError, parseEncryptionKey } from '../accounts/token-crypto.js';
import type { DatabaseHandle } from '../db/client.js';
import { holdProcessLock, type ProcessLock } from '../db/process-lock.js';
import { releaseLeasesOfStoppedProcess } from '../db/repos/leases.js';
import { ConfigError, type Env, liveStartProblems, missingForLive, parseEnv, secretsOf } from '../env.js';
import { createLogger, type Logger } from '../log.js';
import { RuleLoadError, watchRules } from '../rules-source/watch.js';
import { signingSecrets } from '../webhook/verify.js';
import { openMigrated } from './commands.js';
import { accountStoreFromEnv } from './create-runtime.js';
import { devSecretsPath, loadOrCreateDevSecrets } from './dev-secrets.js';
import { databaseStartError } from './startup-errors.js';

/** Prints `message` and exits: a start-up mistake the operator must fix. */
export function refuseToStart(message: string): never {
  console.error(message);
  process.exit(1);
}

export function configureNode() {
  let env: Env;
  try {
    env = parseEnv(process.env);
  } catch (error) {
    if (error instanceof ConfigError) refuseToStart(`modbot cannot start.\n${error.message}`);
    throw error;
  }
  const live = liveStartProblems(env);
  if (live.length > 0) refuseToStart(`modbot cannot start.\n${new ConfigError(live).message}`);
  // Checked now, not when the first token is stored or read.
  if (env.MODBOT_ENCRYPTION_KEY) {
    try {
      parseEncryptionKey(env.MODBOT_ENCRYPTION_KEY);
    } catch (error) {
      if (error instanceof EncryptionKeyError) refuseToStart(`modbot cannot start: ${error.message}`);
      throw error;
    }
  }
  // In dry run without a Meta app, sign with generated local secrets (never accept unsigned input).
  const dev =
    env.DRY_RUN && !env.META_APP_SECRET && !env.INSTAGRAM_APP_SECRET
      ? loadOrCreateDevSecrets(env.MODBOT_DATA_DIR)
      : null;
  const logger = createLogger({
    level: env.LOG_LEVEL,
    secrets: [...secretsOf(env), ...(dev ? [dev.appSecret, dev.verifyToken] : [])],
  });
  const devSigning = dev
    ? { secrets: signingSecrets(dev.appSecret), verifyToken: env.META_VERIFY_TOKEN ?? dev.verifyToken }
    : {};
  return { env, logger, devSigning, devSecretsFile: dev ? devSecretsPath(env.MODBOT_DATA_DIR) : null };
}

/**
 * Rule files: a set with any error never takes effect. At start there is no last good set, so
 * modbot refuses to start; later, a bad edit is reported and the running set stays in force.
 */
export async function watchRulesLogged(env: Env, logger: Logger) {
  // The errors of the last refused change, for the console's rules page (cleared by a good load).
  let refused: readonly string[] = [];
  try {
    const source = await watchRules(env.RULES_DIR, {
      onLoaded: (set, previous, inForce) => {
        refused = [];
        logger.info(previous ? 'rules reloaded' : 'rules loaded', {
          hash: set.hash,
          rules: set.rules.length,
          files: inForce.files,
          loadedAt: inForce.loadedAt.toISOString(),
          ...(previous ? { previousHash: previous.hash } : {}),
        });
      },
      onRejected: (errors, current) => {
        refused = errors.map((e) => e.format());
        logger.error('rule change refused; the previous rules stay in force', {
          errors: errors.map((e) => e.format()),
          inForce: current?.hash ?? null,
        });
        for (const e of errors) console.error(e.format());
      },
    });
    return Object.assign(source, { loadErrors: () => refused });
  } catch (error) {
    if (error instanceof RuleLoadError)
      refuseToStart(
        `modbot cannot start: ${error.message}\nFix the files above, then check them with: npm run modbot -- rules check`,
      );
    throw error;
  }
}

/**
 * Opens and migrates the database; on the embedded one, frees what a stopped process held and
 * shares it with the `modbot` commands (its socket). A database that cannot be opened ends
 * start-up in one line, the cause first (startup-errors.ts).
 */
export async function openMigratedDatabase(env: Env, logger: Logger) {
  let database: Awaited<ReturnType<typeof openMigrated>>;
  try {
    database = await openMigrated(env, { role: 'server' });
  } catch (error) {
    refuseToStart(`modbot cannot start: ${databaseStartError(error, env)}`);
  }
  const released = await releaseLeasesOfStoppedProcess(database);
  if (released && released.events + released.actions > 0)
    logger.info('released what a stopped modbot was holding; it is processed now', released);
  await database.shareWithCommands?.();
  await reportUndecryptableTokens(env, database, logger);
  return database;
}

/**
 * Stored tokens the key cannot open (MODBOT_ENCRYPTION_KEY changed or unset): said at start, one
 * line per account; reading one flags its account (its work waits for a new token, /readyz warns).
 */
async function reportUndecryptableTokens(
  env: Env,
  database: Parameters<typeof accountStoreFromEnv>[1],
  logger: Logger,
) {
  const store = accountStoreFromEnv(env, database);
  for (const account of await store.list()) {
    if (!account.hasToken || account.source !== 'database') continue;
    const { summary } = await store.lookup(account.id);
    if (summary?.statusReason !== undecryptableToken) continue;
    const why = env.MODBOT_ENCRYPTION_KEY
      ? 'with this MODBOT_ENCRYPTION_KEY'
      : 'MODBOT_ENCRYPTION_KEY is not set';
    console.error(
      `account ${account.id}: its stored access token cannot be decrypted (${why}); its actions wait. Restore the key, or add the token again: npm run modbot -- accounts add`,
    );
    logger.warn('stored token cannot be decrypted; the account needs re-authorisation', {
      account: account.id,
    });
  }
}

/**
 * On Postgres: this process's advisory lock (src/db/process-lock.ts), so that if it dies another
 * process takes its events and actions at once. If the lock is lost while running, the process
 * exits: another may already be working what it holds, and two must never work the same reply.
 */
export async function holdProcessLockOrExit(
  database: DatabaseHandle,
  logger: Logger,
): Promise<ProcessLock | null> {
  if (database.kind !== 'postgres' || !database.url) return null;
  return holdProcessLock(database.url, {
    onLost: (why) => {
      logger.error('process lock lost; stopping now so that no other process works what this one holds', {
        why,
      });
      process.exit(1);
    },
  });
}

export function startBanner(input: {
  env: Env;
  port: number;
  database: { kind: string; location: string };
  rules: { count: number; hash: string };
  devSecretsFile: string | null;
}): string {
  const { env } = input;
  const url = `http://${env.HOST}:${input.port}`;
  const lines = [
    `modbot listening on ${url}`,
    `  webhook:  ${url}/webhooks/instagram`,
    `  database: ${input.database.kind} (${input.database.location})`,
    `  rules:    ${input.rules.count} rules from ${env.RULES_DIR}/ (hot reload on; set ${input.rules.hash.slice(0, 12)})`,
    `  mode:     ${env.DRY_RUN ? 'dry run (nothing is done on Instagram; DRY_RUN=false to act)' : 'live'}`,
  ];
  const missing = missingForLive(env);
  if (missing.length > 0) lines.push(`  missing for live use: ${missing.join(', ')}`);
  if (input.devSecretsFile) lines.push(`  using generated development secrets from ${input.devSecretsFile}`);
  // The address simulate would use by default is HOST:PORT; say it when it is not where we listen.
  const at = input.port === env.PORT ? '' : ` --url ${url}`;
  lines.push(`  try:      npm run modbot -- simulate${at} --text "DM me on @cash.flow_ava"`);
  return lines.join('\n');
}
