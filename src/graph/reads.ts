/**
 * The Graph API reads: a comment, the replies and top-level comments of a media, the account's
 * media, mentioned comments and media, and the IG Login token refresh. Built on ./transport.ts;
 * lists page with ./paging.ts.
 *
 * Spec vs Meta (we follow Meta): `since` on /{ig-user-id}/media and `refresh_access_token` are not
 * in the OpenAPI description we were given (test/fixtures/instagram-graph-api.yaml).
 */
import { type GraphPage, walkPages } from './paging.js';
import {
  type CallOptions,
  type GraphAccount,
  type GraphResult,
  type GraphTransport,
  isObj,
  type Parse,
} from './transport.js';

export interface IgComment {
  readonly id: string;
  readonly text?: string;
  readonly timestamp?: string;
  readonly username?: string;
  readonly from?: { readonly id: string; readonly username?: string };
  readonly hidden?: boolean;
  readonly like_count?: number;
  readonly parent_id?: string;
  readonly media?: { readonly id: string; readonly media_product_type?: string };
}

export interface IgMedia {
  readonly id: string;
  readonly caption?: string;
  readonly media_type?: string;
  readonly media_product_type?: string;
  readonly timestamp?: string;
  readonly permalink?: string;
  readonly username?: string;
  readonly comments_count?: number;
  readonly is_comment_enabled?: boolean;
}

export interface RefreshedToken {
  readonly accessToken: string;
  readonly tokenType: string;
  /** Seconds until the new token expires (60 days for IG long-lived tokens). */
  readonly expiresIn: number;
}

export const COMMENT_FIELDS =
  'id,text,timestamp,username,from,hidden,like_count,parent_id,media{id,media_product_type}';
export const REPLY_FIELDS = 'id,text,timestamp,username,from,parent_id';
export const MEDIA_FIELDS =
  'id,caption,media_type,media_product_type,timestamp,permalink,username,comments_count';
/**
 * The fields Meta documents for the mention edges (IG User reference, mentioned_comment and
 * mentioned_media). A mentioned comment has no author field; a caption's author is the media's
 * `username` (its owner).
 */
export const MENTIONED_COMMENT_FIELDS = 'id,text,timestamp,like_count,media{id}';
export const MENTIONED_MEDIA_FIELDS = 'id,caption,media_type,comments_count,like_count,timestamp,username';

export interface GraphReads {
  getComment(
    account: GraphAccount,
    commentId: string,
    opts?: CallOptions & { fields?: string },
  ): Promise<GraphResult<IgComment>>;
  listReplies(
    account: GraphAccount,
    commentId: string,
    opts?: CallOptions,
  ): AsyncIterable<GraphResult<GraphPage<IgComment>>>;
  /** GET /{ig-user-id}?fields=mentioned_comment.comment_id(ID){...}; value null when not returned. */
  getMentionedComment(
    account: GraphAccount,
    commentId: string,
    opts?: CallOptions,
  ): Promise<GraphResult<IgComment | null>>;
  /** GET /{ig-user-id}?fields=mentioned_media.media_id(ID){...}; value null when not returned. */
  getMentionedMedia(
    account: GraphAccount,
    mediaId: string,
    opts?: CallOptions,
  ): Promise<GraphResult<IgMedia | null>>;
  /**
   * The account's media, newest first, page by page. With `since`, asks Meta for time-based
   * paging and also drops older items itself and stops at the first page that reaches past it.
   * An error page ends the iteration.
   */
  listMedia(
    account: GraphAccount,
    opts?: CallOptions & { since?: Date | number },
  ): AsyncIterable<GraphResult<GraphPage<IgMedia>>>;
  /** Top-level comments of a media, page by page (replies: listReplies). */
  listComments(
    account: GraphAccount,
    mediaId: string,
    opts?: CallOptions,
  ): AsyncIterable<GraphResult<GraphPage<IgComment>>>;
  /** IG Login long-lived token refresh (token ≥24 h old and unexpired). */
  refreshInstagramToken(accessToken: string, opts?: CallOptions): Promise<GraphResult<RefreshedToken>>;
}

const parseComment: Parse<IgComment> = (j) =>
  isObj(j) && typeof j.id === 'string' ? (j as unknown as IgComment) : undefined;
const parseMedia: Parse<IgMedia> = (j) =>
  isObj(j) && typeof j.id === 'string' ? (j as unknown as IgMedia) : undefined;

export function createGraphReads(
  t: GraphTransport,
  paging: { readonly pageSize: number; readonly maxPages: number },
): GraphReads {
  const { pageSize, maxPages } = paging;
  const pages = <T>(
    account: GraphAccount,
    first: URL,
    parseItem: Parse<T>,
    opts: CallOptions,
    stopAt?: (item: T) => boolean,
  ) => walkPages(t.call, maxPages, account, first, parseItem, opts, stopAt);

  return {
    getComment(account, commentId, opts) {
      const url = t.urlFor(account, commentId, { fields: opts?.fields ?? COMMENT_FIELDS });
      return t.call(
        { method: 'GET', url, token: account.accessToken, loginType: account.loginType },
        parseComment,
        opts,
      );
    },
    listReplies(account, commentId, opts = {}) {
      const url = t.urlFor(account, `${commentId}/replies`, {
        fields: REPLY_FIELDS,
        limit: String(pageSize),
      });
      return pages(account, url, parseComment, opts);
    },
    getMentionedComment(account, commentId, opts) {
      const url = t.urlFor(
        account,
        account.id,
        {
          fields: `mentioned_comment.comment_id(${commentId}){${MENTIONED_COMMENT_FIELDS}}`,
        },
        [commentId],
      );
      return t.call(
        { method: 'GET', url, token: account.accessToken, loginType: account.loginType },
        (j) => (isObj(j) ? (parseComment(j.mentioned_comment) ?? null) : undefined),
        opts,
      );
    },
    getMentionedMedia(account, mediaId, opts) {
      const url = t.urlFor(
        account,
        account.id,
        {
          fields: `mentioned_media.media_id(${mediaId}){${MENTIONED_MEDIA_FIELDS}}`,
        },
        [mediaId],
      );
      return t.call(
        { method: 'GET', url, token: account.accessToken, loginType: account.loginType },
        (j) => (isObj(j) ? (parseMedia(j.mentioned_media) ?? null) : undefined),
        opts,
      );
    },
    listMedia(account, opts = {}) {
      const sinceMs =
        opts.since === undefined
          ? undefined
          : typeof opts.since === 'number'
            ? opts.since
            : opts.since.getTime();
      const url = t.urlFor(account, `${account.id}/media`, {
        fields: MEDIA_FIELDS,
        limit: String(pageSize),
        since: sinceMs === undefined ? undefined : String(Math.floor(sinceMs / 1000)),
      });
      const older =
        sinceMs === undefined
          ? undefined
          : (m: IgMedia): boolean => {
              const time = m.timestamp ? parseGraphTime(m.timestamp) : Number.NaN;
              return Number.isFinite(time) && time < sinceMs;
            };
      return pages(account, url, parseMedia, opts, older);
    },
    listComments(account, mediaId, opts = {}) {
      const url = t.urlFor(account, `${mediaId}/comments`, {
        fields: COMMENT_FIELDS,
        limit: String(pageSize),
      });
      return pages(account, url, parseComment, opts);
    },
    refreshInstagramToken(accessToken, opts) {
      const url = new URL(`${t.refreshBase()}/refresh_access_token`);
      url.searchParams.set('grant_type', 'ig_refresh_token');
      return t.call(
        { method: 'GET', url, token: accessToken, loginType: null },
        (j) =>
          isObj(j) && typeof j.access_token === 'string' && j.access_token !== ''
            ? {
                accessToken: j.access_token,
                tokenType: typeof j.token_type === 'string' ? j.token_type : 'bearer',
                expiresIn: typeof j.expires_in === 'number' ? j.expires_in : 0,
              }
            : undefined,
        opts,
      );
    },
  };
}

/** Graph timestamps look like `2026-04-17T12:00:00+0000`; make the offset ISO 8601 first. */
export function parseGraphTime(value: string): number {
  return Date.parse(value.replace(/([+-]\d\d)(\d\d)$/, '$1:$2'));
}
