/**
 * Repetition counts for the events of one batch, exact as if they were decided one after another:
 * the decisions stored outside the batch, plus the events before this one in the batch with the
 * same text (their decisions are not stored yet). A count for a text that an earlier batch of
 * this process is still deciding waits for that batch to be stored (TextsInFlight); call
 * `settled` once this batch is stored or has failed.
 */
import type { EvaluatePorts, RepetitionQuery } from '../../moderation/index.js';
import { repetitionKey } from '../../moderation/index.js';
import type { InstagramEvent } from '../../webhook/events.js';
import type { TextsInFlight } from './texts-in-flight.js';

/** Counts earlier decisions with the same text, leaving out the given inbox rows. */
export interface StoredRepetitionCounter {
  count(
    q: RepetitionQuery,
    excludeInboxIds: readonly number[],
    options?: { throughNow?: boolean },
  ): Promise<number>;
}

export interface BatchEvent {
  readonly inboxId: number;
  readonly event: InstagramEvent;
  readonly text: string | null;
}

export interface RepetitionBatch {
  /** The repetition port for the event at `position` in the batch (undefined: no counter). */
  countsFor(position: number): EvaluatePorts['repetition'];
  settled(): void;
}

export function repetitionBatch(
  textsInFlight: TextsInFlight,
  counter: StoredRepetitionCounter | undefined,
  events: readonly BatchEvent[],
): RepetitionBatch {
  if (!counter) return { countsFor: () => undefined, settled: () => {} };
  const batchIds = events.map((e) => e.inboxId);
  const keys = events.map(({ event, text }) => ({
    accountId: event.accountId,
    authorKey: event.author?.id ?? event.author?.username ?? null,
    textHash: repetitionKey({ event, text }),
  }));
  const textKey = (accountId: string, textHash: string) => `${accountId}\u0000${textHash}`;
  const inFlight = textsInFlight.enter(keys.map((k) => textKey(k.accountId, k.textHash)));
  return {
    countsFor: (position) => ({
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
    }),
    settled: inFlight.settled,
  };
}
