/**
 * What the evaluator takes and gives back: the comment to judge, and the Decision with every rule
 * that fired, their condition traces, classifier calls, fallbacks and the planned steps. Types only.
 */
import type { InstagramEvent } from '../webhook/events.js';
import type { ClassifierResult } from './ports.js';
import type { Fallback, RuleAction } from './rules/schema.js';

export interface ModerationInput {
  readonly event: InstagramEvent;
  /** The text to judge. Defaults to event.text; for mentions the pipeline passes the fetched text. */
  readonly text?: string | null;
}

export interface EvaluateOptions {
  /** Record every rule's conditions, matched or not (for `rules explain`). */
  readonly explain?: boolean;
}

export type ConditionResult = 'matched' | 'not matched' | 'not evaluated';

export interface ConditionTrace {
  /** The condition as written, e.g. "text contains any". */
  readonly condition: string;
  readonly result: ConditionResult;
  /** What was found, e.g. `found "dm me"`, `2 mentions (at least 1)`. */
  readonly detail: string;
  /** Nesting depth under any/all/not, for display. */
  readonly depth: number;
}

export interface FallbackApplied {
  readonly ruleId: string;
  readonly classifier: string;
  readonly fallback: Fallback;
  readonly error: string;
}

export interface ClassifierCall {
  readonly classifier: string;
  readonly question: string | null;
  readonly result: ClassifierResult | null;
  readonly error: { readonly code: string; readonly message: string } | null;
}

export interface RuleOutcome {
  readonly ruleId: string;
  readonly mode: 'enforce' | 'shadow';
  readonly priority: number;
  readonly reason: string | null;
  /** true: fired; false: did not; null: not evaluated (it could not change the decision). */
  readonly matched: boolean | null;
  /** The rule's actions, or its classifier fallback when one applied. */
  readonly actions: readonly RuleAction[];
  readonly conditions: readonly ConditionTrace[];
  /** Terms, domains, handles or regex matches that matched. */
  readonly matchedTerms: readonly string[];
  readonly fallback: FallbackApplied | null;
}

export type PlannedStep =
  | { readonly type: 'reply'; readonly text: string; readonly to: 'comment' | 'mention' }
  | { readonly type: 'hide' }
  | { readonly type: 'delete' }
  | { readonly type: 'review' }
  /** Comments off on the comment's media now, back on after `forSeconds` (a lockdown). */
  | { readonly type: 'lock_comments'; readonly forSeconds: number };

export type FinalAction = 'allow' | 'reply' | 'review' | 'hide' | 'delete';

export interface DecisionBase {
  readonly ruleSetHash: string;
  /** What the rules matched on. Its key for repetition and caches is `textHash(normalisedText)`. */
  readonly normalisedText: string;
  /** Every rule that fired, enforce and shadow, in decision order. */
  readonly fired: readonly RuleOutcome[];
  /** What the shadow rules would have done had they been enforced (recorded, never acted on). */
  readonly shadow: {
    readonly ruleId: string;
    readonly action: FinalAction;
    readonly steps: readonly PlannedStep[];
  } | null;
  readonly classifierCalls: readonly ClassifierCall[];
  readonly fallbacks: readonly FallbackApplied[];
  /** Non-fatal problems (a repetition counter failure...). */
  readonly notes: readonly string[];
  /** With `explain: true`: every rule applicable to the account, in evaluation order. */
  readonly rules?: readonly RuleOutcome[];
}

export type Decision =
  | (DecisionBase & {
      readonly outcome: 'skipped';
      readonly reason: 'own_comment' | 'test_event';
      readonly action: 'allow';
      readonly decidingRule: null;
      readonly steps: readonly [];
    })
  | (DecisionBase & {
      readonly outcome: 'no_match';
      readonly action: 'allow';
      readonly decidingRule: null;
      readonly steps: readonly [];
    })
  | (DecisionBase & {
      readonly outcome: 'matched';
      readonly action: FinalAction;
      readonly decidingRule: string;
      readonly steps: readonly PlannedStep[];
    });
