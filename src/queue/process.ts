/**
 * Runs the handler on one claimed inbox row and records the outcome. Shared by the Node claim
 * loop and the Workers queue consumer, so both retry, back off and dead-letter the same way.
 */
import type { Logger } from '../log.js';
import { backoffMs } from './backoff.js';
import type { InboxItem, InboxRepo } from './inbox-repo.js';

/** What a handler says about an event. Throwing is the same as `retry` with the error. */
export type HandlerResult =
  | { readonly outcome: 'done' }
  | { readonly outcome: 'retry'; readonly error: string; readonly retryInMs?: number }
  | { readonly outcome: 'dead'; readonly error: string }
  /** Not the event's fault (e.g. its account needs re-authorisation): wait without using up an attempt. */
  | { readonly outcome: 'defer'; readonly reason: string; readonly retryInMs: number };

/** The handler port: moderation plugs in here. */
export type InboxHandler = (item: InboxItem) => Promise<HandlerResult>;

export interface ProcessOptions {
  readonly maxAttempts: number;
  readonly logger: Logger;
  readonly backoff?: (attempt: number) => number;
}

export type ProcessOutcome =
  | { readonly outcome: 'done' | 'dead' | 'lost' }
  | { readonly outcome: 'retry'; readonly retryInMs: number };

export async function processClaimed(
  repo: InboxRepo,
  handler: InboxHandler,
  item: InboxItem,
  options: ProcessOptions,
): Promise<ProcessOutcome> {
  const log = options.logger.child({ inboxId: item.id, dedupeKey: item.dedupeKey, attempt: item.attempts });
  let result: HandlerResult;
  try {
    result = await handler(item);
  } catch (error) {
    result = {
      outcome: 'retry',
      error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
    };
  }
  if (result.outcome === 'done') {
    const ok = await repo.complete(item);
    if (!ok) log.warn('inbox claim lost before completion (lease expired; another worker has it)');
    return { outcome: ok ? 'done' : 'lost' };
  }
  if (result.outcome === 'defer') {
    const deferred = await repo.defer(item, result.reason, result.retryInMs);
    if (deferred) log.info('inbox event deferred', { reason: result.reason, retryInMs: result.retryInMs });
    return deferred ? { outcome: 'retry', retryInMs: result.retryInMs } : { outcome: 'lost' };
  }
  const maxAttempts = result.outcome === 'dead' ? item.attempts : options.maxAttempts;
  const delay =
    result.outcome === 'retry' && result.retryInMs !== undefined
      ? result.retryInMs
      : (options.backoff ?? backoffMs)(item.attempts);
  const outcome = await repo.fail(item, result.error, delay, maxAttempts);
  if (outcome === 'dead') log.error('inbox event dead-lettered', { error: result.error });
  else if (outcome === 'retry')
    log.warn('inbox event will be retried', { error: result.error, retryInMs: delay });
  return outcome === 'retry' ? { outcome, retryInMs: delay } : { outcome };
}
