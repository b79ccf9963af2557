/**
 * Runs the handler on claimed inbox rows and records each outcome. Shared by the Node claim
 * loop and the Workers queue consumer, so both retry, back off and dead-letter the same way.
 * Rows are handled in batches: the handler decides a batch at once and the rows it finished are
 * marked done in one statement.
 */
import type { Logger } from '../log.js';
import { backoffMs } from './backoff.js';
import type { InboxItem, InboxQueue } from './ports.js';

/** What a handler says about an event. Throwing is the same as `retry` with the error. */
export type HandlerResult =
  /**
   * `completed`: the handler marked the row done itself, in the transaction that stored its
   * result (true), or found its claim lost (false); absent, the row is marked done here.
   */
  | { readonly outcome: 'done'; readonly completed?: boolean }
  | { readonly outcome: 'retry'; readonly error: string; readonly retryInMs?: number }
  | { readonly outcome: 'dead'; readonly error: string }
  /** Not the event's fault (e.g. its account needs re-authorisation): wait without using up an attempt. */
  | { readonly outcome: 'defer'; readonly reason: string; readonly retryInMs: number };

/** A handler of one event: what tests of the intake machinery pass in place of moderation. */
export type InboxHandler = (item: InboxItem) => Promise<HandlerResult>;

/** The handler port: moderation plugs in here. One result per item, in order. */
export type InboxBatchHandler = (items: readonly InboxItem[]) => Promise<HandlerResult[]>;

/** A one-event handler as a batch handler (events handled in turn). */
export function inTurn(handler: InboxHandler): InboxBatchHandler {
  return async (items) => {
    const results: HandlerResult[] = [];
    for (const item of items) {
      try {
        results.push(await handler(item));
      } catch (error) {
        results.push({ outcome: 'retry', error: errorText(error) });
      }
    }
    return results;
  };
}

export interface ProcessOptions {
  readonly maxAttempts: number;
  readonly logger: Logger;
  readonly backoff?: (attempt: number) => number;
}

export type ProcessOutcome =
  | { readonly outcome: 'done' | 'dead' | 'lost' }
  | { readonly outcome: 'retry'; readonly retryInMs: number };

/** One claimed row through a one-event handler. */
export async function processClaimed(
  repo: InboxQueue,
  handler: InboxHandler,
  item: InboxItem,
  options: ProcessOptions,
): Promise<ProcessOutcome> {
  const [outcome] = await processClaimedBatch(repo, inTurn(handler), [item], options);
  return outcome ?? { outcome: 'lost' };
}

export async function processClaimedBatch(
  repo: InboxQueue,
  handler: InboxBatchHandler,
  items: readonly InboxItem[],
  options: ProcessOptions,
): Promise<ProcessOutcome[]> {
  if (items.length === 0) return [];
  let results: HandlerResult[];
  try {
    results = await handler(items);
  } catch (error) {
    results = items.map(() => ({ outcome: 'retry', error: errorText(error) }));
  }
  // Rows the handler finished but did not mark done itself are marked done in one statement.
  const toComplete = items.filter((_, i) => {
    const r = results[i];
    return r?.outcome === 'done' && r.completed === undefined;
  });
  const completed = await repo.completeMany(toComplete);
  const outcomes: ProcessOutcome[] = new Array(items.length);
  for (const [i, item] of items.entries()) {
    const result = results[i];
    if (result?.outcome !== 'done') continue;
    const ok = result.completed ?? completed[toComplete.indexOf(item)] === true;
    if (!ok)
      options.logger.warn('inbox claim lost before completion (lease expired; another worker has it)', {
        inboxId: item.id,
        dedupeKey: item.dedupeKey,
      });
    outcomes[i] = { outcome: ok ? 'done' : 'lost' };
  }
  for (const [i, item] of items.entries()) {
    const result = results[i] ?? { outcome: 'retry', error: 'the handler returned no result' };
    if (result.outcome !== 'done') outcomes[i] = await settleUnfinished(repo, item, result, options);
  }
  return outcomes;
}

async function settleUnfinished(
  repo: InboxQueue,
  item: InboxItem,
  result: Exclude<HandlerResult, { outcome: 'done' }>,
  options: ProcessOptions,
): Promise<ProcessOutcome> {
  const log = options.logger.child({ inboxId: item.id, dedupeKey: item.dedupeKey, attempt: item.attempts });
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

function errorText(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
