/**
 * Notices on Cloudflare Workers. An invocation's timers end with it, so the in-memory gathering
 * of ./webhook.ts cannot work there. Instead:
 * - each invocation keeps its notices in memory and writes them to the `notices` table when it
 *   ends (`flush`, called by src/entry/worker.ts);
 * - the cron minute (`sendStoredNotices`) takes what waits, merges notices about the same thing
 *   into one line with a count, and posts one message; at most one message per
 *   NOTIFY_INTERVAL_SECONDS goes out, across all invocations;
 * - a failed send leaves its notices waiting for the next minute.
 * Never one message per comment, as on Node; the difference is up to a minute of delay.
 */
import type { Logger } from '../log.js';
import type { AttentionMemory } from './attention.js';
import { type Notice, type Notifier, noticeKey } from './ports.js';
import { type Merged, postNotices } from './webhook.js';

export interface NoticeStore {
  add(items: readonly { key: string; notice: Notice }[]): Promise<void>;
  /** Leases the waiting notices (oldest first), or none while the last message is younger than `minIntervalMs`. */
  takeDue(minIntervalMs: number, limit: number): Promise<{ id: number; notice: Notice }[]>;
  markSent(ids: readonly number[]): Promise<void>;
  /** Gives leased notices back (the send failed): the next minute tries again. */
  release(ids: readonly number[]): Promise<void>;
  /** The latest notice with this key, sent or waiting, and when it was raised. */
  lastOf(key: string): Promise<{ notice: Notice; at: number } | undefined>;
}

/** Buffers this invocation's notices; `flush` writes them (a failure is logged, never thrown). */
export function createStoredNotifier(store: NoticeStore, logger: Logger): Notifier {
  let buffered: Notice[] = [];
  return {
    notify(notice) {
      buffered.push(notice);
    },
    async flush() {
      if (buffered.length === 0) return;
      const batch = buffered;
      buffered = [];
      try {
        await store.add(batch.map((notice) => ({ key: noticeKey(notice), notice })));
      } catch (error) {
        logger.error('notices not stored; they are lost', { error, notices: batch.length });
      }
    },
  };
}

/** At most this many notices are taken per message; the rest wait for the next one. */
const maxTaken = 500;
/** At most this many distinct lines per message (as ./webhook.ts keeps at most 50 pending). */
const maxLines = 50;

export function createStoredNoticeSender(options: {
  readonly store: NoticeStore;
  readonly url: string;
  readonly logger: Logger;
  readonly minIntervalMs: number;
  readonly fetch?: typeof fetch;
  readonly timeoutMs?: number;
}): () => Promise<void> {
  const send = options.fetch ?? fetch;
  return async function sendStoredNotices() {
    const taken = await options.store.takeDue(options.minIntervalMs, maxTaken);
    if (taken.length === 0) return;
    const merged = new Map<string, Merged>();
    let skipped = 0;
    for (const { notice } of taken) {
      const key = noticeKey(notice);
      const had = merged.get(key);
      if (had) {
        had.notice = notice;
        had.times += 1;
      } else if (merged.size < maxLines) merged.set(key, { notice, times: 1 });
      else skipped += 1;
    }
    const ids = taken.map((t) => t.id);
    try {
      await postNotices(send, options.url, [...merged.values()], skipped, options.timeoutMs ?? 5000);
    } catch (error) {
      options.logger.warn('notification not delivered; it goes out with the next one', {
        error: (error as Error).message,
        notices: taken.length,
      });
      await options.store.release(ids);
      return;
    }
    await options.store.markSent(ids);
  };
}

/**
 * What the attention check last told, read back from the stored notices: on Workers the check
 * runs in a fresh invocation each time and remembers nothing itself.
 */
export function storedAttentionMemory(store: NoticeStore): AttentionMemory {
  return {
    async recall(key) {
      const last = await store.lastOf(key);
      if (!last) return undefined;
      const n = last.notice;
      return { count: n.kind === 'dead_letters' || n.kind === 'review_queue' ? n.count : 0, at: last.at };
    },
    // Told notices are stored by the notifier itself; an ended condition leaves its last notice
    // in place, so one that ends and comes back within the hour at a count no higher is not told again.
    remember() {},
    forget() {},
  };
}
