/**
 * Writes a decision to the audit log together with the rule set that made it (stored once per
 * hash) and its planned actions (the outbox), in one transaction: intent is recorded before
 * anything is called. A decision for an inbox row that already has one is not written again; the
 * existing one is returned, so a reclaimed or retried event never gets two decisions.
 */
import { eq } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { actions } from '../db/schema/actions.js';
import { decisions } from '../db/schema/decisions.js';
import { ruleSets } from '../db/schema/rule-sets.js';
import { type Decision, type RuleSet, textHash } from '../moderation/index.js';
import type { PlannedAction } from '../pipeline/plan.js';
import type { InstagramEvent } from '../webhook/events.js';

export interface DecisionToRecord {
  readonly inboxId: number;
  readonly event: InstagramEvent;
  readonly text: string | null;
  readonly ruleSet: RuleSet;
  readonly decision: Decision;
  readonly actions: readonly PlannedAction[];
  readonly dryRun: boolean;
  readonly durationMs: number;
}

export interface RecordedDecision {
  readonly id: string;
  /** false when the inbox row already had a decision (this one was not written). */
  readonly created: boolean;
  /** Ids of the actions waiting to be executed (status planned). */
  readonly plannedActionIds: readonly string[];
}

export function createDecisionRecorder(db: Database) {
  const knownRuleSets = new Set<string>();

  return async function recordDecision(input: DecisionToRecord): Promise<RecordedDecision> {
    const { decision, event, ruleSet } = input;
    const id = crypto.randomUUID();
    const recorded = await db.transaction(async (tx): Promise<RecordedDecision> => {
      if (!knownRuleSets.has(ruleSet.hash)) {
        await tx
          .insert(ruleSets)
          .values({
            hash: ruleSet.hash,
            files: ruleSet.files.map((f) => ({ path: f.path, content: f.content })),
          })
          .onConflictDoNothing();
      }
      const { rules: _explainOnly, ...detail } = decision;
      const inserted = await tx
        .insert(decisions)
        .values({
          id,
          inboxId: input.inboxId,
          accountId: event.accountId,
          kind: event.kind,
          commentId: event.commentId,
          mediaId: event.mediaId,
          authorId: event.author?.id ?? null,
          authorUsername: event.author?.username ?? null,
          text: input.text,
          normalisedText: decision.normalisedText,
          textHash: textHash(decision.normalisedText),
          ruleSetHash: ruleSet.hash,
          outcome: decision.outcome,
          action: decision.action,
          decidingRule: decision.decidingRule,
          firedRules: decision.fired.map((r) => r.ruleId),
          detail,
          steps: decision.steps,
          dryRun: input.dryRun,
          durationMs: Math.round(input.durationMs),
        })
        .onConflictDoNothing({ target: decisions.inboxId })
        .returning({ id: decisions.id });
      if (inserted.length === 0) {
        const [existing] = await tx
          .select({ id: decisions.id })
          .from(decisions)
          .where(eq(decisions.inboxId, input.inboxId));
        return { id: existing?.id ?? id, created: false, plannedActionIds: [] };
      }
      const rows = input.actions.map((a) => ({
        id: crypto.randomUUID(),
        decisionId: id,
        inboxId: input.inboxId,
        accountId: event.accountId,
        // Instagram takes replies on top-level comments only: a reply to a reply goes under its parent.
        commentId: a.type === 'reply' && event.parentId ? event.parentId : event.commentId,
        mediaId: event.mediaId,
        type: a.type,
        message: a.message,
        seq: a.seq,
        priority: a.priority,
        ruleId: a.ruleId,
        status: a.status,
        reason: a.reason,
      }));
      if (rows.length > 0) await tx.insert(actions).values(rows);
      return {
        id,
        created: true,
        plannedActionIds: rows.filter((r) => r.status === 'planned').map((r) => r.id),
      };
    });
    knownRuleSets.add(ruleSet.hash);
    return recorded;
  };
}

export type DecisionRecorder = ReturnType<typeof createDecisionRecorder>;
