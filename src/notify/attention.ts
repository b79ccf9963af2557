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

type AttentionKey = 'dead_letters' | 'review_queue';
interface Told {
  readonly count: number;
  readonly at: number;
}

/**
 * What was last told about each condition. In memory on Node (one long-lived process); read
 * back from the stored notices on Workers (src/notify/stored.ts).
 */
export interface AttentionMemory {
  recall(key: AttentionKey): Promise<Told | undefined>;
  remember(key: AttentionKey, told: Told): void;
  forget(key: AttentionKey): void;
}

export function inMemoryAttention(): AttentionMemory {
  const last = new Map<AttentionKey, Told>();
  return {
    recall: async (key) => last.get(key),
    remember: (key, told) => void last.set(key, told),
    forget: (key) => void last.delete(key),
  };
}

export function watchAttention(deps: {
  readonly counts: () => Promise<AttentionCounts>;
  readonly notifier: Notifier;
  readonly reviewQueueOver: number;
  readonly repeatMs?: number;
  readonly now?: () => number;
  readonly memory?: AttentionMemory;
}): () => Promise<void> {
  const repeatMs = deps.repeatMs ?? 3600_000;
  const now = deps.now ?? Date.now;
  const memory = deps.memory ?? inMemoryAttention();
  /** Whether this count deserves a notice now; forgets a condition that has ended. */
  const due = async (key: AttentionKey, count: number, active: boolean): Promise<boolean> => {
    if (!active) {
      memory.forget(key);
      return false;
    }
    const before = await memory.recall(key);
    if (before && count <= before.count && now() - before.at < repeatMs) return false;
    memory.remember(key, { count, at: now() });
    return true;
  };
  return async function checkAttention() {
    const c = await deps.counts();
    if (await due('dead_letters', c.deadLetters, c.deadLetters > 0))
      deps.notifier.notify({ kind: 'dead_letters', count: c.deadLetters });
    if (await due('review_queue', c.heldForReview, c.heldForReview > deps.reviewQueueOver))
      deps.notifier.notify({ kind: 'review_queue', count: c.heldForReview, over: deps.reviewQueueOver });
  };
}
