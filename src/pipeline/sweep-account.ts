/**
 * Catch-up sweep. Meta keeps no copy of a webhook it failed to deliver, so modbot lists the
 * account's media and their comments and queues every comment it has not seen, exactly as if its
 * webhook had arrived (same dedupe key: a comment seen both ways is processed once). Top-level
 * comments and their replies are swept.
 *   1. media published since `since` (48 h by default): every one, in full;
 *   2. with `older`, media published before that which have had comments since the last sweep
 *      (their comments_count differs from the one stored when they were last swept in full), so a
 *      comment on an old post that goes viral is recovered too. At most `older.maxCalls` Graph
 *      calls per run go to this: listing older media (newest first, at most half the calls), then
 *      the comments of those whose count moved, most moved first (never swept: most comments
 *      first; no comments: recorded without a call). What does not fit waits for the next run:
 *      a media's count is stored only once its comments were listed to the end.
 */
import type { AccountCredentials } from '../accounts/store.js';
import type { GraphClient } from '../graph/client.js';
import type { GraphPage } from '../graph/paging.js';
import { type IgComment, type IgMedia, parseGraphTime } from '../graph/reads.js';
import type { GraphResult } from '../graph/transport.js';
import type { InstagramEvent, MediaProductType } from '../webhook/events.js';
import { dedupeKey } from '../webhook/normalise.js';
import { storableText } from '../webhook/storable.js';
import type { DeliveryStore } from './receive-delivery.js';

export interface SweepProgress {
  readonly media: number;
  readonly comments: number;
  readonly queued: number;
  readonly current?: string;
}

export interface SweepResult extends SweepProgress {
  readonly errors: readonly string[];
  /** The pass over older media with new comments (when asked for). */
  readonly older?: {
    readonly listed: number;
    readonly changed: number;
    readonly swept: number;
    /** Media with new comments left for the next run (the calls ran out). */
    readonly left: number;
    readonly calls: number;
  };
}

/** What the sweep remembers per media: its comments_count when last swept in full. */
export interface MediaActivityStore {
  countsOf(accountId: string, mediaIds: readonly string[]): Promise<Map<string, number>>;
  record(accountId: string, seen: readonly { mediaId: string; commentsCount: number }[]): Promise<void>;
}

const productTypes = new Set(['FEED', 'REELS', 'STORY', 'AD']);

function eventOf(account: AccountCredentials, media: IgMedia, c: IgComment, now: Date): InstagramEvent {
  const authorId = c.from?.id ?? null;
  const product = (media.media_product_type ?? c.media?.media_product_type ?? '').toUpperCase();
  return {
    kind: c.parent_id ? 'reply' : 'comment',
    accountId: account.id,
    field: 'comments',
    commentId: c.id,
    mediaId: media.id,
    parentId: c.parent_id ?? null,
    text: c.text === undefined || c.text === null ? null : storableText(c.text),
    author: { id: authorId, username: c.from?.username ?? c.username ?? null },
    fromSelf:
      authorId === account.id ||
      (!!account.username && (c.from?.username ?? c.username) === account.username),
    mediaProductType: productTypes.has(product) ? (product as MediaProductType) : null,
    adId: null,
    sentAt: c.timestamp ? new Date(c.timestamp) : now,
    isTest: false,
  };
}

export async function sweepAccount(input: {
  graph: Pick<GraphClient, 'listMedia' | 'listComments' | 'listReplies'>;
  store: DeliveryStore;
  account: AccountCredentials;
  since: Date;
  onProgress?: (p: SweepProgress) => void;
  now?: Date;
  /** Also sweep older media with new comments, within `maxCalls` Graph calls. */
  older?: { readonly activity: MediaActivityStore; readonly maxCalls: number };
}): Promise<SweepResult> {
  const { graph, account } = input;
  const now = input.now ?? new Date();
  const errors: string[] = [];
  let media = 0;
  let comments = 0;
  let queued = 0;

  const queue = async (batch: { media: IgMedia; comment: IgComment }[]) => {
    if (batch.length === 0) return;
    const changes = batch.map(({ media: m, comment }) => {
      const event = eventOf(account, m, comment, now);
      return { type: 'event' as const, dedupeKey: dedupeKey(account.id, 'comments', comment.id), event };
    });
    const [stored] = await input.store.storeDeliveries([
      {
        id: crypto.randomUUID(),
        receivedAt: now,
        requestId: null,
        signedWith: 'sweep',
        body: JSON.stringify({
          sweep: { account: account.id, since: input.since.toISOString() },
          comments: batch.map((b) => b.comment),
        }),
        changes,
      },
    ]);
    queued += stored?.newInboxIds.length ?? 0;
  };

  /**
   * Lists a media's comments and replies and queues them; true when listed to the end. `spend`
   * is asked before each call (false: out of calls, stop here).
   */
  const sweepMedia = async (m: IgMedia, spend: () => boolean = () => true): Promise<boolean> => {
    media++;
    input.onProgress?.({ media, comments, queued, current: m.id });
    const found: { media: IgMedia; comment: IgComment }[] = [];
    let complete = true;
    const walk = async <T>(
      pages: AsyncIterable<GraphResult<GraphPage<T>>>,
      what: string,
      each: (item: T) => Promise<boolean | undefined> | boolean | undefined,
    ) => {
      if (!spend()) return false;
      for await (const page of pages) {
        if (!page.ok) {
          errors.push(`${what}: ${page.error.kind}: ${page.error.message}`);
          return false;
        }
        for (const item of page.value.items) if ((await each(item)) === false) return false;
        if (page.value.hasNext && !spend()) return false;
      }
      return true;
    };
    complete = await walk(graph.listComments(account, m.id), `comments of media ${m.id}`, async (c) => {
      found.push({ media: m, comment: c });
      return walk(graph.listReplies(account, c.id), `replies of comment ${c.id}`, (r) => {
        found.push({ media: m, comment: { ...r, parent_id: r.parent_id ?? c.id } });
        return undefined;
      });
    });
    comments += found.length;
    await queue(found);
    input.onProgress?.({ media, comments, queued, current: m.id });
    return complete;
  };

  if (!input.older) {
    for await (const page of graph.listMedia(account, { since: input.since })) {
      if (!page.ok) {
        errors.push(`listing media: ${page.error.kind}: ${page.error.message}`);
        break;
      }
      for (const m of page.value.items) await sweepMedia(m);
    }
    return { media, comments, queued, errors };
  }

  // 1. Recent media, every one; 2. the older ones listed within half the calls.
  const { activity, maxCalls } = input.older;
  let calls = 0;
  const spend = (): boolean => {
    if (calls >= maxCalls) return false;
    calls++;
    return true;
  };
  const listingCalls = Math.ceil(maxCalls / 2);
  const sinceMs = input.since.getTime();
  const recent: { mediaId: string; commentsCount: number }[] = [];
  const older: IgMedia[] = [];
  for await (const page of graph.listMedia(account)) {
    if (!page.ok) {
      errors.push(`listing media: ${page.error.kind}: ${page.error.message}`);
      break;
    }
    let reachedOlder = false;
    for (const m of page.value.items) {
      const time = m.timestamp ? parseGraphTime(m.timestamp) : Number.NaN;
      if (Number.isFinite(time) && time < sinceMs) {
        reachedOlder = true;
        older.push(m);
      } else if ((await sweepMedia(m)) && m.comments_count !== undefined) {
        recent.push({ mediaId: m.id, commentsCount: m.comments_count });
      }
    }
    // The page that reached older media, and each one after it, is paid from the older calls.
    if (reachedOlder) calls++;
    if (page.value.hasNext && reachedOlder && calls >= listingCalls) break;
  }
  await activity.record(account.id, recent);

  const stored = await activity.countsOf(
    account.id,
    older.map((m) => m.id),
  );
  const quiet: { mediaId: string; commentsCount: number }[] = [];
  const moved: { m: IgMedia; rank: number }[] = [];
  for (const m of older) {
    const now = m.comments_count;
    const before = stored.get(m.id);
    if (now === undefined) moved.push({ m, rank: 0 });
    else if (before === undefined && now === 0) quiet.push({ mediaId: m.id, commentsCount: 0 });
    else if (before === undefined) moved.push({ m, rank: now });
    // Known media whose count moved come first: that is recent activity.
    else if (before !== now) moved.push({ m, rank: 1e9 + Math.abs(now - before) });
  }
  moved.sort((a, b) => b.rank - a.rank);
  let swept = 0;
  const done: { mediaId: string; commentsCount: number }[] = [...quiet];
  for (const { m } of moved) {
    if (calls >= maxCalls) break;
    if (await sweepMedia(m, spend)) {
      swept++;
      if (m.comments_count !== undefined) done.push({ mediaId: m.id, commentsCount: m.comments_count });
    }
  }
  await activity.record(account.id, done);
  return {
    media,
    comments,
    queued,
    errors,
    older: {
      listed: older.length,
      changed: moved.length,
      swept,
      left: moved.length - swept,
      calls,
    },
  };
}

/** Parses "48h", "7d", "30m" or an ISO date into the start of the sweep window. */
export function parseSince(value: string, now = new Date()): Date | null {
  const rel = /^(\d+)\s*([mhd])$/i.exec(value.trim());
  if (rel) {
    const n = Number(rel[1]);
    const unit = { m: 60_000, h: 3600_000, d: 86_400_000 }[(rel[2] ?? 'h').toLowerCase() as 'm' | 'h' | 'd'];
    return new Date(now.getTime() - n * unit);
  }
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}
