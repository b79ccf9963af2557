/**
 * Node composition root: configuration → database → intake → workers → HTTP app.
 * Tests build the same runtime with their own database and handler.
 */
import { createApp } from './app.js';
import { createDecisionRecorder } from './audit/record.js';
import { createClassifiers } from './classify/registry.js';
import { PgClassifierCache } from './db/stores/classifier-cache.js';
import { PgRepetitionCounter } from './db/stores/repetition.js';
import type { RuleSet } from './moderation/index.js';
import { createProcessEvent } from './pipeline/process-event.js';
import type { DatabaseHandle } from './db/client.js';
import { checkReadiness } from './db/readiness.js';
import type { Env } from './env.js';
import type { Logger } from './log.js';
import { createIngestor } from './pipeline/ingest.js';
import { createInboxRepo, type InboxRepo } from './queue/inbox-repo.js';
import { startWorkerPool, type WorkerPool } from './queue/node-worker.js';
import type { InboxHandler } from './queue/process.js';
import { type SigningSecret, signingSecrets } from './webhook/verify.js';

export interface NodeRuntime {
  readonly app: ReturnType<typeof createApp>;
  readonly repo: InboxRepo;
  readonly pool: WorkerPool;
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
}

export function buildNodeRuntime(options: RuntimeOptions): NodeRuntime {
  const { env, database, logger } = options;
  const repo = createInboxRepo(database.db);
  const handler = options.handler ?? moderationHandler(env, database, logger, options.rules);
  const pool = startWorkerPool(repo, handler, {
    concurrency: env.INBOX_WORKERS,
    leaseSeconds: env.INBOX_LEASE_SECONDS,
    maxAttempts: env.INBOX_MAX_ATTEMPTS,
    pollMs: env.INBOX_POLL_MS,
    logger,
    ...(options.backoff ? { backoff: options.backoff } : {}),
  });
  const app = createApp({
    logger,
    readiness: () => checkReadiness(database.db),
    webhooks: {
      verifyToken: options.verifyToken ?? env.META_VERIFY_TOKEN,
      secrets: options.secrets ?? signingSecrets(env.META_APP_SECRET, env.INSTAGRAM_APP_SECRET),
      maxBodyBytes: env.WEBHOOK_MAX_BODY_BYTES,
      ingestor: createIngestor(repo),
      logger,
      onStored: (stored) => {
        if (stored.newInboxIds.length > 0) pool.wake();
      },
    },
  });
  return { app, repo, pool, stop: () => pool.stop() };
}

/** The classifiers rules may name, from configuration: builtin always, OpenAI when a key is set. */
export function classifiersFromEnv(env: Env, database: DatabaseHandle) {
  return createClassifiers({
    cache: new PgClassifierCache(database.db),
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
  });
}

export function moderationHandler(env: Env, database: DatabaseHandle, logger: Logger, rules: (() => RuleSet) | undefined): InboxHandler {
  if (!rules) throw new Error('buildNodeRuntime needs `rules` (or an explicit `handler`)');
  return createProcessEvent({
    rules,
    ports: { classifiers: classifiersFromEnv(env, database), repetition: new PgRepetitionCounter(database.db) },
    recordDecision: createDecisionRecorder(database.db),
    dryRun: env.DRY_RUN,
    logger,
  });
}
