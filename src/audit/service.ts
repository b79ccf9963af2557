/**
 * The audit log as the transports see it (the admin API, Meta's callbacks, the CLI): its queries
 * and the flows that act on the record, bound to one database by the composition root, so that
 * http/ and cli/ never hold SQL or a database handle.
 */
import type { Database } from '../db/client.js';
import { decisionsNameRule } from '../db/repos/audit-queries.js';
import type { Classifier, RuleSet } from '../moderation/index.js';
import { candidateRuleSet, type RuleFileChange } from './backtest/candidate.js';
import { type BacktestOptions, type BacktestReport, runBacktest } from './backtest/run.js';
import { inboxStateOfComment, listDeadLetters, retryDeadLetters } from './dead-letters.js';
import { disconnectAccount, eraseSubject, erasureStatus } from './erase-subject.js';
import { lockedMedia, lockMedia, mediaLockHistory, unlockMedia } from './lock-media.js';
import { moderate, reviewQueue } from './moderator-action.js';
import { auditStats, getDecision, listDecisions } from './query.js';
import { runRetention } from './retention.js';
import { rulesStatus } from './rule-status.js';

/** Everything but the first argument (the database), for the bound functions below. */
type Rest<F> = F extends (db: Database, ...rest: infer R) => unknown ? R : never;

export interface AuditServiceOptions {
  readonly retentionDays: number;
  /** The secret erasure records hash the subject's id with (erase-subject.ts `subjectHash`). */
  readonly subjectKey?: string | undefined;
  /**
   * Free local classifiers (the builtin) a backtest may run for scores that neither the recorded
   * decision nor the cache has. Paid classifiers never go here: a backtest calls no API.
   */
  readonly offlineClassifiers?: ReadonlyMap<string, Classifier>;
}

export function createAuditService(db: Database, options: AuditServiceOptions) {
  return {
    listDecisions: (...a: Rest<typeof listDecisions>) => listDecisions(db, ...a),
    getDecision: (...a: Rest<typeof getDecision>) => getDecision(db, ...a),
    stats: (...a: Rest<typeof auditStats>) => auditStats(db, ...a),
    reviewQueue: (...a: Rest<typeof reviewQueue>) => reviewQueue(db, ...a),
    moderate: (...a: Rest<typeof moderate>) => moderate(db, ...a),
    lockMedia: (...a: Rest<typeof lockMedia>) => lockMedia(db, ...a),
    unlockMedia: (...a: Rest<typeof unlockMedia>) => unlockMedia(db, ...a),
    mediaLockHistory: (...a: Rest<typeof mediaLockHistory>) => mediaLockHistory(db, ...a),
    lockedMedia: (...a: Rest<typeof lockedMedia>) => lockedMedia(db, ...a),
    eraseSubject: (request: Rest<typeof eraseSubject>[0]) =>
      eraseSubject(db, request, { subjectKey: options.subjectKey }),
    erasureStatus: (...a: Rest<typeof erasureStatus>) => erasureStatus(db, ...a),
    disconnectAccount: (...a: Rest<typeof disconnectAccount>) => disconnectAccount(db, ...a),
    /** Whether any decision names the rule (an empty `--rule` result: unknown rule, or quiet one). */
    decisionsNameRule: (rule: string) => decisionsNameRule(db, rule),
    deadLetters: (...a: Rest<typeof listDeadLetters>) => listDeadLetters(db, ...a),
    retryDeadLetters: (...a: Rest<typeof retryDeadLetters>) => retryDeadLetters(db, ...a),
    inboxStateOfComment: (...a: Rest<typeof inboxStateOfComment>) => inboxStateOfComment(db, ...a),
    /** What a candidate rule set (and classifiers) would have done to the stored comments (docs/backtest.md). */
    backtest: (o: Omit<BacktestOptions, 'offlineClassifiers'>) =>
      runBacktest(db, { ...o, offlineClassifiers: options.offlineClassifiers ?? new Map() }),
    /**
     * A backtest of changed rule files (the API, the console): `inForce` with `files` put in
     * place of the files of the same name; a set with errors comes back as its errors.
     */
    backtestChanges: async (
      inForce: RuleSet,
      o: Omit<BacktestOptions, 'offlineClassifiers' | 'candidateRules'> & {
        files: readonly RuleFileChange[];
        remove?: readonly string[];
      },
    ): Promise<
      | { ok: true; replaced: string[]; added: string[]; report: BacktestReport }
      | { ok: false; errors: string[] }
    > => {
      const { files, remove, ...rest } = o;
      const candidate = candidateRuleSet(inForce, files, remove);
      if (!candidate.ok) return candidate;
      const report = await runBacktest(db, {
        ...rest,
        candidateRules: candidate.ruleSet,
        offlineClassifiers: options.offlineClassifiers ?? new Map(),
      });
      return { ok: true, replaced: candidate.replaced, added: candidate.added, report };
    },
    /** Per rule: mode, hits, shadow evidence (`modbot rules status`). */
    rulesStatus: (ruleSet: RuleSet, now?: Date) => rulesStatus(db, ruleSet, now),
    /** Retention now; `days` defaults to RETENTION_DAYS. */
    runRetention: (days = options.retentionDays) => runRetention(db, { days }),
  };
}

export type AuditService = ReturnType<typeof createAuditService>;
