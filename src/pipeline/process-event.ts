/**
 * Moderating one stored event (the inbox handler), one readable flow:
 *   mention? fetch its text → rules (classifiers only when a rule needs them) → decision and
 *   planned actions recorded in one transaction → the actuator is woken to carry them out.
 * Dry run (DRY_RUN, an account without a token, shadow rules) records what would have been done
 * and plans nothing to call.
 */
import type { AccountCredentials, AccountStore } from '../accounts/store.js';
import type { DecisionRecorder } from '../audit/record.js';
import type { GraphClient, GraphResult } from '../graph/client.js';
import type { Logger } from '../log.js';
import { type EvaluatePorts, evaluate, type RuleSet } from '../moderation/index.js';
import type { HandlerResult, InboxHandler } from '../queue/process.js';
import type { InstagramEvent } from '../webhook/events.js';
import { type DryRunReason, planActions } from './plan.js';

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
  readonly ports: EvaluatePorts;
  readonly recordDecision: DecisionRecorder;
  readonly accounts: AccountStore;
  readonly mentions: MentionReader | null;
  readonly dryRun: boolean;
  readonly logger: Logger;
  /** Called when a decision planned actions to execute (Node wakes the actuator). */
  readonly onActionsPlanned?: (actionIds: readonly string[]) => void;
}

const reauthWaitMs = 15 * 60_000;

export function createProcessEvent(deps: ProcessEventDeps): InboxHandler {
  return async (item): Promise<HandlerResult> => {
    const { event } = item;
    if (event.isTest) return { outcome: 'done' };
    const started = performance.now();

    const { summary: account, credentials } = await deps.accounts.lookup(event.accountId);
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

    const ruleSet = deps.rules();
    const evaluated = await evaluate(ruleSet, { event, text }, deps.ports);
    const decision = notes.length > 0 ? { ...evaluated, notes: [...evaluated.notes, ...notes] } : evaluated;
    const planned = planActions(decision, event, dryRun);
    const recorded = await deps.recordDecision({
      inboxId: item.id,
      event,
      text,
      ruleSet,
      decision,
      actions: planned,
      dryRun: dryRun !== null,
      durationMs: performance.now() - started,
    });
    deps.logger.info('decision', {
      inboxId: item.id,
      decisionId: recorded.id,
      commentId: event.commentId,
      action: decision.action,
      rule: decision.decidingRule,
      fired: decision.fired.map((r) => r.ruleId),
      dryRun: dryRun ?? false,
      ...(recorded.created ? {} : { note: 'already decided; kept the first decision' }),
    });
    if (recorded.plannedActionIds.length > 0) deps.onActionsPlanned?.(recorded.plannedActionIds);
    return { outcome: 'done' };
  };
}
