/**
 * Cloudflare Workers: the runtime for one invocation, and the Queue glue. Differences from Node:
 * - Postgres through Hyperdrive (or DATABASE_URL); one small client per invocation, never
 *   sql.end() (postgres.js #1202 in workerd: the runtime closes the sockets);
 * - after intake commits, one Queue message per new inbox row; the consumer decides them;
 * - the actions a decision plans are carried out in the same invocation; the cron trigger runs
 *   the periodic jobs, including re-sending overdue rows and carrying out actions left due;
 * - rule files are bundled at build time (src/generated/rules.ts), not hot-reloaded;
 * - notices (NOTIFY_WEBHOOK_URL) are stored when the invocation ends and sent by the cron
 *   minute (src/notify/stored.ts): timers do not outlive an invocation.
 */

import { openPostgres } from '../db/postgres.js';
import { createNoticeStore } from '../db/repos/notices.js';
import { ConfigError, type Env, liveStartProblems, parseEnv, secretsOf } from '../env.js';
import { bundledRuleFiles } from '../generated/rules.js';
import { createLogger, type Logger } from '../log.js';
import { loadRuleSet, type RuleSet } from '../moderation/index.js';
import { silentNotifier } from '../notify/ports.js';
import { createStoredNoticeSender, createStoredNotifier, storedAttentionMemory } from '../notify/stored.js';
import { processClaimedBatch } from '../queue/process.js';
import { createRuntime, type Dispatch, type Runtime } from './create-runtime.js';

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
/** A cron invocation carries out due actions for at most this long. */
const dueActionsBudgetMs = 20_000;

let bundledRuleSet: RuleSet | null = null;

/** The rule files bundled at build time (scripts/bundle-rules.ts refuses a set with errors). */
function bundledRules(): RuleSet {
  if (!bundledRuleSet) {
    const loaded = loadRuleSet(bundledRuleFiles);
    if (!loaded.ok)
      throw new Error(`bundled rules have errors:\n${loaded.errors.map((e) => e.format()).join('\n')}`);
    bundledRuleSet = loaded.ruleSet;
  }
  return bundledRuleSet;
}

/** The runtime for one invocation, and the ids of the actions its decisions planned. */
export function workersRuntime(bindings: WorkerBindings): Runtime & { readonly planned: string[] } {
  const vars: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(bindings)) if (typeof v === 'string') vars[k] = v;
  const env: Env = parseEnv(vars);
  const live = liveStartProblems(env);
  if (live.length > 0) throw new ConfigError(live);
  const url = env.DATABASE_URL ?? bindings.HYPERDRIVE?.connectionString;
  if (!url)
    throw new ConfigError([
      'DATABASE_URL: required on Workers (bind Hyperdrive as HYPERDRIVE, or set DATABASE_URL)',
    ]);
  const logger = createLogger({ level: env.LOG_LEVEL, secrets: secretsOf(env) });
  const database = openPostgres(url, { max: 1, endOnClose: false, prepare: false });
  const planned: string[] = [];
  const notices = env.NOTIFY_WEBHOOK_URL ? createNoticeStore(database.db) : null;
  const dispatch: Dispatch = {
    eventsStored: (stored, waitUntil) => {
      if (stored.newInboxIds.length > 0) waitUntil(enqueue(bindings.INBOX_QUEUE, stored.newInboxIds, logger));
    },
    actionsPlanned: ({ ids }) => {
      planned.push(...ids);
    },
  };
  const runtime: Runtime = createRuntime({
    env,
    database,
    logger,
    rules: bundledRules,
    dispatch,
    learnedModels: false, // the shipped spam model: see docs/classifiers.md (learned models)
    notifier: notices ? createStoredNotifier(notices, logger) : silentNotifier,
    ...(notices ? { attentionMemory: storedAttentionMemory(notices) } : {}),
    queueJobs: {
      dispatchOverdue: async () => {
        const ids = await runtime.inbox.overdue(60, 5000);
        if (ids.length > 0) logger.info('sweep re-enqueues overdue inbox rows', { count: ids.length });
        await enqueue(bindings.INBOX_QUEUE, ids, logger);
      },
      carryOutDueActions: async () => {
        // Retries, throttled accounts whose pause ended, moderator actions.
        const deadline = Date.now() + dueActionsBudgetMs;
        while (Date.now() < deadline) {
          const claimed = await runtime.actions.claim(10, env.INBOX_LEASE_SECONDS);
          if (claimed.length === 0) break;
          for (const action of claimed) await runtime.carryOutAction(action);
        }
      },
    },
  });
  const sendNotices = notices &&
    env.NOTIFY_WEBHOOK_URL && {
      name: 'send stored notices',
      everyMinutes: 1,
      atMinute: 0,
      run: createStoredNoticeSender({
        store: notices,
        url: env.NOTIFY_WEBHOOK_URL,
        logger,
        minIntervalMs: env.NOTIFY_INTERVAL_SECONDS * 1000,
      }),
    };
  // Sending goes last, so notices raised by this minute's other jobs are stored before it runs.
  return { ...runtime, jobs: sendNotices ? [...runtime.jobs, sendNotices] : runtime.jobs, planned };
}

/** Queue consumer: claim each message's row, decide the claimed rows together, act on them. */
export async function consumeInboxBatch(
  runtime: Runtime & { readonly planned: string[] },
  batch: MessageBatch<InboxMessage>,
): Promise<void> {
  const { env, logger, inbox } = runtime;
  const claimed: {
    message: Message<InboxMessage>;
    item: NonNullable<Awaited<ReturnType<typeof inbox.claimById>>>;
  }[] = [];
  for (const message of batch.messages) {
    const item = await inbox.claimById(message.body.inboxId, env.INBOX_LEASE_SECONDS);
    // Done already, or another consumer holds it (the cron re-sends it if that one dies).
    if (item) claimed.push({ message, item });
    else message.ack();
  }
  const outcomes = await processClaimedBatch(
    inbox,
    runtime.decideEvents,
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
  const { planned } = runtime;
  for (let round = 0; planned.length > 0 && round < 10; round++) {
    const due = await runtime.actions.claim(planned.length, env.INBOX_LEASE_SECONDS, planned);
    if (due.length === 0) break;
    for (const action of due) await runtime.carryOutAction(action);
  }
}

async function enqueue(queue: Queue<InboxMessage>, ids: readonly number[], logger: Logger): Promise<void> {
  for (let i = 0; i < ids.length; i += maxBatchSend) {
    const chunk = ids.slice(i, i + maxBatchSend).map((inboxId) => ({ body: { inboxId } }));
    try {
      await queue.sendBatch(chunk);
    } catch (error) {
      // Already stored: the cron will dispatch these rows later.
      logger.error('queue send failed; the cron will retry', { error, count: chunk.length });
    }
  }
}
