/**
 * What the pipeline hands to storage and gets back, and the small interfaces the database layer
 * implements for it (src/db/repos/): the decision recorder (src/db/repos/decisions.ts) and the
 * actions outbox (src/db/repos/actions.ts). Types only: the pipeline never sees SQL.
 */
import type { Decision, RuleSet } from '../moderation/index.js';
import type { InstagramEvent } from '../webhook/events.js';
import type { ActionStatus, ActionType, PlannedAction } from './plan.js';

// ---------------------------------------------------------------------------------------------
// Decisions

export interface DecisionToRecord {
  readonly inboxId: number;
  readonly event: InstagramEvent;
  readonly text: string | null;
  readonly ruleSet: RuleSet;
  readonly decision: Decision;
  readonly actions: readonly PlannedAction[];
  readonly dryRun: boolean;
  readonly durationMs: number;
  /**
   * The inbox claim this decision settles: the row is marked done in the same transaction, so
   * an event is done exactly when its decision is stored.
   */
  readonly inboxClaim?: string;
}

export interface RecordedDecision {
  readonly id: string;
  /** false when the inbox row already had a decision (this one was not written). */
  readonly created: boolean;
  /** Ids of the actions waiting to be executed (status planned), claimed ones included. */
  readonly plannedActionIds: readonly string[];
  /** The types of those actions, in the same order (a lockdown shows as comments_off). */
  readonly plannedTypes?: readonly ActionType[];
  /** The action written already claimed for the caller to execute now (see `claimFirst`). */
  readonly claimed: readonly ActionItem[];
  /** With `inboxClaim`: whether the inbox row was marked done (false: the claim was lost). */
  readonly inboxDone: boolean | null;
}

/** Records decisions (results in input order); one statement whatever the batch size. */
export type DecisionRecorder = (inputs: readonly DecisionToRecord[]) => Promise<RecordedDecision[]>;

// ---------------------------------------------------------------------------------------------
// Actions (the outbox)

export interface ActionItem {
  readonly id: string;
  readonly decisionId: string | null;
  readonly accountId: string;
  readonly commentId: string | null;
  readonly mediaId: string | null;
  readonly type: ActionType;
  readonly message: string | null;
  readonly actor: string;
  /** 1 on the first try. */
  readonly attempts: number;
  readonly claimToken: string;
}

export interface AttemptRecord {
  readonly startedAt: Date;
  readonly durationMs: number;
  readonly request: string;
  readonly httpStatus: number | null;
  readonly outcome: string;
  readonly errorCode: number | null;
  readonly errorSubcode: number | null;
  readonly error: string | null;
  readonly response: unknown;
}

export type Finish =
  | {
      readonly status: Extract<ActionStatus, 'done' | 'failed' | 'gone'>;
      readonly result?: unknown;
      readonly error?: string;
    }
  /** Not called: recorded as what would have been done, and why. */
  | { readonly status: 'dry_run'; readonly reason: string }
  /** Try again after `retryInMs`; `countAttempt: false` for waits that are not the action's fault. */
  | {
      readonly status: 'retry';
      readonly retryInMs: number;
      readonly error: string;
      readonly countAttempt: boolean;
    };

/** What the actuator needs from the outbox: recording what became of the actions it carried out. */
export interface ActionOutbox {
  /**
   * Records the outcome of claimed actions and the calls they made. Results in input order:
   * `kept` false where the claim was lost (lease expired), `nextDue` when the decision's next
   * action may start now.
   */
  finishMany(
    entries: readonly { item: ActionItem; finish: Finish; attempts: readonly AttemptRecord[] }[],
    maxAttempts: number,
  ): Promise<{ kept: boolean; nextDue: boolean }[]>;
}
