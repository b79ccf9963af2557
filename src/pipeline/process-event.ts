/**
 * Moderating stored events (the inbox handler), one readable flow per event:
 *   mention? fetch its text → rules (classifiers only when a rule needs them) → decision and
 *   planned actions recorded, and the event marked done, in one transaction → the first action
 *   runs at once, the actuator carries out the rest.
 * Dry run (DRY_RUN, an account without a token, shadow rules) records what would have been done
 * and plans nothing to call.
 *
 * Events come in claimed batches: each one's text is read (mentions: fetched) in turn, then
 * they are decided side by side (the repetition counts of the whole batch are one query) and
 * all the decisions are recorded in one statement. Repetition counts stay exact inside a batch:
 * each event counts the decisions already stored plus the events before it in the batch, as if
 * they had been decided one after another. Across concurrent batches of this process too: a
 * count waits for an earlier batch holding the same text to be stored (TextsInFlight).
 */
import type { AccountCredentials, AccountStore } from '../accounts/store.js';
import type { GraphClient, GraphResult } from '../graph/client.js';
import type { Logger } from '../log.js';
import { type EvaluatePorts, evaluate, type RuleSet, repetitionKey } from '../moderation/index.js';
import type { RepetitionQuery } from '../moderation/ports.js';
import type { InboxItem } from '../queue/ports.js';
import type { HandlerResult, InboxBatchHandler } from '../queue/process.js';
import type { InstagramEvent } from '../webhook/events.js';
import { type DryRunReason, planActions } from './plan.js';
import type { ActionItem, DecisionRecorder, DecisionToRecord } from './ports.js';
import { TextsInFlight } from './texts-in-flight.js';

/** Reads the text of a mention (the webhook carries ids only): its comment, or the media caption. */
export type MentionReader = Pick<GraphClient, 'getMentionedComment' | 'getMentionedMedia'>;

async function mentionText(
  graph: MentionReader,
  account: AccountCredentials,
  event: InstagramEvent,
): Promise<GraphResult<string | null>> {
  if (event.kind === 'mention_comment' && event.commentId) {
    const r = await graph.getMentionedComment(account, event.commentId);
    return r.ok ? { ...r, value: r.value?.text ?? null } : r;
  }
  const r = await graph.getMentionedMedia(account, event.mediaId ?? '');
  return r.ok ? { ...r, value: r.value?.caption ?? null } : r;
}

export interface ProcessEventDeps {
  /** The rule set in force (hot-reloaded on Node, bundled on Workers). */
  readonly rules: () => RuleSet;
  /** Classifiers and the clock; repetition counts come from `repetition` below. */
  readonly ports: Omit<EvaluatePorts, 'repetition'>;
  /** Counts earlier decisions with the same text, leaving out the given inbox rows. */
  readonly repetition?: {
    count(
      q: RepetitionQuery,
      excludeInboxIds: readonly number[],
      options?: { throughNow?: boolean },
    ): Promise<number>;
  };
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
}

export interface PlannedForExecution {
  readonly ids: readonly string[];
  readonly claimed: readonly ActionItem[];
}

const reauthWaitMs = 15 * 60_000;

type Account = Awaited<ReturnType<AccountStore['lookup']>>;

/** An event ready to be judged: its text, and why nothing may be called for it (if so). */
interface ReadEvent {
  readonly index: number;
  readonly item: InboxItem;
  readonly text: string | null;
  readonly notes: readonly string[];
  readonly dryRun: DryRunReason | null;
  readonly started: number;
}

export function createProcessEvent(deps: ProcessEventDeps): InboxBatchHandler {
  const textsInFlight = new TextsInFlight();
  /** What an event says (a mention's text is fetched), or why it cannot be decided now. */
  const readEvent = async (
    index: number,
    item: InboxItem,
    { summary: account, credentials }: Account,
  ): Promise<ReadEvent | HandlerResult> => {
    const { event } = item;
    const started = performance.now();
    const dryRun: DryRunReason | null = deps.dryRun
      ? 'DRY_RUN is on'
      : account?.status === 'disconnected'
        ? 'the account is disconnected'
        : account?.status === 'reauth_needed'
          ? null // planned for real: the actions wait until the account is re-authorised
          : credentials
            ? null
            : 'the account has no access token';

    let text = event.text;
    const notes: string[] = [];
    if (event.kind === 'mention_comment' || event.kind === 'mention_caption') {
      if (!credentials || !deps.mentions) {
        notes.push('mention text not fetched: the account has no access token');
      } else if (account?.status === 'reauth_needed') {
        return {
          outcome: 'defer',
          reason: 'the account needs re-authorisation to read the mention',
          retryInMs: reauthWaitMs,
        };
      } else {
        const fetched = await mentionText(deps.mentions, credentials, event);
        if (fetched.ok) text = fetched.value;
        else if (fetched.error.kind === 'token') {
          await deps.accounts.setStatus(
            event.accountId,
            fetched.error.account === 'disconnected' ? 'disconnected' : 'reauth_needed',
            fetched.error.message,
          );
          return {
            outcome: 'defer',
            reason: `reading the mention: ${fetched.error.message}`,
            retryInMs: reauthWaitMs,
          };
        } else if (fetched.error.kind === 'throttled') {
          return {
            outcome: 'defer',
            reason: `reading the mention: ${fetched.error.message}`,
            retryInMs: fetched.error.retryAfterMs ?? 60_000,
          };
        } else if (fetched.error.retryable || fetched.error.kind === 'unknown') {
          return { outcome: 'retry', error: `reading the mention: ${fetched.error.message}` };
        } else {
          notes.push(`mention text not available (${fetched.error.kind}: ${fetched.error.message})`);
        }
      }
    }
    return { index, item, text, notes, dryRun, started };
  };

  /**
   * Repetition counts for the events of one batch: the decisions stored outside the batch, plus
   * the events before this one in the batch with the same text (their decisions are not stored
   * yet). Counts asked at the same time share one query. A count for a text that an earlier batch
   * of this process is still deciding waits for that batch to be stored (TextsInFlight); call
   * `settled` once this batch is stored or has failed.
   */
  const batchCounter = (ready: readonly ReadEvent[]) => {
    const counter = deps.repetition;
    if (!counter) return { countsFor: () => undefined, settled: () => {} };
    const batchIds = ready.map((r) => r.item.id);
    const keys = ready.map((r) => ({
      accountId: r.item.event.accountId,
      authorKey: r.item.event.author?.id ?? r.item.event.author?.username ?? null,
      textHash: repetitionKey({ event: r.item.event, text: r.text }),
    }));
    const textKey = (accountId: string, textHash: string) => `${accountId}\u0000${textHash}`;
    const inFlight = textsInFlight.enter(keys.map((k) => textKey(k.accountId, k.textHash)));
    const countsFor = (position: number): EvaluatePorts['repetition'] => ({
      async count(q) {
        // Another batch deciding the same text right now: count after its decisions are stored.
        const waited = await inFlight.before(textKey(q.accountId, q.textHash));
        // Its decisions were stored after this comment's `now`: count up to the present.
        const stored = await counter.count(q, batchIds, { throughNow: waited });
        const earlier = keys
          .slice(0, position)
          .filter(
            (k) =>
              k.accountId === q.accountId &&
              k.textHash === q.textHash &&
              (q.authorId === null || k.authorKey === q.authorId),
          ).length;
        return stored + earlier;
      },
    });
    return { countsFor, settled: inFlight.settled };
  };

  const judge = async (
    r: ReadEvent,
    ruleSet: RuleSet,
    ports: EvaluatePorts,
  ): Promise<DecisionToRecord & { readonly dryRunReason: DryRunReason | null }> => {
    const { item, text, notes, dryRun } = r;
    const { event } = item;
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
  };

  /** Steps 2 and 3 of a batch: judge the events read, then record the decisions. */
  const judgeAndRecord = async (
    ready: readonly ReadEvent[],
    ruleSet: RuleSet,
    countsFor: (position: number) => EvaluatePorts['repetition'],
    results: HandlerResult[],
  ): Promise<HandlerResult[]> => {
    // 2. Judge them side by side.
    const judged = await Promise.all(
      ready.map(async (r, position) => {
        try {
          const repetition = countsFor(position);
          return await judge(r, ruleSet, repetition ? { ...deps.ports, repetition } : deps.ports);
        } catch (error) {
          results[r.index] = { outcome: 'retry', error: (error as Error).message ?? String(error) };
          return null;
        }
      }),
    );
    const toRecord = judged.flatMap((j, i) => (j ? [{ index: ready[i]?.index ?? -1, judged: j }] : []));
    if (toRecord.length === 0) return results;

    // 3. Record every decision, its actions and the inbox rows' completion in one statement.
    let recorded: Awaited<ReturnType<DecisionRecorder>>;
    try {
      recorded = await deps.recordDecisions(toRecord.map((r) => r.judged));
    } catch (error) {
      const failed: HandlerResult = {
        outcome: 'retry',
        error: `recording the decisions: ${(error as Error).message}`,
      };
      for (const { index } of toRecord) results[index] = failed;
      return results;
    }
    const planned: string[] = [];
    const claimed: ActionItem[] = [];
    toRecord.forEach(({ index, judged: record }, i) => {
      const r = recorded[i];
      if (!r) return;
      results[index] = { outcome: 'done', completed: r.inboxDone ?? false };
      const { decision, event } = record;
      deps.logger.info('decision', {
        inboxId: record.inboxId,
        decisionId: r.id,
        commentId: event.commentId,
        action: decision.action,
        rule: decision.decidingRule,
        fired: decision.fired.map((f) => f.ruleId),
        dryRun: record.dryRunReason ?? false,
        ...(r.created ? {} : { note: 'already decided; kept the first decision' }),
      });
      planned.push(...r.plannedActionIds);
      claimed.push(...r.claimed);
    });
    if (planned.length > 0) deps.onActionsPlanned?.({ ids: planned, claimed });
    return results;
  };

  return async (items) => {
    const ruleSet = deps.rules();
    const results: HandlerResult[] = items.map(() => ({ outcome: 'done' }));
    const accountIds = [...new Set(items.map((i) => i.event.accountId))];
    const accounts = new Map(
      await Promise.all(accountIds.map(async (id) => [id, await deps.accounts.lookup(id)] as const)),
    );

    // 1. Read each event (in turn: a mention's text is a Graph call).
    const ready: ReadEvent[] = [];
    for (const [index, item] of items.entries()) {
      if (item.event.isTest) continue; // test events are kept for the record, never decided
      try {
        const account = accounts.get(item.event.accountId) ?? { summary: null, credentials: null };
        const read = await readEvent(index, item, account);
        if ('outcome' in read) results[index] = read;
        else ready.push(read);
      } catch (error) {
        results[index] = { outcome: 'retry', error: (error as Error).message ?? String(error) };
      }
    }

    // 2. Judge them side by side, 3. record the decisions.
    const { countsFor, settled } = batchCounter(ready);
    try {
      return await judgeAndRecord(ready, ruleSet, countsFor, results);
    } finally {
      settled();
    }
  };
}
