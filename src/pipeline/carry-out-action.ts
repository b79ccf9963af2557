/**
 * Carry out an action on Instagram, exactly once: the story of one planned hide, delete, reply or
 * mention reply (`execute` at the bottom of this file):
 *   1. may modbot call for this account? DRY_RUN, no token or a disconnected account: record what
 *      would have been done; an account that needs re-authorisation: wait;
 *   2. pace: the account's write rate and hourly budget (a paced action waits, no attempt used);
 *   3. call the Graph API (`run`): hide, unhide and delete are idempotent and "object gone"
 *      (100/33) counts as done; a reply is not, so after an unknown outcome (timeout, crash, 5xx)
 *      we look for our own reply before posting again, and a clean 4xx is never retried; a mention
 *      reply whose outcome is unknown is not retried at all (there is no reliable way to find it);
 *   4. turn a failed call into what happens next (`onError`), by the Graph error taxonomy:
 *      throttling pauses the account (others go on), token errors flag the account and its
 *      actions wait, permission/invalid give up and record, transient errors back off;
 *   5. record the outcome with every call made, in one statement shared by the actions that
 *      finish at the same time.
 */
import type { AccountCredentials, AccountStore } from '../accounts/store.js';
import type { GraphClient } from '../graph/client.js';
import { DEFAULT_THROTTLE_MS, type GraphError, mayHaveApplied } from '../graph/errors.js';
import type { Pacer } from '../graph/pacing.js';
import type { GraphResult } from '../graph/transport.js';
import type { Logger } from '../log.js';
import { backoffMs } from '../queue/backoff.js';
import { GroupCommitter } from './batch/group-commit.js';
import { dryRunReason } from './plan.js';
import type { ActionItem, ActionOutbox, AttemptRecord, Finish } from './ports.js';

/** What the actuator needs from the Graph API client. */
export type ActuatorGraph = Pick<
  GraphClient,
  | 'hideComment'
  | 'deleteComment'
  | 'replyToComment'
  | 'replyToMention'
  | 'setCommentsEnabled'
  | 'findOwnReply'
>;

export interface ActuatorDeps {
  readonly repo: ActionOutbox;
  readonly accounts: AccountStore;
  readonly graph: ActuatorGraph;
  /** Per-account write pacing (adaptive or fixed) and hourly budget, keyed `${account}` and `${account}:hour`. */
  readonly pacer: Pacer;
  readonly budget: Pacer;
  readonly logger: Logger;
  readonly maxAttempts: number;
  readonly backoff?: (attempt: number) => number;
  /** DRY_RUN: nothing is called; actions are recorded as what would have been done. */
  readonly dryRun?: boolean;
  /** Called when a finished action was holding back the next one of its decision (Node wakes a loop). */
  readonly onNextDue?: () => void;
}

const noTokenWaitMs = 15 * 60_000;

export function createActuator(deps: ActuatorDeps) {
  const backoff = deps.backoff ?? ((n: number) => backoffMs(n, 1000, 10 * 60_000));

  const finishes = new GroupCommitter(
    (entries: { item: ActionItem; finish: Finish; attempts: readonly AttemptRecord[] }[]) =>
      deps.repo.finishMany(entries, deps.maxAttempts),
  );
  /** The calls made for each action in hand, recorded with its outcome. */
  const calls = new Map<ActionItem, AttemptRecord[]>();

  const call = async <T>(item: ActionItem, run: () => Promise<GraphResult<T>>): Promise<GraphResult<T>> => {
    const startedAt = new Date();
    const t0 = performance.now();
    const result = await run();
    deps.pacer.observe(item.accountId, result.usage);
    calls.get(item)?.push({
      startedAt,
      durationMs: Math.round(performance.now() - t0),
      request: result.request,
      httpStatus: result.status,
      outcome: result.ok ? 'ok' : result.error.kind,
      errorCode: result.ok ? null : result.error.code,
      errorSubcode: result.ok ? null : result.error.subcode,
      error: result.ok ? null : result.error.message,
      response: result.ok ? (result.value ?? null) : null,
    });
    return result;
  };

  /** What to do with an action after a failed call. */
  const onError = async (item: ActionItem, error: GraphError, status: number): Promise<Finish> => {
    switch (error.kind) {
      case 'gone':
        return { status: 'gone', error: error.message };
      case 'throttled': {
        const waitMs = error.retryAfterMs ?? DEFAULT_THROTTLE_MS;
        deps.pacer.pauseUntil(
          item.accountId,
          Date.now() + waitMs,
          `throttled (${error.code}/${error.subcode ?? '-'})`,
        );
        await deps.accounts.pause(item.accountId, new Date(Date.now() + waitMs));
        return { status: 'retry', retryInMs: waitMs, error: error.message, countAttempt: false };
      }
      case 'token':
        await deps.accounts.setStatus(
          item.accountId,
          error.account === 'disconnected' ? 'disconnected' : 'reauth_needed',
          `Graph error ${error.code}/${error.subcode ?? '-'}: ${error.message}`,
        );
        deps.logger.error('account needs re-authorisation; its actions wait', {
          accountId: item.accountId,
          code: error.code,
          subcode: error.subcode,
        });
        return { status: 'retry', retryInMs: noTokenWaitMs, error: error.message, countAttempt: false };
      case 'permission':
      case 'invalid':
        return { status: 'failed', error: `${error.kind}: ${error.message}` };
      case 'transient':
      case 'unknown':
        if (item.type === 'mention_reply' && mayHaveApplied(error, status)) {
          return {
            status: 'failed',
            error: `outcome unknown (${error.message}); not retried so the mention cannot get two replies`,
          };
        }
        return {
          status: 'retry',
          retryInMs: backoff(item.attempts),
          error: error.message,
          countAttempt: true,
        };
    }
  };

  const run = async (item: ActionItem, account: AccountCredentials): Promise<Finish> => {
    const need = (v: string | null, what: string) => {
      if (!v) throw new Error(`action ${item.id} (${item.type}) has no ${what}`);
      return v;
    };
    const settle = async <T>(result: GraphResult<T>, value?: (v: T) => unknown): Promise<Finish> =>
      result.ok
        ? { status: 'done', result: value ? value(result.value) : (result.value ?? null) }
        : onError(item, result.error, result.status);

    switch (item.type) {
      case 'hide':
      case 'unhide':
        return settle(
          await call(item, () =>
            deps.graph.hideComment(account, need(item.commentId, 'comment id'), item.type === 'hide'),
          ),
        );
      case 'delete':
        return settle(
          await call(item, () => deps.graph.deleteComment(account, need(item.commentId, 'comment id'))),
        );
      case 'comments_off':
      case 'comments_on':
        return settle(
          await call(item, () =>
            deps.graph.setCommentsEnabled(
              account,
              need(item.mediaId, 'media id'),
              item.type === 'comments_on',
            ),
          ),
        );
      case 'reply': {
        const commentId = need(item.commentId, 'comment id');
        const message = need(item.message, 'message');
        if (item.attempts > 1) {
          // A previous attempt may have posted the reply before we lost track (timeout, crash).
          const found = await call(item, () => deps.graph.findOwnReply(account, commentId, { message }));
          if (!found.ok) return onError(item, found.error, found.status);
          if (found.value) return { status: 'done', result: { id: found.value.id, foundExisting: true } };
        }
        return settle(await call(item, () => deps.graph.replyToComment(account, commentId, message)));
      }
      case 'mention_reply': {
        const message = need(item.message, 'message');
        const mediaId = need(item.mediaId, 'media id');
        if (item.attempts > 1) {
          return {
            status: 'failed',
            error:
              'a previous attempt ended without a known outcome; not retried so the mention cannot get two replies',
          };
        }
        return settle(
          await call(item, () =>
            deps.graph.replyToMention(account, {
              mediaId,
              message,
              ...(item.commentId ? { commentId: item.commentId } : {}),
            }),
          ),
        );
      }
      case 'review':
        return { status: 'failed', error: 'review actions are held for a moderator, not executed' };
    }
  };

  /** What became of one action: called, or why not. */
  const carryOut = async (item: ActionItem): Promise<Finish> => {
    let finish: Finish;
    const { summary, credentials: account } = await deps.accounts.lookup(item.accountId);
    const notActing = dryRunReason(deps.dryRun ?? false, summary, account !== null);
    if (notActing) {
      // Moderator actions and anything planned before DRY_RUN was turned on: record, never call.
      finish = { status: 'dry_run', reason: notActing };
    } else if (!account) {
      // The token is broken (already flagged): wait until someone re-authorises the account.
      finish = {
        status: 'retry',
        retryInMs: noTokenWaitMs,
        error: 'the account needs re-authorisation',
        countAttempt: false,
      };
    } else {
      // Hides and deletes before replies: a reply leaves room in the bucket for them.
      const isReply = item.type === 'reply' || item.type === 'mention_reply';
      const paced = deps.pacer.take(item.accountId, 1, isReply ? 'low' : 'high');
      const budgeted = paced.ok ? deps.budget.take(`${item.accountId}:hour`) : paced;
      if (!paced.ok || !budgeted.ok) {
        const wait = !paced.ok ? paced : budgeted;
        finish = {
          status: 'retry',
          retryInMs: wait.ok ? 1000 : wait.waitMs,
          error: `paced (${wait.ok ? 'rate' : wait.reason})`,
          countAttempt: false,
        };
      } else {
        try {
          finish = await run(item, account);
        } catch (error) {
          finish = {
            status: 'retry',
            retryInMs: backoff(item.attempts),
            error: (error as Error).message,
            countAttempt: true,
          };
        }
      }
    }
    return finish;
  };

  return async function execute(item: ActionItem): Promise<Finish> {
    const log = deps.logger.child({
      actionId: item.id,
      type: item.type,
      accountId: item.accountId,
      commentId: item.commentId,
    });
    const attempts: AttemptRecord[] = [];
    calls.set(item, attempts);
    let finish: Finish;
    try {
      finish = await carryOut(item);
    } finally {
      calls.delete(item);
    }
    const { kept, nextDue } = await finishes.submit({ item, finish, attempts });
    if (nextDue) deps.onNextDue?.();
    if (!kept) log.warn('action claim lost before its outcome was recorded (lease expired)');
    else if (finish.status === 'dry_run') log.info('action not called (dry run)', { reason: finish.reason });
    else if (finish.status === 'done' || finish.status === 'gone')
      log.info('action done', { status: finish.status });
    else if (finish.status === 'failed') log.error('action failed', { error: finish.error });
    else if (finish.status === 'retry' && finish.countAttempt)
      log.warn('action will be retried', { error: finish.error, retryInMs: finish.retryInMs });
    return finish;
  };
}

export type Actuator = ReturnType<typeof createActuator>;
