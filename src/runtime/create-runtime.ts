/**
 * The composition root, one for both runtimes: configuration and a database in, the use-cases,
 * the HTTP app and the periodic jobs out. Nothing else wires adapters to use-cases.
 *
 * What differs between Node and Workers is only how work moves on after a commit, the
 * `Dispatch` each entry passes in: Node hands new events and actions to its in-process loops
 * (node-runtime.ts); Workers sends Queue messages and runs planned actions in the same
 * invocation (workers-queue.ts). Tests build the same runtime with their own database, rules and
 * fakes on loopback.
 */
import { type AccountStore, createAccountStore, envAccountFrom } from '../accounts/store.js';
import { formatBacktest } from '../audit/backtest/format.js';
import { parseTime } from '../audit/filters.js';
import { createAuditService } from '../audit/service.js';
import { createBuiltinClassifier } from '../classify/builtin/index.js';
import type { ClassifierCache } from '../classify/cache.js';
import { type ClassifierConfig, createClassifiers } from '../classify/registry.js';
import type { DatabaseHandle } from '../db/client.js';
import { createAccountsRepo } from '../db/repos/accounts.js';
import { createActionsRepo } from '../db/repos/actions.js';
import { createAttentionCounts } from '../db/repos/attention.js';
import { PgClassifierCache } from '../db/repos/classifier-cache.js';
import { createDecisionRecorder } from '../db/repos/decisions.js';
import { createInboxRepo } from '../db/repos/inbox.js';
import { checkReadiness } from '../db/repos/readiness.js';
import { PgRepetitionCounter } from '../db/repos/repetition.js';
import { type Env, erasureHashKey } from '../env.js';
import { createAdaptivePacer } from '../graph/adaptive-pacing.js';
import { createGraphClient, type GraphClient } from '../graph/client.js';
import { createPacer, type Pacer } from '../graph/pacing.js';
import type { GraphFetch } from '../graph/transport.js';
import type { RulesApi, RulesInForceView } from '../http/api/rules.js';
import { createApp } from '../http/app.js';
import type { BacktestInput } from '../http/console/deps.js';
import { type ActiveSpamModel, createActiveSpamModel } from '../learn/active-model.js';
import type { Logger } from '../log.js';
import type { RuleSet } from '../moderation/index.js';
import { type AttentionMemory, watchAttention } from '../notify/attention.js';
import { type Notifier, silentNotifier } from '../notify/ports.js';
import { createWebhookNotifier } from '../notify/webhook.js';
import { createActuator } from '../pipeline/carry-out-action.js';
import { createDecideEvents, type PlannedForExecution } from '../pipeline/decide-events.js';
import { createReceiveDelivery, type StoredDelivery, type WaitUntil } from '../pipeline/receive-delivery.js';
import { type InboxBatchHandler, type InboxHandler, inTurn } from '../queue/process.js';
import { type SigningSecret, signingSecrets } from '../webhook/verify.js';
import { type ConsoleWiring, consoleDeps } from './console.js';
import { type JobDeps, periodicJobs } from './jobs.js';

/** How work moves on after a commit: the one thing each runtime supplies. */
export interface Dispatch {
  /** Asked before each intake commit: a lease to write new rows claimed for this process, or null. */
  readonly claimLease?: () => { readonly leaseSeconds: number } | null;
  /** New inbox rows were committed (Node: its workers; Workers: Queue messages). */
  readonly eventsStored?: (stored: StoredDelivery, waitUntil: WaitUntil) => void;
  /** Decisions planned actions (some written already claimed, to run now). */
  readonly actionsPlanned?: (planned: PlannedForExecution) => void;
  /** A finished action was holding back the next one of its decision. */
  readonly actionNextDue?: () => void;
  /** A sweep queued comments it had missed. */
  readonly eventsQueued?: () => void;
}

export interface RuntimeOptions {
  readonly env: Env;
  readonly database: DatabaseHandle;
  readonly logger: Logger;
  /** The rule set in force; the moderation handler is built from it unless `handler` is given. */
  readonly rules?: () => RuleSet;
  /** The watcher's record of the set in force (hash, files, loaded at), for GET /api/rules. */
  readonly rulesInForce?: () => RulesInForceView;
  /** Replaces moderation (tests of the intake machinery). */
  readonly handler?: InboxHandler;
  /** Overrides the secrets from env (dry-run development secrets). */
  readonly secrets?: readonly SigningSecret[];
  readonly verifyToken?: string;
  readonly backoff?: (attempt: number) => number;
  /** Overrides the Graph API client (tests point it at a fake). */
  readonly graph?: GraphClient;
  readonly dispatch?: Dispatch;
  /** Write each decision's first action already claimed, for `dispatch.actionsPlanned` to run now. */
  readonly claimFirstAction?: boolean;
  /** Workers: the queue's periodic jobs (see jobs.ts). */
  readonly queueJobs?: JobDeps['queue'];
  /** The console's view of rule-file errors and its optional sections (see runtime/console.ts). */
  readonly console?: Pick<ConsoleWiring, 'ruleLoadErrors' | 'extensions'>;
  /** Where notices go; default: NOTIFY_WEBHOOK_URL through the in-memory sender (Workers stores them instead). */
  readonly notifier?: Notifier;
  /** What the attention check last told (Workers reads it back from the stored notices). */
  readonly attentionMemory?: AttentionMemory;
  /** Overrides the write pacing built from env (the flood bench scales its time). */
  readonly pacers?: { readonly pacer: Pacer; readonly budget: Pacer };
  /** Node on Postgres: this process's lock id, written into its leases (src/db/process-lock.ts). */
  readonly leaseHolder?: number;
  /**
   * Serve the learned spam model in force (src/learn/active-model.ts); default true. Workers
   * passes false: each invocation would read the weights again, so it keeps the shipped model.
   */
  readonly learnedModels?: boolean;
}

export function createRuntime(options: RuntimeOptions) {
  const { env, database, logger } = options;
  const dispatch = options.dispatch ?? {};
  const holder = options.leaseHolder === undefined ? {} : { leaseHolder: options.leaseHolder };
  const inbox = createInboxRepo(database.db, holder);
  const actions = createActionsRepo(database.db, holder);
  const notifier = options.notifier ?? notifierFromEnv(env, logger);
  const accounts = withReauthNotice(accountStoreFromEnv(env, database), notifier);
  const graph = options.graph ?? graphClientFromEnv(env);
  const classifierCache = new PgClassifierCache(database.db);

  const carryOutAction = createActuator({
    repo: actions,
    accounts,
    graph,
    ...(options.pacers ?? pacersFromEnv(env)),
    logger,
    maxAttempts: env.INBOX_MAX_ATTEMPTS,
    dryRun: env.DRY_RUN,
    ...(options.backoff ? { backoff: options.backoff } : {}),
    onNextDue: () => dispatch.actionNextDue?.(),
  });

  // The learned spam model in force (Node): loaded at start, checked every minute (jobs below).
  const spamModel: ActiveSpamModel | null =
    options.handler || options.learnedModels === false ? null : createActiveSpamModel(database.db, logger);

  const decideEvents: InboxBatchHandler = options.handler
    ? inTurn(options.handler)
    : createDecideEvents({
        rules: required(options.rules),
        ports: {
          classifiers: createClassifiers({
            ...classifierConfigFromEnv(env, classifierCache),
            ...(spamModel ? { spamModel } : {}),
          }),
        },
        repetition: new PgRepetitionCounter(database.db),
        recordDecisions: createDecisionRecorder(
          database.db,
          options.claimFirstAction
            ? {
                claimFirst: {
                  leaseSeconds: env.INBOX_LEASE_SECONDS,
                  leaseHolder: options.leaseHolder ?? null,
                },
              }
            : {},
        ),
        accounts,
        mentions: graph,
        dryRun: env.DRY_RUN,
        logger,
        onActionsPlanned: (planned) => dispatch.actionsPlanned?.(planned),
        notify: (notice) => notifier.notify(notice),
      });

  const secrets = options.secrets ?? signingSecrets(env.META_APP_SECRET, env.INSTAGRAM_APP_SECRET);
  const receiveDelivery = createReceiveDelivery({
    secrets,
    // On Postgres, intake's own connections with a statement timeout (INTAKE_TIMEOUT_MS).
    store: database.intake ? createInboxRepo(database.intake, holder) : inbox,
    claimLease: () => dispatch.claimLease?.() ?? null,
    handOver: (stored, waitUntil) => dispatch.eventsStored?.(stored, waitUntil),
  });

  const retentionDays = env.RETENTION_DAYS;
  const subjectKey = erasureHashKey(env);
  // A backtest may run the free builtin model for scores the record lacks; never a paid one.
  const offlineClassifiers = new Map([['builtin', createBuiltinClassifier()]]);
  const consoleAudit = createAuditService(database.adHoc, { retentionDays, subjectKey, offlineClassifiers });
  const apiAudit = createAuditService(database.adHoc, { retentionDays, subjectKey, offlineClassifiers });
  const rulesInForce = options.rules;
  const rulesApi: RulesApi | undefined = rulesInForce
    ? {
        backtest: (input) => apiAudit.backtestChanges(rulesInForce(), input),
        status: () => apiAudit.rulesStatus(rulesInForce()),
      }
    : undefined;
  const app = createApp({
    logger,
    readiness: async () => {
      const ready = await checkReadiness(database.db);
      const learned = spamModel?.warnings() ?? [];
      if (!ready.ok || learned.length === 0) return ready;
      return { ok: true, warnings: [...(ready.warnings ?? []), ...learned] };
    },
    // The admin API's queries are planned for their actual parameters (database.adHoc).
    api: {
      audit: apiAudit,
      adminToken: env.ADMIN_TOKEN,
      rulesInForce: options.rulesInForce ?? rulesInForceOf(options.rules),
      rules: rulesApi,
    },
    meta: {
      audit: createAuditService(database.db, { retentionDays, subjectKey }),
      secrets,
      // Never the request's Host header: a forged one would put another site in Meta's answer.
      // Without PUBLIC_URL (dry run only: live start refuses) the configured address.
      publicUrl: env.PUBLIC_URL ?? `http://${env.HOST}:${env.PORT}`,
    },
    console: consoleDeps({
      env,
      database,
      audit: consoleAudit,
      accounts,
      rules: options.rules,
      ...options.console,
      extensions: {
        retryDeadLetter: async (inboxId) => {
          const { retried } = await consoleAudit.retryDeadLetters({ ids: [inboxId] });
          return retried.length > 0
            ? `event ${inboxId} is back in the inbox`
            : `event ${inboxId} is not dead-lettered (already retried or decided)`;
        },
        mediaLock: {
          list: () => consoleAudit.lockedMedia(),
          lock: async (input) => (await consoleAudit.lockMedia(input)).message,
          unlock: async (input) => (await consoleAudit.unlockMedia(input)).message,
        },
        ...(rulesInForce
          ? {
              backtest: async (input: BacktestInput) => {
                const result = await consoleAudit.backtestChanges(rulesInForce(), {
                  files: input.files,
                  since: parseTime(input.since) ?? new Date(Date.now() - 30 * 86_400_000),
                  account: input.account,
                });
                logger.info('console rules backtest', {
                  moderator: input.moderator,
                  files: input.files.length,
                });
                if (!result.ok)
                  return `The changed file does not load (nothing was backtested):\n${result.errors.join('\n')}`;
                const what = [
                  ...result.replaced.map((p) => `${p} replaced`),
                  ...result.added.map((p) => `${p} added`),
                ].join(', ');
                return `${what}\n\n${formatBacktest(result.report)}`;
              },
            }
          : {}),
        ...options.console?.extensions,
      },
    }),
    webhooks: {
      verifyToken: options.verifyToken ?? env.META_VERIFY_TOKEN,
      maxBodyBytes: env.WEBHOOK_MAX_BODY_BYTES,
      receiveDelivery,
    },
  });

  const jobs = [
    ...periodicJobs({
      env,
      db: database.db,
      accounts,
      graph,
      store: inbox,
      cache: classifierCache,
      logger,
      onQueued: () => dispatch.eventsQueued?.(),
      ...(options.queueJobs ? { queue: options.queueJobs } : {}),
    }),
    ...(notifier === silentNotifier ? [] : [attentionJob(env, database, notifier, options.attentionMemory)]),
    ...(spamModel
      ? [{ name: 'learned spam model check', everyMinutes: 1, atMinute: 0, run: () => spamModel.refresh() }]
      : []),
  ];

  return {
    env,
    logger,
    database,
    inbox,
    actions,
    accounts,
    graph,
    app,
    jobs,
    receiveDelivery,
    decideEvents,
    carryOutAction,
    notifier,
    /** The learned spam model in force (null: the shipped one only, e.g. on Workers). */
    spamModel,
  };
}

export type Runtime = ReturnType<typeof createRuntime>;

/** Without a watcher's record (tests, Workers' bundled rules): the set itself, no load time. */
function rulesInForceOf(rules: (() => RuleSet) | undefined) {
  if (!rules) return undefined;
  return () => {
    const set = rules();
    return { hash: set.hash, files: set.files.map((f) => f.path), rules: set.rules.length, loadedAt: null };
  };
}

function required(rules: (() => RuleSet) | undefined): () => RuleSet {
  if (!rules) throw new Error('createRuntime needs `rules` (or an explicit `handler`)');
  return rules;
}

export function accountStoreFromEnv(env: Env, database: DatabaseHandle): AccountStore {
  return createAccountStore(createAccountsRepo(database.db), {
    lookupCacheMs: 1000,
    encryptionKey: env.MODBOT_ENCRYPTION_KEY,
    envAccount: envAccountFrom(env),
  });
}

/** Notices to NOTIFY_WEBHOOK_URL, gathered and rate-limited (src/notify/webhook.ts); none when unset. */
function notifierFromEnv(env: Env, logger: Logger): Notifier {
  if (!env.NOTIFY_WEBHOOK_URL) return silentNotifier;
  return createWebhookNotifier({
    url: env.NOTIFY_WEBHOOK_URL,
    logger,
    minIntervalMs: env.NOTIFY_INTERVAL_SECONDS * 1000,
  });
}

/** People hear when an account needs re-authorisation (whoever found out: actuator, reads, refresh). */
function withReauthNotice(accounts: AccountStore, notifier: Notifier): AccountStore {
  if (notifier === silentNotifier) return accounts;
  return {
    ...accounts,
    async setStatus(id, status, reason) {
      await accounts.setStatus(id, status, reason);
      if (status === 'reauth_needed' || status === 'disconnected')
        notifier.notify({ kind: 'reauth_needed', accountId: id, reason });
    },
  };
}

/** Dead letters and a long review queue, checked every 5 minutes (src/notify/attention.ts). */
function attentionJob(env: Env, database: DatabaseHandle, notifier: Notifier, memory?: AttentionMemory) {
  return {
    name: 'notify what waits for people',
    everyMinutes: 5,
    atMinute: 1,
    run: watchAttention({
      counts: createAttentionCounts(database.db),
      notifier,
      reviewQueueOver: env.NOTIFY_REVIEW_QUEUE_OVER,
      ...(memory ? { memory } : {}),
    }),
  };
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

/**
 * Per-account write pacing and hourly write budget. Adaptive (default): by Meta's usage headers,
 * never slower at low usage than the fixed rate would be; fixed: a token bucket per minute.
 */
export function pacersFromEnv(env: Env): { pacer: Pacer; budget: Pacer } {
  return {
    pacer:
      env.GRAPH_PACING === 'adaptive'
        ? createAdaptivePacer({
            maxRatePerSecond: Math.max(env.GRAPH_WRITES_PER_SECOND_MAX, env.GRAPH_WRITES_PER_MINUTE / 60),
          })
        : createPacer({
            ratePerSecond: env.GRAPH_WRITES_PER_MINUTE / 60,
            burst: Math.max(1, Math.ceil(env.GRAPH_WRITES_PER_MINUTE / 6)),
          }),
    budget: createPacer({
      ratePerSecond: env.GRAPH_WRITES_PER_HOUR / 3600,
      burst: env.GRAPH_WRITES_PER_HOUR,
    }),
  };
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
