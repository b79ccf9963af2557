/**
 * Cloudflare Workers entry (scale-out). Same Hono app and use-cases as Node; the differences:
 * - Postgres through Hyperdrive (or DATABASE_URL); one small client per invocation, never
 *   sql.end() (postgres.js #1202 in workerd: the runtime closes the sockets);
 * - after intake commits, one Queue message per new inbox row (the consumer processes it);
 * - a cron trigger re-enqueues rows whose lease expired or whose dispatch was lost;
 * - rule files are bundled at build time (src/generated/rules.ts), not hot-reloaded;
 * - the actions a decision plans are executed in the same invocation; the cron runs any left due
 *   (retries, throttled accounts, moderator actions).
 */
import { createApp } from '../app.js';
import { runRetention } from '../audit/erase.js';
import { rollUpClosedDays } from '../audit/rollup.js';
import { openPostgres } from '../db/postgres.js';
import { createActionsRepo } from '../db/repos/actions.js';
import { PgClassifierCache } from '../db/repos/classifier-cache.js';
import { createInboxRepo } from '../db/repos/inbox.js';
import { checkReadiness } from '../db/repos/readiness.js';
import { accountStoreFromEnv, actuatorFromEnv, graphClientFromEnv, moderationHandler } from '../deps.js';
import { ConfigError, type Env, parseEnv, secretsOf } from '../env.js';
import { bundledRuleFiles } from '../generated/rules.js';
import { createLogger, type Logger } from '../log.js';
import { loadRuleSet, type RuleSet } from '../moderation/index.js';
import { createIngestor } from '../pipeline/ingest.js';
import { dailyMaintenance, sweepAllAccounts } from '../pipeline/schedule.js';
import type { InboxItem } from '../queue/ports.js';
import { processClaimedBatch } from '../queue/process.js';
import { signingSecrets } from '../webhook/verify.js';

export interface InboxMessage {
  readonly inboxId: number;
}

export interface WorkerBindings {
  readonly HYPERDRIVE?: Hyperdrive;
  readonly INBOX_QUEUE: Queue<InboxMessage>;
  readonly [variable: string]: unknown;
}

/** Cloudflare Queues take at most 100 messages per sendBatch and delays up to 12 hours. */
const maxBatchSend = 100;
const maxDelaySeconds = 12 * 60 * 60;

let bundledRuleSet: RuleSet | null = null;

/** The rule files bundled at build time (scripts/bundle-rules.ts refuses a set with errors). */
function rules(): RuleSet {
  if (!bundledRuleSet) {
    const loaded = loadRuleSet(bundledRuleFiles);
    if (!loaded.ok)
      throw new Error(`bundled rules have errors:\n${loaded.errors.map((e) => e.format()).join('\n')}`);
    bundledRuleSet = loaded.ruleSet;
  }
  return bundledRuleSet;
}

function actuation(env: Env, database: ReturnType<typeof openPostgres>, logger: Logger) {
  const accounts = accountStoreFromEnv(env, database);
  const graph = graphClientFromEnv(env);
  return {
    accounts,
    graph,
    execute: actuatorFromEnv(env, database, logger, accounts, graph),
    actionsRepo: createActionsRepo(database.db),
  };
}

function configure(bindings: WorkerBindings) {
  const vars: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(bindings)) if (typeof v === 'string') vars[k] = v;
  const env: Env = parseEnv(vars);
  const url = env.DATABASE_URL ?? bindings.HYPERDRIVE?.connectionString;
  if (!url)
    throw new ConfigError([
      'DATABASE_URL: required on Workers (bind Hyperdrive as HYPERDRIVE, or set DATABASE_URL)',
    ]);
  const logger = createLogger({ level: env.LOG_LEVEL, secrets: secretsOf(env) });
  const database = openPostgres(url, { max: 1, endOnClose: false, prepare: false });
  return { env, logger, database, repo: createInboxRepo(database.db) };
}

async function enqueue(queue: Queue<InboxMessage>, ids: readonly number[], logger: Logger): Promise<void> {
  for (let i = 0; i < ids.length; i += maxBatchSend) {
    const chunk = ids.slice(i, i + maxBatchSend).map((inboxId) => ({ body: { inboxId } }));
    try {
      await queue.sendBatch(chunk);
    } catch (error) {
      // Already stored: the cron sweep will dispatch these rows later.
      logger.error('queue send failed; the sweep will retry', { error, count: chunk.length });
    }
  }
}

export default {
  async fetch(request, bindings, ctx) {
    let runtime: ReturnType<typeof configure>;
    try {
      runtime = configure(bindings);
    } catch (error) {
      if (error instanceof ConfigError) {
        console.error(error.message);
        return Response.json(
          { error: 'misconfigured', message: 'modbot is not configured; see the logs' },
          { status: 500 },
        );
      }
      throw error;
    }
    const { env, logger, database, repo } = runtime;
    const app = createApp({
      logger,
      readiness: () => checkReadiness(database.db),
      api: { db: database.adHoc, adminToken: env.ADMIN_TOKEN, retentionDays: env.RETENTION_DAYS },
      meta: {
        db: database.db,
        secrets: signingSecrets(env.META_APP_SECRET, env.INSTAGRAM_APP_SECRET),
        publicUrl: env.PUBLIC_URL,
      },
      webhooks: {
        verifyToken: env.META_VERIFY_TOKEN,
        secrets: signingSecrets(env.META_APP_SECRET, env.INSTAGRAM_APP_SECRET),
        maxBodyBytes: env.WEBHOOK_MAX_BODY_BYTES,
        ingestor: createIngestor(repo),
        logger,
        onStored: (stored, waitUntil) => {
          if (stored.newInboxIds.length > 0)
            waitUntil(enqueue(bindings.INBOX_QUEUE, stored.newInboxIds, logger));
        },
      },
    });
    return app.fetch(request, bindings, ctx);
  },

  async queue(batch, bindings, _ctx) {
    const { env, logger, repo, database } = configure(bindings);
    const { accounts, graph, execute, actionsRepo } = actuation(env, database, logger);
    const planned: string[] = [];
    const handler = moderationHandler(env, database, logger, rules, {
      accounts,
      graph,
      onActionsPlanned: ({ ids }) => {
        planned.push(...ids);
      },
    });
    // Claim each message's row, then decide all claimed rows together (one audit write).
    const claimed: { message: (typeof batch.messages)[number]; item: InboxItem }[] = [];
    for (const message of batch.messages) {
      const item = await repo.claimById(message.body.inboxId, env.INBOX_LEASE_SECONDS);
      // Done already, or another consumer holds it (the sweep re-sends it if that one dies).
      if (item) claimed.push({ message, item });
      else message.ack();
    }
    const outcomes = await processClaimedBatch(
      repo,
      handler,
      claimed.map((c) => c.item),
      { maxAttempts: env.INBOX_MAX_ATTEMPTS, logger },
    );
    claimed.forEach(({ message }, i) => {
      const result = outcomes[i];
      if (result?.outcome === 'retry') {
        // Redeliver when the row becomes due again (the row, not the message, is the truth).
        message.retry({
          delaySeconds: Math.min(maxDelaySeconds, Math.max(1, Math.ceil(result.retryInMs / 1000))),
        });
      } else {
        message.ack();
      }
    });
    // Carry out what these decisions planned (in order; anything not due now is left to the cron).
    for (let round = 0; planned.length > 0 && round < 10; round++) {
      const claimed = await actionsRepo.claim(planned.length, env.INBOX_LEASE_SECONDS, planned);
      if (claimed.length === 0) break;
      for (const action of claimed) await execute(action);
    }
  },

  async scheduled(controller, bindings, _ctx) {
    const { env, logger, repo, database } = configure(bindings);
    // Audit upkeep: retention (RETENTION_DAYS) once an hour from the every-minute cron.
    const minute = new Date(controller.scheduledTime).getUTCMinutes();
    if (minute === 7) {
      const r = await runRetention(database.db, { days: env.RETENTION_DAYS });
      logger.info('retention', { cutoff: r.cutoff, counts: r.counts });
    }
    // Daily stats rollup for closed days (cheap when up to date).
    if (minute % 10 === 3) await rollUpClosedDays(database.db);
    // Catch-up sweep of every account (hourly by default) and daily token refresh and cache purge.
    const at = new Date(controller.scheduledTime);
    const { accounts, graph } = actuation(env, database, logger);
    const jobs = { accounts, graph, store: repo, cache: new PgClassifierCache(database.db), logger };
    if (env.SWEEP_INTERVAL_MINUTES > 0 && minute % Math.min(60, env.SWEEP_INTERVAL_MINUTES) === 0) {
      await sweepAllAccounts(jobs, env.SWEEP_SINCE_HOURS);
    }
    if (at.getUTCHours() === 3 && minute === 17) await dailyMaintenance(jobs);
    const ids = await repo.overdue(60, 5000);
    if (ids.length > 0) logger.info('sweep re-enqueues overdue inbox rows', { count: ids.length });
    await enqueue(bindings.INBOX_QUEUE, ids, logger);
    // Actions due now: retries, throttled accounts whose pause ended, moderator actions.
    const { execute, actionsRepo } = actuation(env, database, logger);
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      const claimed = await actionsRepo.claim(10, env.INBOX_LEASE_SECONDS);
      if (claimed.length === 0) break;
      for (const action of claimed) await execute(action);
    }
  },
} satisfies ExportedHandler<WorkerBindings, InboxMessage>;
