/**
 * Step 1 of deciding an event: what it says, and whether acting on it is allowed. A comment
 * carries its text; a mention carries ids only, so its text is read from the Graph API (its
 * comment, or the media caption). When that read cannot be done now, the event waits (defer) or
 * is retried; it is never decided on a guess.
 */
import type { AccountCredentials, AccountStore, AccountSummary } from '../accounts/store.js';
import type { GraphClient } from '../graph/client.js';
import type { GraphResult } from '../graph/transport.js';
import type { InboxItem } from '../queue/ports.js';
import type { HandlerResult } from '../queue/process.js';
import type { EventAuthor, InstagramEvent } from '../webhook/events.js';
import { type DryRunReason, dryRunReason } from './plan.js';

/** Reads the text of a mention (the webhook carries ids only): its comment, or the media caption. */
export type MentionReader = Pick<GraphClient, 'getMentionedComment' | 'getMentionedMedia'>;

export interface AccountInHand {
  readonly summary: AccountSummary | null;
  readonly credentials: AccountCredentials | null;
}

/** An event ready to be judged: its text, and why nothing may be called for it (if so). */
export interface ReadEvent {
  /** Position in the claimed batch (results are returned in the same order). */
  readonly index: number;
  readonly item: InboxItem;
  /** The event as read: a caption mention gains its author (the media's owner) from Meta. */
  readonly event: InstagramEvent;
  readonly text: string | null;
  readonly notes: readonly string[];
  readonly dryRun: DryRunReason | null;
  readonly started: number;
}

export interface ReadEventDeps {
  readonly mentions: MentionReader | null;
  readonly dryRun: boolean;
  /** Flags an account whose token Meta refused. */
  readonly accounts: Pick<AccountStore, 'setStatus'>;
}

/** How long an event waits for its account to be re-authorised before it is looked at again. */
export const reauthWaitMs = 15 * 60_000;

export async function readEvent(
  deps: ReadEventDeps,
  index: number,
  item: InboxItem,
  { summary: account, credentials }: AccountInHand,
): Promise<ReadEvent | HandlerResult> {
  const { event } = item;
  const started = performance.now();
  const dryRun = dryRunReason(deps.dryRun, account, credentials !== null);

  const isMention = event.kind === 'mention_comment' || event.kind === 'mention_caption';
  let text = isMention ? null : event.text;
  let author = event.author;
  const notes: string[] = [];
  if (isMention) {
    if (!credentials || !deps.mentions) {
      // Meta's mentions carry no text; `modbot simulate --field mentions` puts one in. It is used
      // only when the mention cannot be read from Instagram, and the decision says where it came from.
      if (event.text !== null) {
        text = event.text;
        notes.push(
          'mention text taken from the webhook (a simulation): no access token to read it from Instagram',
        );
      } else notes.push('mention text not fetched: the account has no access token');
    } else if (account?.status === 'reauth_needed') {
      return {
        outcome: 'defer',
        reason: 'the account needs re-authorisation to read the mention',
        retryInMs: reauthWaitMs,
      };
    } else {
      const fetched = await mentionText(deps.mentions, credentials, event);
      if (fetched.ok) {
        text = fetched.value.text;
        author = fetched.value.author ?? author;
      } else if (fetched.error.kind === 'token') {
        await deps.accounts.setStatus(
          event.accountId,
          fetched.error.account === 'disconnected' ? 'disconnected' : 'reauth_needed',
          fetched.error.message,
        );
        return {
          outcome: 'defer',
          reason: `reading the mention: ${fetched.error.message}`,
          retryInMs: reauthWaitMs,
        };
      } else if (fetched.error.kind === 'throttled') {
        return {
          outcome: 'defer',
          reason: `reading the mention: ${fetched.error.message}`,
          retryInMs: fetched.error.retryAfterMs ?? 60_000,
        };
      } else if (fetched.error.retryable || fetched.error.kind === 'unknown') {
        return { outcome: 'retry', error: `reading the mention: ${fetched.error.message}` };
      } else {
        notes.push(`mention text not available (${fetched.error.kind}: ${fetched.error.message})`);
      }
    }
  }
  const read = author === event.author ? event : { ...event, author };
  return { index, item, event: read, text, notes, dryRun, started };
}

/**
 * A mention's text and, where Meta gives it, its author: a caption is written by the media's
 * owner (`username` on mentioned_media); Meta documents no author for a mentioned comment.
 */
async function mentionText(
  graph: MentionReader,
  account: AccountCredentials,
  event: InstagramEvent,
): Promise<GraphResult<{ text: string | null; author: EventAuthor | null }>> {
  if (event.kind === 'mention_comment' && event.commentId) {
    const r = await graph.getMentionedComment(account, event.commentId);
    return r.ok ? { ...r, value: { text: r.value?.text ?? null, author: null } } : r;
  }
  const r = await graph.getMentionedMedia(account, event.mediaId ?? '');
  if (!r.ok) return r;
  const username = r.value?.username ?? null;
  return {
    ...r,
    value: { text: r.value?.caption ?? null, author: username ? { id: null, username } : null },
  };
}
