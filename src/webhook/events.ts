/**
 * The typed events modbot moderates, normalised from every payload shape Meta documents
 * (see docs/meta-platform.md#payloads). Pure data: no I/O here.
 */

/** What happened. A mention is an @mention of the account in someone else's comment or caption. */
export type EventKind = 'comment' | 'reply' | 'live_comment' | 'mention_comment' | 'mention_caption';

/** Where the commented media is shown; from `media.media_product_type`. */
export type MediaProductType = 'FEED' | 'REELS' | 'STORY' | 'AD';

export interface EventAuthor {
  /** Instagram-scoped id of the commenter (`from.id`). */
  readonly id: string | null;
  readonly username: string | null;
}

export interface InstagramEvent {
  readonly kind: EventKind;
  /** The IG professional account the webhook is for (`entry.id`). */
  readonly accountId: string;
  /** The webhook field: comments, live_comments or mentions. */
  readonly field: string;
  /** The comment this event is about; null for a caption mention. */
  readonly commentId: string | null;
  /** The media the comment is on (or the media whose caption mentions us). */
  readonly mediaId: string | null;
  /** For replies: the top-level comment replied to. */
  readonly parentId: string | null;
  /** Comment text; for mentions null (it is read from the Graph API) unless a simulation sent one. */
  readonly text: string | null;
  readonly author: EventAuthor | null;
  /**
   * True when the account itself wrote the comment (`from.id` equals the account id, or
   * `from.self_ig_scoped_id` is present): our own replies come back as webhooks (loop guard).
   */
  readonly fromSelf: boolean;
  readonly mediaProductType: MediaProductType | null;
  /** Set on comments under boosted posts and ads. */
  readonly adId: string | null;
  /** When Meta sent the notification (`entry.time`), not when the comment was written. */
  readonly sentAt: Date;
  /** A dashboard "Test" event (entry.id "0"): acknowledged, stored, never acted on. */
  readonly isTest: boolean;
}
