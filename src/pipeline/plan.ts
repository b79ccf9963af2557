/**
 * From a decision to the actions to carry out (pure). Each planned step becomes an `actions` row,
 * written in the same transaction as the decision (intent recorded before anything is called).
 *
 * Order: the engine puts a reply before a hide (Meta refuses replies under hidden comments);
 * `seq` keeps that order and the actuator never starts an action before the earlier ones of the
 * same decision have finished. Priority: hides and deletes before replies in a backlog.
 * The action types and statuses are defined here; the `actions` table stores them as text.
 */
import type { Decision, PlannedStep } from '../moderation/index.js';
import type { InstagramEvent } from '../webhook/events.js';

export const actionTypes = [
  'hide',
  'unhide',
  'delete',
  'reply',
  'mention_reply',
  'review',
  'comments_off',
  'comments_on',
] as const;
export type ActionType = (typeof actionTypes)[number];

/**
 * planned → in_progress → done | failed | gone (object no longer exists) ;
 * dry_run (recorded, never called) ; held (review: waits for a person) ;
 * waiting (the account needs re-authorisation; resumes when it is fixed) ;
 * dismissed (cancelled by a moderator, or its account was disconnected).
 */
export const actionStatuses = [
  'planned',
  'in_progress',
  'done',
  'failed',
  'gone',
  'dry_run',
  'held',
  'waiting',
  'dismissed',
] as const;
export type ActionStatus = (typeof actionStatuses)[number];

export interface PlannedAction {
  readonly type: ActionType;
  readonly seq: number;
  readonly priority: number;
  readonly message: string | null;
  readonly status: Extract<ActionStatus, 'planned' | 'dry_run' | 'held'>;
  readonly reason: string | null;
  readonly ruleId: string | null;
  /** Not before this many seconds from now (the reopening after a lockdown); now when absent. */
  readonly dueInSeconds?: number;
}

/** Why nothing may be called for this event, or null when acting for real is allowed. */
export type DryRunReason =
  | 'DRY_RUN is on'
  | 'the account has no access token'
  | 'the account needs re-authorisation'
  | 'the account is disconnected'
  | 'test event';

/**
 * Whether modbot may act for an account, one policy for deciding and for carrying out: DRY_RUN
 * wins; a disconnected account or one without a token is never called; an account that needs
 * re-authorisation is planned for real (its actions wait until someone re-authorises it).
 */
export function dryRunReason(
  dryRunOn: boolean,
  account: { readonly status: string } | null,
  hasCredentials: boolean,
): DryRunReason | null {
  if (dryRunOn) return 'DRY_RUN is on';
  if (account?.status === 'disconnected') return 'the account is disconnected';
  if (account?.status === 'reauth_needed') return null;
  return hasCredentials ? null : 'the account has no access token';
}

const priorityOf: Record<ActionType, number> = {
  delete: 0,
  hide: 0,
  unhide: 0,
  comments_off: 0,
  comments_on: 0,
  reply: 1,
  mention_reply: 1,
  review: 2,
};

function typeOf(step: Exclude<PlannedStep, { type: 'lock_comments' }>): ActionType {
  if (step.type === 'reply') return step.to === 'mention' ? 'mention_reply' : 'reply';
  return step.type;
}

/** "2h", "90m", "45s": how long a lockdown lasts, for people. */
export function formatSeconds(seconds: number): string {
  if (seconds % 86400 === 0) return `${seconds / 86400}d`;
  if (seconds % 3600 === 0) return `${seconds / 3600}h`;
  if (seconds % 60 === 0) return `${seconds / 60}m`;
  return `${seconds}s`;
}

export function planActions(
  decision: Decision,
  event: InstagramEvent,
  dryRun: DryRunReason | null,
): PlannedAction[] {
  const planned: PlannedAction[] = [];
  const add = (steps: readonly PlannedStep[], ruleId: string | null, shadow: boolean, seqBase: number) => {
    let seq = seqBase;
    const push = (type: ActionType, message: string | null, why: string | null, dueInSeconds?: number) => {
      let status: PlannedAction['status'] = type === 'review' ? 'held' : 'planned';
      let reason: string | null = type === 'review' ? 'held for a moderator' : why;
      if (shadow) {
        status = 'dry_run';
        reason = 'shadow rule: recorded, never acted on';
      } else if (dryRun && type !== 'review') {
        status = 'dry_run';
        reason = dryRun;
      }
      const row = { type, seq: seq++, priority: priorityOf[type], message, status, reason, ruleId };
      planned.push(dueInSeconds === undefined ? row : { ...row, dueInSeconds });
    };
    for (const step of steps) {
      if (step.type === 'lock_comments') {
        // A lockdown is two outbox rows: comments off now, and back on when the time is up (a
        // durable row, so the reopening survives restarts).
        const span = formatSeconds(step.forSeconds);
        push('comments_off', null, `lockdown by rule ${ruleId ?? '?'} for ${span}`);
        push('comments_on', null, `end of the ${span} lockdown by rule ${ruleId ?? '?'}`, step.forSeconds);
      } else push(typeOf(step), step.type === 'reply' ? step.text : null, null);
    }
  };
  // The account's own comments and test events are never acted on (the engine plans nothing).
  if (event.fromSelf || event.isTest) return planned;
  add(decision.steps, decision.decidingRule, false, 0);
  if (decision.shadow) add(decision.shadow.steps, decision.shadow.ruleId, true, 100);
  return planned;
}
