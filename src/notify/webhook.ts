/**
 * Notices sent to NOTIFY_WEBHOOK_URL as one JSON POST `{"text": "...", "notices": [...]}`: the
 * `text` is what a Slack-compatible incoming webhook shows, `notices` the same in fields for a
 * plain JSON receiver.
 *
 * Never one message per comment: notices gather for `gatherMs`, notices about the same thing
 * merge into one line with a count, and at most one message goes out per `minIntervalMs`.
 * Failures never block moderation: `notify` only queues; a send that fails or times out is
 * logged (without the URL, which is a secret for Slack) and its notices go out with the next
 * message, at most `maxPending` of them kept.
 */
import type { Logger } from '../log.js';
import { type Notice, type Notifier, noticeKey, noticeText } from './ports.js';

export interface WebhookNotifierOptions {
  readonly url: string;
  readonly logger: Logger;
  readonly fetch?: typeof fetch;
  /** Wait this long after the first notice for others to merge with it (default 2 s). */
  readonly gatherMs?: number;
  /** At most one message per this many milliseconds (default 60 s). */
  readonly minIntervalMs?: number;
  readonly timeoutMs?: number;
  readonly maxPending?: number;
}

/** A notice and how many notices about the same thing merged into it. */
export interface Merged {
  notice: Notice;
  times: number;
}
type Pending = Merged;

/**
 * Posts one message: `text` for Slack (a line per notice, with its count), `notices` with the
 * same in fields. Throws on a network error, a timeout or a non-2xx answer.
 */
export async function postNotices(
  send: typeof fetch,
  url: string,
  merged: readonly Merged[],
  skipped: number,
  timeoutMs: number,
): Promise<void> {
  const lines = merged.map((p) => `• ${noticeText(p.notice, p.times)}${p.times > 1 ? ` (×${p.times})` : ''}`);
  if (skipped > 0) lines.push(`• and ${skipped} more notice(s) left out`);
  const body = JSON.stringify({
    text: `modbot: ${lines.length === 1 ? (lines[0] ?? '').slice(2) : `\n${lines.join('\n')}`}`,
    notices: merged.map((p) => ({ ...p.notice, times: p.times })),
  });
  const res = await send(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
    signal: AbortSignal.timeout(timeoutMs),
  });
  await res.body?.cancel();
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
}

export function createWebhookNotifier(options: WebhookNotifierOptions): Notifier {
  const send = options.fetch ?? fetch;
  const gatherMs = options.gatherMs ?? 2000;
  const minIntervalMs = options.minIntervalMs ?? 60_000;
  const timeoutMs = options.timeoutMs ?? 5000;
  const maxPending = options.maxPending ?? 50;
  const pending = new Map<string, Pending>();
  let dropped = 0;
  let lastSentAt = Number.NEGATIVE_INFINITY;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let sending: Promise<void> | null = null;

  const add = (key: string, entry: Pending) => {
    const had = pending.get(key);
    if (had) {
      had.notice = entry.notice;
      had.times += entry.times;
    } else if (pending.size < maxPending) pending.set(key, entry);
    else dropped += entry.times;
  };

  const schedule = () => {
    if (timer || pending.size === 0) return;
    const wait = Math.max(gatherMs, lastSentAt + minIntervalMs - Date.now());
    timer = setTimeout(() => {
      timer = null;
      void flush();
    }, wait);
    (timer as { unref?: () => void }).unref?.();
  };

  const sendNow = async () => {
    if (pending.size === 0) return;
    const batch = [...pending.entries()];
    const skipped = dropped;
    pending.clear();
    dropped = 0;
    lastSentAt = Date.now();
    try {
      await postNotices(
        send,
        options.url,
        batch.map(([, p]) => p),
        skipped,
        timeoutMs,
      );
    } catch (error) {
      options.logger.warn('notification not delivered; it goes out with the next one', {
        error: (error as Error).message,
        notices: batch.length,
      });
      for (const [key, p] of batch) add(key, p);
      dropped += skipped;
    }
  };

  const flush = async (): Promise<void> => {
    if (timer) {
      clearTimeout(timer);
      timer = null;
    }
    while (sending) await sending;
    sending = sendNow().finally(() => {
      sending = null;
    });
    await sending;
    schedule();
  };

  return {
    notify(notice) {
      add(noticeKey(notice), { notice, times: 1 });
      schedule();
    },
    flush,
  };
}
