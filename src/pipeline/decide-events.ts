/**
 * Decide a batch of events: the story of what modbot does with the comments it has stored.
 *
 *   1. read each event: its text (a mention's is fetched from the Graph API) and whether acting
 *      for its account is allowed (dry run, no token…);
 *   2. judge them side by side with the rules in force (classifiers only when a rule needs them);
 *   3. record every decision, its planned actions and the inbox rows' completion in one statement;
 *   4. hand the planned actions over to be carried out (carry-out-action.ts).
 *
 * Dry run (DRY_RUN, an account without a token, shadow rules) records what would have been done
 * and plans nothing to call. Test events are kept for the record and never decided.
 *
 * Batching machinery lives beside this file, in batch/: repetition counts stay exact inside a
 * batch and across the batches this process decides at the same time (repetition-batch.ts).
 */
import type { AccountStore } from '../accounts/store.js';
import type { Logger } from '../log.js';
import {
  type Decision,
  type EvaluatePorts,
  evaluate,
  isFloodRule,
  type RuleSet,
} from '../moderation/index.js';
import type { Notice } from '../notify/ports.js';
import type { HandlerResult, InboxBatchHandler } from '../queue/process.js';
import type { InstagramEvent } from '../webhook/events.js';
import { repetitionBatch, type StoredRepetitionCounter } from './batch/repetition-batch.js';
import { TextsInFlight } from './batch/texts-in-flight.js';
import { type DryRunReason, planActions } from './plan.js';
import type { ActionItem, DecisionRecorder, DecisionToRecord } from './ports.js';
import { type MentionReader, type ReadEvent, readEvent } from './read-event.js';

export interface DecideEventsDeps {
  /** The rule set in force (hot-reloaded on Node, bundled on Workers). */
  readonly rules: () => RuleSet;
  /** Classifiers and the clock; repetition counts come from `repetition` below. */
  readonly ports: Omit<EvaluatePorts, 'repetition'>;
  readonly repetition?: StoredRepetitionCounter;
  readonly recordDecisions: DecisionRecorder;
  readonly accounts: AccountStore;
  readonly mentions: MentionReader | null;
  readonly dryRun: boolean;
  readonly logger: Logger;
  /**
   * Called when decisions planned actions to execute: their ids, and those the recorder wrote
   * already claimed for this process to execute now (Node runs them and wakes the actuator).
   */
  readonly onActionsPlanned?: (planned: PlannedForExecution) => void;
  /** Tells people about a wave: a lockdown planned, or a flood rule acting (never waits). */
  readonly notify?: (notice: Notice) => void;
}

export interface PlannedForExecution {
  readonly ids: readonly string[];
  readonly claimed: readonly ActionItem[];
}

type Judged = DecisionToRecord & { readonly dryRunReason: DryRunReason | null };

export function createDecideEvents(deps: DecideEventsDeps): InboxBatchHandler {
  const textsInFlight = new TextsInFlight();

  return async function decideEvents(items) {
    const ruleSet = deps.rules();
    const results: HandlerResult[] = items.map(() => ({ outcome: 'done' }));

    // 1. Read each event (in turn: a mention's text is a Graph call).
    const ready = await readEvents(items, results);

    // 2. Judge them side by side.
    const counts = repetitionBatch(
      textsInFlight,
      deps.repetition,
      ready.map((r) => ({ inboxId: r.item.id, event: r.event, text: r.text })),
    );
    try {
      const judged = await Promise.all(
        ready.map(async (r, position) => {
          try {
            const repetition = counts.countsFor(position);
            return await judge(r, ruleSet, repetition ? { ...deps.ports, repetition } : deps.ports);
          } catch (error) {
            results[r.index] = { outcome: 'retry', error: (error as Error).message ?? String(error) };
            return null;
          }
        }),
      );

      // 3. Record the decisions, 4. hand their actions over.
      const toRecord = judged.flatMap((j, i) => (j ? [{ index: ready[i]?.index ?? -1, judged: j }] : []));
      if (toRecord.length > 0) await recordAndHandOver(toRecord, results);
      return results;
    } finally {
      counts.settled();
    }
  };

  /** Step 1 for the batch: the events ready to judge; the others get their result here. */
  async function readEvents(
    items: Parameters<InboxBatchHandler>[0],
    results: HandlerResult[],
  ): Promise<ReadEvent[]> {
    const accountIds = [...new Set(items.map((i) => i.event.accountId))];
    const accounts = new Map(
      await Promise.all(accountIds.map(async (id) => [id, await deps.accounts.lookup(id)] as const)),
    );
    const readDeps = { mentions: deps.mentions, dryRun: deps.dryRun, accounts: deps.accounts };
    const ready: ReadEvent[] = [];
    for (const [index, item] of items.entries()) {
      if (item.event.isTest) continue; // test events are kept for the record, never decided
      try {
        const account = accounts.get(item.event.accountId) ?? { summary: null, credentials: null };
        const read = await readEvent(readDeps, index, item, account);
        if ('outcome' in read) results[index] = read;
        else ready.push(read);
      } catch (error) {
        results[index] = { outcome: 'retry', error: (error as Error).message ?? String(error) };
      }
    }
    return ready;
  }

  /** Step 2 for one event: the rules' decision and the actions it plans. */
  async function judge(r: ReadEvent, ruleSet: RuleSet, ports: EvaluatePorts): Promise<Judged> {
    const { item, event, text, notes, dryRun } = r;
    const evaluated = await evaluate(ruleSet, { event, text }, ports);
    const decision = notes.length > 0 ? { ...evaluated, notes: [...evaluated.notes, ...notes] } : evaluated;
    return {
      inboxId: item.id,
      inboxClaim: item.claimToken,
      event,
      text,
      ruleSet,
      decision,
      actions: planActions(decision, event, dryRun),
      dryRun: dryRun !== null,
      dryRunReason: dryRun,
      durationMs: performance.now() - r.started,
    };
  }

  /** Steps 3 and 4: one statement records them all; then the planned actions are handed over. */
  async function recordAndHandOver(
    toRecord: readonly { index: number; judged: Judged }[],
    results: HandlerResult[],
  ): Promise<void> {
    let recorded: Awaited<ReturnType<DecisionRecorder>>;
    try {
      recorded = await deps.recordDecisions(toRecord.map((r) => r.judged));
    } catch (error) {
      const failed: HandlerResult = {
        outcome: 'retry',
        error: `recording the decisions: ${(error as Error).message}`,
      };
      for (const { index } of toRecord) results[index] = failed;
      return;
    }
    const planned: string[] = [];
    const claimed: ActionItem[] = [];
    toRecord.forEach(({ index, judged }, i) => {
      const r = recorded[i];
      if (!r) return;
      results[index] = { outcome: 'done', completed: r.inboxDone ?? false };
      const { decision, event } = judged;
      deps.logger.info('decision', {
        inboxId: judged.inboxId,
        decisionId: r.id,
        commentId: event.commentId,
        action: decision.action,
        rule: decision.decidingRule,
        fired: decision.fired.map((f) => f.ruleId),
        dryRun: judged.dryRunReason ?? false,
        ...(r.created ? {} : { note: 'already decided; kept the first decision' }),
      });
      planned.push(...r.plannedActionIds);
      claimed.push(...r.claimed);
      if (r.created && deps.notify && decision.decidingRule) {
        const notice = waveNotice(
          judged.ruleSet,
          decision,
          event,
          judged.dryRun ? [] : (r.plannedTypes ?? []),
        );
        if (notice) deps.notify(notice);
      }
    });
    if (planned.length > 0) deps.onActionsPlanned?.({ ids: planned, claimed });
  }
}

/**
 * What people hear about a decision, if anything: a lockdown actually planned (not one already
 * in force), or a flood rule (one counting the same text across the account) acting for real.
 */
function waveNotice(
  ruleSet: RuleSet,
  decision: Decision,
  event: InstagramEvent,
  plannedTypes: readonly string[],
): Notice | null {
  const ruleId = decision.decidingRule;
  if (!ruleId) return null;
  const lock = decision.steps.find((s) => s.type === 'lock_comments');
  if (lock && plannedTypes.includes('comments_off') && event.mediaId)
    return {
      kind: 'lockdown',
      accountId: event.accountId,
      mediaId: event.mediaId,
      ruleId,
      reason: decision.fired.find((f) => f.ruleId === ruleId)?.reason ?? null,
      forSeconds: lock.forSeconds,
    };
  const acted = plannedTypes.length > 0;
  const rule = ruleSet.rules.find((r) => r.id === ruleId);
  if (!acted || !rule || !isFloodRule(rule) || !['hide', 'delete', 'review'].includes(decision.action))
    return null;
  return {
    kind: 'flood',
    accountId: event.accountId,
    mediaId: event.mediaId,
    ruleId,
    action: decision.action,
    commentId: event.commentId,
  };
}
