/**
 * What waits for people, checked periodically: dead letters (events that failed every attempt)
 * and a review queue longer than NOTIFY_REVIEW_QUEUE_OVER. A notice goes out when the condition
 * starts, when it grows, and otherwise at most once per `repeatMs` while it lasts, so a standing
 * backlog is a reminder, not a stream.
 */
import type { Notifier } from './ports.js';

export interface AttentionCounts {
  /** Inbox events that failed every attempt. */
  readonly deadLetters: number;
  /** Actions held for a moderator. */
  readonly heldForReview: number;
}

export function watchAttention(deps: {
  readonly counts: () => Promise<AttentionCounts>;
  readonly notifier: Notifier;
  readonly reviewQueueOver: number;
  readonly repeatMs?: number;
  readonly now?: () => number;
}): () => Promise<void> {
  const repeatMs = deps.repeatMs ?? 3600_000;
  const now = deps.now ?? Date.now;
  const last = new Map<string, { count: number; at: number }>();
  /** Whether this count deserves a notice now; forgets a condition that has ended. */
  const due = (key: string, count: number, active: boolean): boolean => {
    const before = last.get(key);
    if (!active) {
      last.delete(key);
      return false;
    }
    if (before && count <= before.count && now() - before.at < repeatMs) return false;
    last.set(key, { count, at: now() });
    return true;
  };
  return async function checkAttention() {
    const c = await deps.counts();
    if (due('dead', c.deadLetters, c.deadLetters > 0))
      deps.notifier.notify({ kind: 'dead_letters', count: c.deadLetters });
    if (due('review', c.heldForReview, c.heldForReview > deps.reviewQueueOver))
      deps.notifier.notify({ kind: 'review_queue', count: c.heldForReview, over: deps.reviewQueueOver });
  };
}
