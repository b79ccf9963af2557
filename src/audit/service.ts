/**
 * The audit log as the transports see it (the admin API, Meta's callbacks, the CLI): its queries
 * and the flows that act on the record, bound to one database by the composition root, so that
 * http/ and cli/ never hold SQL or a database handle.
 */
import type { Database } from '../db/client.js';
import { decisionsNameRule } from '../db/repos/audit-queries.js';
import { inboxStateOfComment, listDeadLetters, retryDeadLetters } from './dead-letters.js';
import { disconnectAccount, eraseSubject, erasureStatus } from './erase-subject.js';
import { lockedMedia, lockMedia, mediaLockHistory, unlockMedia } from './lock-media.js';
import { moderate, reviewQueue } from './moderator-action.js';
import { auditStats, getDecision, listDecisions } from './query.js';
import { runRetention } from './retention.js';

/** Everything but the first argument (the database), for the bound functions below. */
type Rest<F> = F extends (db: Database, ...rest: infer R) => unknown ? R : never;

export function createAuditService(
  db: Database,
  options: {
    readonly retentionDays: number;
    /** The secret erasure records hash the subject's id with (erase-subject.ts `subjectHash`). */
    readonly subjectKey?: string | undefined;
  },
) {
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
    /** Retention now; `days` defaults to RETENTION_DAYS. */
    runRetention: (days = options.retentionDays) => runRetention(db, { days }),
  };
}

export type AuditService = ReturnType<typeof createAuditService>;
