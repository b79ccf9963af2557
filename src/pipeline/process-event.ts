/**
 * Moderating one stored event: the inbox handler.
 *   event → rules (pure; classifiers only when a rule needs them) → decision recorded with the
 *   rule set that made it → (acting on Instagram comes with the Graph API issue: until then every
 *   decision is recorded as a dry run) → done.
 */
import type { DecisionRecorder } from '../audit/record.js';
import type { Logger } from '../log.js';
import { type EvaluatePorts, evaluate, type RuleSet } from '../moderation/index.js';
import type { InboxHandler } from '../queue/process.js';

export interface ProcessEventDeps {
  /** The rule set in force (hot-reloaded on Node, bundled on Workers). */
  readonly rules: () => RuleSet;
  readonly ports: EvaluatePorts;
  readonly recordDecision: DecisionRecorder;
  readonly dryRun: boolean;
  readonly logger: Logger;
  readonly now?: () => number;
}

export function createProcessEvent(deps: ProcessEventDeps): InboxHandler {
  const now = deps.now ?? (() => performance.now());
  return async (item) => {
    const { event } = item;
    if (event.isTest) return { outcome: 'done' };
    const started = now();
    const ruleSet = deps.rules();
    // Mentions carry ids only; their text is fetched from the Graph API (not wired yet), so
    // rules see an empty text and only non-text conditions can match.
    const text = event.text;
    const decision = await evaluate(ruleSet, { event, text }, deps.ports);
    // Acting on Instagram is not wired yet: every decision is a dry run for now.
    const dryRun = true;
    const recorded = await deps.recordDecision({
      inboxId: item.id,
      event,
      text,
      ruleSet,
      decision,
      dryRun: dryRun || deps.dryRun,
      durationMs: now() - started,
    });
    deps.logger.info('decision', {
      inboxId: item.id,
      decisionId: recorded.id,
      commentId: event.commentId,
      action: decision.action,
      rule: decision.decidingRule,
      fired: decision.fired.map((r) => r.ruleId),
      dryRun: true,
      ...(recorded.created ? {} : { note: 'already decided; kept the first decision' }),
    });
    return { outcome: 'done' };
  };
}
