/**
 * The Graph API writes: hide/unhide, delete, reply to a comment, reply to a mention, comments
 * on/off for a media; and findOwnReply, which tells after an unknown outcome whether a reply was
 * made. Built on ./transport.ts.
 *
 * Spec vs Meta (we follow Meta; the yaml is test/fixtures/instagram-graph-api.yaml):
 *  - hide/unhide: Meta documents `POST /{ig-comment-id}?hide=true` (query parameter, IG Comment
 *    reference); the yaml puts `hide` in a JSON body. We send the query parameter and no body.
 *  - comments on/off: Meta documents `POST /{ig-media-id}?comment_enabled=false` (query); the yaml
 *    has a JSON body. We send the query parameter.
 *  - `POST /{ig-user-id}/mentions` is not in the yaml at all.
 */
import { noResponseError } from './errors.js';
import type { GraphPage } from './paging.js';
import type { GraphReads, IgComment } from './reads.js';
import {
  type CallOptions,
  type GraphAccount,
  type GraphResult,
  type GraphTransport,
  isObj,
  type Parse,
} from './transport.js';

export interface Success {
  readonly success: boolean;
}

export interface GraphWrites {
  hideComment(
    account: GraphAccount,
    commentId: string,
    hide: boolean,
    opts?: CallOptions,
  ): Promise<GraphResult<Success>>;
  deleteComment(account: GraphAccount, commentId: string, opts?: CallOptions): Promise<GraphResult<Success>>;
  replyToComment(
    account: GraphAccount,
    commentId: string,
    message: string,
    opts?: CallOptions,
  ): Promise<GraphResult<{ id: string }>>;
  /** Public reply to a mention: comment mention when commentId is given, caption mention otherwise. */
  replyToMention(
    account: GraphAccount,
    mention: { mediaId: string; commentId?: string; message: string },
    opts?: CallOptions,
  ): Promise<GraphResult<{ id: string }>>;
  /**
   * After an unknown outcome: look through the replies of `commentId` for one written by this
   * account (from.id === account.id, or username === opts.username when Meta omits `from`),
   * optionally with exactly this text. value null = none found; an error = could not tell.
   */
  findOwnReply(
    account: GraphAccount,
    commentId: string,
    opts?: CallOptions & { message?: string; username?: string },
  ): Promise<GraphResult<IgComment | null>>;
  setCommentsEnabled(
    account: GraphAccount,
    mediaId: string,
    enabled: boolean,
    opts?: CallOptions,
  ): Promise<GraphResult<Success>>;
}

const parseSuccess: Parse<Success> = (j) =>
  isObj(j) && typeof j.success === 'boolean' ? { success: j.success } : undefined;
const parseId: Parse<{ id: string }> = (j) =>
  isObj(j) && typeof j.id === 'string' && j.id !== '' ? { id: j.id } : undefined;

/** `reads.listReplies` is what findOwnReply looks through. */
export function createGraphWrites(t: GraphTransport, reads: Pick<GraphReads, 'listReplies'>): GraphWrites {
  return {
    hideComment(account, commentId, hide, opts) {
      // Meta: hide is a query parameter (the yaml's JSON body is wrong, see header comment).
      const url = t.urlFor(account, commentId, { hide: String(hide) });
      return t.call(
        { method: 'POST', url, token: account.accessToken, loginType: account.loginType },
        parseSuccess,
        opts,
      );
    },
    deleteComment(account, commentId, opts) {
      const url = t.urlFor(account, commentId);
      return t.call(
        { method: 'DELETE', url, token: account.accessToken, loginType: account.loginType },
        parseSuccess,
        opts,
      );
    },
    replyToComment(account, commentId, message, opts) {
      const url = t.urlFor(account, `${commentId}/replies`);
      return t.call(
        { method: 'POST', url, token: account.accessToken, loginType: account.loginType, json: { message } },
        parseId,
        opts,
      );
    },
    replyToMention(account, mention, opts) {
      const url = t.urlFor(account, `${account.id}/mentions`);
      const json: Record<string, unknown> = { media_id: mention.mediaId, message: mention.message };
      t.refuseUnlessGraphIds(url, [mention.mediaId, mention.commentId ?? '0']);
      if (mention.commentId !== undefined) json.comment_id = mention.commentId;
      return t.call(
        { method: 'POST', url, token: account.accessToken, loginType: account.loginType, json },
        parseId,
        opts,
      );
    },
    async findOwnReply(account, commentId, opts = {}) {
      let last: GraphResult<GraphPage<IgComment>> | null = null;
      for await (const page of reads.listReplies(account, commentId, opts)) {
        if (!page.ok) return page;
        last = page;
        const mine = page.value.items.find(
          (c) =>
            (c.from?.id === account.id || (opts.username !== undefined && c.username === opts.username)) &&
            (opts.message === undefined || c.text === opts.message),
        );
        if (mine) return { ...page, value: mine };
      }
      if (!last) {
        return {
          ok: false,
          status: 0,
          usage: null,
          request: `GET /${commentId}/replies`,
          durationMs: 0,
          error: noResponseError('no page returned'),
        };
      }
      return { ...last, value: null };
    },
    setCommentsEnabled(account, mediaId, enabled, opts) {
      // Meta: comment_enabled is a query parameter (the yaml shows a JSON body).
      const url = t.urlFor(account, mediaId, { comment_enabled: String(enabled) });
      return t.call(
        { method: 'POST', url, token: account.accessToken, loginType: account.loginType },
        parseSuccess,
        opts,
      );
    },
  };
}
