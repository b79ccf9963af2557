/**
 * Node composition root: configuration → database → intake → workers → HTTP app.
 * Tests build the same runtime with their own database and handler.
 */
import { createApp } from './app.js';
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
  readonly handler: InboxHandler;
  /** Overrides the secrets from env (dry-run development secrets). */
  readonly secrets?: readonly SigningSecret[];
  readonly verifyToken?: string;
  readonly backoff?: (attempt: number) => number;
}

export function buildNodeRuntime(options: RuntimeOptions): NodeRuntime {
  const { env, database, logger } = options;
  const repo = createInboxRepo(database.db);
  const pool = startWorkerPool(repo, options.handler, {
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
