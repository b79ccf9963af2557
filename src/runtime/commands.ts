/**
 * What the `modbot` commands need from the composition root: the database opened (and
 * migrated), and the audit log bound to it, so src/cli/ never opens or queries a database itself.
 */

import type { BacktestReport } from '../audit/backtest/run.js';
import { type AuditService, type AuditServiceOptions, createAuditService } from '../audit/service.js';
import {
  type BuiltinModelData,
  createBuiltinClassifier,
  createLearnedBuiltinClassifier,
} from '../classify/builtin/index.js';
import type { DatabaseHandle } from '../db/client.js';
import { liveHolder } from '../db/data-folder-lock.js';
import { applyMigrations } from '../db/migrate.js';
import { type NodeDatabaseHandle, type OpenOptions, openDatabase } from '../db/open.js';
import type { Env } from '../env.js';
import {
  applyLearnedModel,
  type LearnedModelSummary,
  type LearnedStatus,
  learnedModelStatus,
  revertLearnedModel,
  type TrainReport,
  type TrainRequest,
  trainFromAudit,
} from '../learn/train-from-audit.js';
import type { RuleSet } from '../moderation/index.js';

/** Opens the database and applies the committed migrations (closing it again if they fail). */
export async function openMigrated(env: Env, options: OpenOptions = {}): Promise<NodeDatabaseHandle> {
  const database = await openDatabase(env, options);
  try {
    await applyMigrations(database);
  } catch (error) {
    await database.close();
    throw error;
  }
  return database;
}

/** Opens the database, applies migrations, runs `run`, closes. */
export async function withDatabase<T>(env: Env, run: (database: DatabaseHandle) => Promise<T>): Promise<T> {
  const database = await openMigrated(env);
  try {
    return await run(database);
  } finally {
    await database.close();
  }
}

/** `modbot migrate`: applies the committed migrations; says where. */
export function migrateDatabase(env: Env): Promise<{ kind: string; location: string }> {
  return withDatabase(env, async ({ kind, location }) => ({ kind, location }));
}

/** The audit log on this machine's database, for `modbot audit`. */
export interface AuditConnection {
  readonly audit: AuditService;
  close(): Promise<void>;
}

export function auditConnection(
  database: DatabaseHandle,
  env: Pick<Env, 'RETENTION_DAYS'> &
    Partial<Pick<Env, 'ERASURE_HASH_KEY' | 'META_APP_SECRET' | 'INSTAGRAM_APP_SECRET'>>,
  extra: Omit<AuditServiceOptions, 'retentionDays' | 'subjectKey'> = {},
): AuditConnection {
  // Ad hoc queries are planned for their actual parameters (database.adHoc).
  return {
    audit: createAuditService(database.adHoc, {
      ...extra,
      retentionDays: env.RETENTION_DAYS,
      subjectKey: env.ERASURE_HASH_KEY ?? env.META_APP_SECRET ?? env.INSTAGRAM_APP_SECRET,
    }),
    close: () => database.close(),
  };
}

export async function openAuditLog(
  env: Env,
  extra: Omit<AuditServiceOptions, 'retentionDays'> = {},
): Promise<AuditConnection> {
  // Migrated first: on a fresh data folder the first command may come before any start.
  return auditConnection(await openMigrated(env), env, extra);
}

/** The address of the modbot serving the embedded database in MODBOT_DATA_DIR, if one runs. */
export function runningServerUrl(env: Pick<Env, 'DATABASE_URL' | 'MODBOT_DATA_DIR'>): string | null {
  if (env.DATABASE_URL) return null;
  const holder = liveHolder(env.MODBOT_DATA_DIR);
  return holder?.role === 'server' ? holder.url : null;
}

/** Learning from moderators (`modbot train`), bound to this machine's database. */
export interface LearningConnection {
  train(request: TrainRequest): Promise<TrainReport>;
  apply(report: TrainReport, by: string): Promise<LearnedModelSummary>;
  revert(by: string): Promise<Awaited<ReturnType<typeof revertLearnedModel>>>;
  status(): Promise<LearnedStatus>;
  /**
   * What the fitted model would have changed: a rules backtest of the stored comments since
   * `since` with `rules` and the model as the candidate builtin classifier (no API called).
   */
  backtest(model: BuiltinModelData, rules: RuleSet, since: Date): Promise<BacktestReport>;
  close(): Promise<void>;
}

export function learningConnection(database: DatabaseHandle, retentionDays = 90): LearningConnection {
  return {
    backtest: (model, rules, since) =>
      createAuditService(database.adHoc, {
        retentionDays,
        offlineClassifiers: new Map([['builtin', createBuiltinClassifier()]]),
      }).backtest({
        candidateRules: rules,
        candidateClassifiers: new Map([['builtin', createLearnedBuiltinClassifier(model)]]),
        since,
      }),
    train: (request) => trainFromAudit(database.adHoc, request),
    apply: (report, by) => applyLearnedModel(database.db, report, by),
    revert: (by) => revertLearnedModel(database.db, by),
    status: () => learnedModelStatus(database.db),
    close: () => database.close(),
  };
}

export async function openLearning(env: Env): Promise<LearningConnection> {
  return learningConnection(await openMigrated(env), env.RETENTION_DAYS);
}
