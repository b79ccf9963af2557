/**
 * Catch-up sweep. Meta keeps no copy of a webhook it failed to deliver, so modbot lists the
 * account's recent media and their comments and queues every comment it has not seen, exactly
 * as if its webhook had arrived (same dedupe key: a comment seen both ways is processed once).
 * Top-level comments and their replies are swept.
 */
import type { AccountCredentials } from '../accounts/store.js';
import type { GraphClient } from '../graph/client.js';
import type { IgComment, IgMedia } from '../graph/reads.js';
import type { InstagramEvent, MediaProductType } from '../webhook/events.js';
import { dedupeKey } from '../webhook/normalise.js';
import type { DeliveryStore } from './receive-delivery.js';

export interface SweepProgress {
  readonly media: number;
  readonly comments: number;
  readonly queued: number;
  readonly current?: string;
}

export interface SweepResult extends SweepProgress {
  readonly errors: readonly string[];
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
    text: c.text ?? null,
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

  for await (const page of graph.listMedia(account, { since: input.since })) {
    if (!page.ok) {
      errors.push(`listing media: ${page.error.kind}: ${page.error.message}`);
      break;
    }
    for (const m of page.value.items) {
      media++;
      input.onProgress?.({ media, comments, queued, current: m.id });
      const found: { media: IgMedia; comment: IgComment }[] = [];
      for await (const cpage of graph.listComments(account, m.id)) {
        if (!cpage.ok) {
          errors.push(`comments of media ${m.id}: ${cpage.error.kind}: ${cpage.error.message}`);
          break;
        }
        for (const c of cpage.value.items) {
          found.push({ media: m, comment: c });
          for await (const rpage of graph.listReplies(account, c.id)) {
            if (!rpage.ok) {
              errors.push(`replies of comment ${c.id}: ${rpage.error.kind}: ${rpage.error.message}`);
              break;
            }
            for (const r of rpage.value.items)
              found.push({ media: m, comment: { ...r, parent_id: r.parent_id ?? c.id } });
          }
        }
      }
      comments += found.length;
      await queue(found);
      input.onProgress?.({ media, comments, queued, current: m.id });
    }
  }
  return { media, comments, queued, errors };
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
