/**
 * Composition root: configuration → database → intake, inbox workers, actuator → HTTP app.
 * Node uses buildNodeRuntime; the Workers entry reuses the factories below. Tests build the same
 * runtime with their own database, rules and fakes on loopback.
 */
import { type AccountStore, createAccountStore, envAccountFrom } from './accounts/store.js';
import { createApp } from './app.js';
import { scheduleRetention } from './audit/erase.js';
import type { ClassifierCache } from './classify/cache.js';
import { type ClassifierConfig, createClassifiers } from './classify/registry.js';
import type { DatabaseHandle } from './db/client.js';
import { createAccountsRepo } from './db/repos/accounts.js';
import { createActionsRepo } from './db/repos/actions.js';
import { PgClassifierCache } from './db/repos/classifier-cache.js';
import { createDecisionRecorder } from './db/repos/decisions.js';
import { createInboxRepo, type InboxRepo } from './db/repos/inbox.js';
import { checkReadiness } from './db/repos/readiness.js';
import { PgRepetitionCounter } from './db/repos/repetition.js';
import type { Env } from './env.js';
import { createGraphClient, type GraphClient, type GraphFetch } from './graph/client.js';
import { createPacer, type Pacer } from './graph/pacing.js';
import type { Logger } from './log.js';
import type { RuleSet } from './moderation/index.js';
import { type Actuator, createActuator } from './pipeline/actuator.js';
import { createIngestor } from './pipeline/ingest.js';
import type { ActionItem } from './pipeline/ports.js';
import { createProcessEvent, type PlannedForExecution } from './pipeline/process-event.js';
import { type ClaimLoop, startClaimLoop } from './queue/claim-loop.js';
import { startWorkerPool, type WorkerPool } from './queue/node-worker.js';
import { type InboxBatchHandler, type InboxHandler, inTurn } from './queue/process.js';
import { type SigningSecret, signingSecrets } from './webhook/verify.js';

export interface NodeRuntime {
  readonly app: ReturnType<typeof createApp>;
  readonly repo: InboxRepo;
  readonly pool: WorkerPool;
  readonly actuatorLoop: ClaimLoop;
  readonly accounts: AccountStore;
  /** Resolves when neither events nor actions are due (tests, commands). */
  idle(): Promise<void>;
  /** Stops the workers (the caller closes the database). */
  stop(): Promise<void>;
}

export interface RuntimeOptions {
  readonly env: Env;
  readonly database: DatabaseHandle;
  readonly logger: Logger;
  /** The rule set in force; the moderation handler is built from it unless `handler` is given. */
  readonly rules?: () => RuleSet;
  /** Replaces moderation (tests of the intake machinery). */
  readonly handler?: InboxHandler;
  /** Overrides the secrets from env (dry-run development secrets). */
  readonly secrets?: readonly SigningSecret[];
  readonly verifyToken?: string;
  readonly backoff?: (attempt: number) => number;
  /** Overrides the Graph API client (tests point it at a fake). */
  readonly graph?: GraphClient;
}

export function buildNodeRuntime(options: RuntimeOptions): NodeRuntime {
  const { env, database, logger } = options;
  const repo = createInboxRepo(database.db);
  const accounts = accountStoreFromEnv(env, database);
  const graph = options.graph ?? graphClientFromEnv(env);
  const actionsRepo = createActionsRepo(database.db);
  const actuator = actuatorFromEnv(env, database, logger, accounts, graph, {
    ...(options.backoff ? { backoff: options.backoff } : {}),
    // A reply done: its hide may start now.
    onNextDue: () => actuatorLoop.wake(),
  });
  const actuatorLoop = startClaimLoop({
    name: 'actuator',
    concurrency: env.ACTION_WORKERS,
    batchSize: env.ACTION_BATCH_SIZE,
    pollMs: env.INBOX_POLL_MS,
    logger,
    claim: () => actionsRepo.claim(env.ACTION_BATCH_SIZE, env.INBOX_LEASE_SECONDS),
    // Actions of one claim run side by side (the claim never holds two of the same decision).
    process: (items) => Promise.all(items.map(actuator)),
  });
  // Actions a decision wrote already claimed (its first one) run at once, here; the rest (a hide
  // after its reply, anything paced or retried) go through the actuator loop.
  const runningNow = new Set<Promise<unknown>>();
  const executeNow = (items: readonly ActionItem[]) => {
    for (const item of items) {
      const run: Promise<unknown> = actuator(item)
        .catch((error: unknown) => logger.error('action execution failed', { actionId: item.id, error }))
        .finally(() => runningNow.delete(run));
      runningNow.add(run);
    }
  };
  const settleRunningNow = async () => {
    while (runningNow.size > 0) await Promise.all(runningNow);
  };
  const handler = options.handler
    ? inTurn(options.handler)
    : moderationHandler(env, database, logger, options.rules, {
        accounts,
        graph,
        ...(env.ACTION_WORKERS > 0 ? { claimFirst: { leaseSeconds: env.INBOX_LEASE_SECONDS } } : {}),
        onActionsPlanned: ({ ids, claimed }) => {
          executeNow(claimed);
          if (ids.length > claimed.length) actuatorLoop.wake();
        },
      });
  const pool = startWorkerPool(repo, handler, {
    concurrency: env.INBOX_WORKERS,
    batchSize: env.INBOX_BATCH_SIZE,
    leaseSeconds: env.INBOX_LEASE_SECONDS,
    maxAttempts: env.INBOX_MAX_ATTEMPTS,
    pollMs: env.INBOX_POLL_MS,
    logger,
    ...(options.backoff ? { backoff: options.backoff } : {}),
  });
  const secrets = options.secrets ?? signingSecrets(env.META_APP_SECRET, env.INSTAGRAM_APP_SECRET);
  const app = createApp({
    logger,
    readiness: () => checkReadiness(database.db),
    api: { db: database.adHoc, adminToken: env.ADMIN_TOKEN, retentionDays: env.RETENTION_DAYS },
    meta: { db: database.db, secrets, publicUrl: env.PUBLIC_URL },
    webhooks: {
      verifyToken: options.verifyToken ?? env.META_VERIFY_TOKEN,
      secrets,
      maxBodyBytes: env.WEBHOOK_MAX_BODY_BYTES,
      // New events are written claimed by this process and handed to its workers in memory,
      // while they have room.
      ingestor: createIngestor(repo, {
        claimLease: () => (pool.hasRoom ? { leaseSeconds: env.INBOX_LEASE_SECONDS } : null),
      }),
      logger,
      onStored: (stored) => {
        pool.submit(stored.claimed);
        if (stored.newInboxIds.length > stored.claimed.length) pool.wake();
      },
    },
  });
  // Retention (RETENTION_DAYS): hourly in this process; on Workers the cron trigger runs it.
  const stopRetention = scheduleRetention(database.db, {
    days: env.RETENTION_DAYS,
    onResult: (r) => {
      if (Object.values(r.counts).some((n) => n > 0))
        logger.info('retention redacted old text', { cutoff: r.cutoff, counts: r.counts });
    },
    onError: (error) => logger.error('retention failed; it runs again in an hour', { error }),
  });
  return {
    app,
    repo,
    pool,
    actuatorLoop,
    accounts,
    async idle() {
      // Events create actions; settle both until neither has work.
      for (let i = 0; i < 3; i++) {
        await pool.idle();
        await settleRunningNow();
        await actuatorLoop.idle();
      }
    },
    async stop() {
      stopRetention();
      await pool.stop();
      await settleRunningNow();
      await actuatorLoop.stop();
    },
  };
}

export function accountStoreFromEnv(env: Env, database: DatabaseHandle): AccountStore {
  return createAccountStore(createAccountsRepo(database.db), {
    lookupCacheMs: 1000,
    encryptionKey: env.MODBOT_ENCRYPTION_KEY,
    envAccount: envAccountFrom(env),
  });
}

/** `fetch`: how requests are sent (Node passes undiciFetch from src/graph/node-http.ts). */
export function graphClientFromEnv(env: Env, fetch?: GraphFetch): GraphClient {
  return createGraphClient({
    ...(fetch ? { fetch } : {}),
    version: env.GRAPH_API_VERSION,
    ...(env.GRAPH_API_BASE_URL ? { baseUrl: env.GRAPH_API_BASE_URL } : {}),
    ...(env.META_APP_SECRET ? { appSecret: env.META_APP_SECRET } : {}),
  });
}

/** Per-account write pacing (token bucket per minute) and hourly write budget. */
export function pacersFromEnv(env: Env): { pacer: Pacer; budget: Pacer } {
  return {
    pacer: createPacer({
      ratePerSecond: env.GRAPH_WRITES_PER_MINUTE / 60,
      burst: Math.max(1, Math.ceil(env.GRAPH_WRITES_PER_MINUTE / 6)),
    }),
    budget: createPacer({
      ratePerSecond: env.GRAPH_WRITES_PER_HOUR / 3600,
      burst: env.GRAPH_WRITES_PER_HOUR,
    }),
  };
}

export function actuatorFromEnv(
  env: Env,
  database: DatabaseHandle,
  logger: Logger,
  accounts: AccountStore,
  graph: GraphClient,
  options: { backoff?: (attempt: number) => number; onNextDue?: () => void } = {},
): Actuator {
  return createActuator({
    ...options,
    repo: createActionsRepo(database.db),
    accounts,
    graph,
    ...pacersFromEnv(env),
    logger,
    maxAttempts: env.INBOX_MAX_ATTEMPTS,
    dryRun: env.DRY_RUN,
  });
}

/** Classifier settings from configuration: builtin always, OpenAI when a key is set. */
export function classifierConfigFromEnv(env: Env, cache: ClassifierCache): ClassifierConfig {
  return {
    cache,
    cacheTtlMs: env.CLASSIFIER_CACHE_TTL_HOURS * 3600_000,
    ...(env.OPENAI_API_KEY
      ? {
          openai: {
            apiKey: env.OPENAI_API_KEY,
            ...(env.OPENAI_BASE_URL ? { baseURL: env.OPENAI_BASE_URL } : {}),
            moderationModel: env.OPENAI_MODERATION_MODEL,
            policyModel: env.OPENAI_POLICY_MODEL,
            timeoutMs: env.OPENAI_TIMEOUT_MS,
            policyMaxCallsPerDay: env.OPENAI_POLICY_MAX_CALLS_PER_DAY,
          },
        }
      : {}),
  };
}

/** The classifiers rules may name, their results cached in Postgres. */
export function classifiersFromEnv(env: Env, database: DatabaseHandle) {
  return createClassifiers(classifierConfigFromEnv(env, new PgClassifierCache(database.db)));
}

export function moderationHandler(
  env: Env,
  database: DatabaseHandle,
  logger: Logger,
  rules: (() => RuleSet) | undefined,
  io: {
    accounts: AccountStore;
    graph: GraphClient;
    /** Write each decision's first action already claimed, for `onActionsPlanned` to execute. */
    claimFirst?: { leaseSeconds: number };
    onActionsPlanned?: (planned: PlannedForExecution) => void;
  },
): InboxBatchHandler {
  if (!rules) throw new Error('buildNodeRuntime needs `rules` (or an explicit `handler`)');
  return createProcessEvent({
    rules,
    ports: { classifiers: classifiersFromEnv(env, database) },
    repetition: new PgRepetitionCounter(database.db),
    recordDecisions: createDecisionRecorder(database.db, io.claimFirst ? { claimFirst: io.claimFirst } : {}),
    accounts: io.accounts,
    mentions: io.graph,
    dryRun: env.DRY_RUN,
    logger,
    ...(io.onActionsPlanned ? { onActionsPlanned: io.onActionsPlanned } : {}),
  });
}
