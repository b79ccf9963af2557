/**
 * Graph API client for what moderation needs. Runs on Node and Cloudflare Workers: HTTP through a
 * fetch-shaped function (global fetch by default; Node passes undici's `request`, see
 * ./node-http.ts), WebCrypto for appsecret_proof, no node: imports.
 *
 * Every call resolves to a GraphResult (never throws for API or network failures), carrying the
 * parsed usage headers and a token-free description of the request for logs and audit rows.
 *
 * Where the token goes: Meta documents `access_token` as a request parameter on every call, and
 * the OpenAPI description we were given (test/fixtures/instagram-graph-api.yaml) requires it in the query
 * for GET/DELETE and in the JSON body for POST .../replies. So by default the token is a query
 * parameter, or a body field for JSON-body POSTs. `tokenIn: 'header'` sends
 * `Authorization: Bearer` instead. Either way the token never enters `request`, error messages,
 * or anything else this module returns (except refreshInstagramToken's new token, by design).
 *
 * Spec vs Meta (we follow Meta):
 *  - hide/unhide: Meta documents `POST /{ig-comment-id}?hide=true` (query parameter, IG Comment
 *    reference); the yaml puts `hide` in a JSON body. We send the query parameter and no body.
 *  - comments on/off: Meta documents `POST /{ig-media-id}?comment_enabled=false` (query); the yaml
 *    has a JSON body. We send the query parameter.
 *  - `POST /{ig-user-id}/mentions`, `refresh_access_token` and `since` on /{ig-user-id}/media are
 *    not in the yaml at all.
 */
import { classifyGraphError, type GraphError, noResponseError } from './errors.js';
import { type GraphUsage, parseUsageHeaders } from './usage.js';

export type LoginType = 'facebook' | 'instagram';

export interface GraphAccount {
  /** IG professional account id (IG user id). */
  readonly id: string;
  readonly loginType: LoginType;
  readonly accessToken: string;
}

export interface GraphClientOptions {
  /** Graph API version, e.g. 'v25.0' (docs/meta-platform.md#logins: Meta's examples use v25.0). */
  readonly version?: string;
  /**
   * GRAPH_API_BASE_URL: replaces the whole base INCLUDING the version, for both hosts, e.g.
   * `http://127.0.0.1:4010` for a mock that serves `/{comment-id}` at its root.
   */
  readonly baseUrl?: string;
  /** Meta app secret: appsecret_proof is sent on Facebook-Login (graph.facebook.com) calls. */
  readonly appSecret?: string;
  readonly timeoutMs?: number;
  /** How requests are sent (default: global fetch). */
  readonly fetch?: GraphFetch;
  /** 'param' (default): access_token as a query/body parameter. 'header': Authorization: Bearer. */
  readonly tokenIn?: 'param' | 'header';
  /** Page size asked for on list calls (default 50). */
  readonly pageSize?: number;
  /** Safety stop for paged iterators (default 1000 pages). */
  readonly maxPages?: number;
}

/** The part of fetch the client uses; fetch itself is one. */
export type GraphFetch = (url: URL, init: GraphRequestInit) => Promise<GraphResponse>;

export interface GraphRequestInit {
  readonly method: string;
  readonly headers: Record<string, string>;
  readonly body?: string;
  readonly signal: AbortSignal;
}

export interface GraphResponse {
  readonly status: number;
  readonly headers: { get(name: string): string | null };
  text(): Promise<string>;
}

export interface CallOptions {
  readonly signal?: AbortSignal;
  /** Overrides the client's timeoutMs for this call. */
  readonly timeoutMs?: number;
}

interface ResultBase {
  /** HTTP status, 0 when no response arrived. */
  readonly status: number;
  readonly usage: GraphUsage | null;
  /** Token-free description, e.g. `POST /v25.0/17900000000000002?hide=true`. */
  readonly request: string;
  readonly durationMs: number;
}
export type GraphResult<T> =
  | (ResultBase & { readonly ok: true; readonly value: T })
  | (ResultBase & { readonly ok: false; readonly error: GraphError });

export interface Success {
  readonly success: boolean;
}

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

export interface GraphPage<T> {
  readonly items: readonly T[];
  /** cursors.after of this page, if any. */
  readonly after: string | null;
  /** Whether Meta announced another page (paging.next present). */
  readonly hasNext: boolean;
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
export const MENTIONED_COMMENT_FIELDS = 'id,text,timestamp,like_count,username,media{id}';
export const MENTIONED_MEDIA_FIELDS =
  'id,caption,media_type,media_product_type,timestamp,permalink,username,comments_count';

export interface GraphClient {
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
  setCommentsEnabled(
    account: GraphAccount,
    mediaId: string,
    enabled: boolean,
    opts?: CallOptions,
  ): Promise<GraphResult<Success>>;
  /** IG Login long-lived token refresh (token ≥24 h old and unexpired). */
  refreshInstagramToken(accessToken: string, opts?: CallOptions): Promise<GraphResult<RefreshedToken>>;
}

/** Graph object ids: digits, sometimes `pageid_postid`; user ids in tests may carry letters. */
const GRAPH_ID = /^[A-Za-z0-9_]{1,64}$/;

const SECRET_PARAMS = [
  'access_token',
  'appsecret_proof',
  'client_secret',
  'fb_exchange_token',
  'input_token',
];

/** `METHOD /path?query` with every credential parameter removed. */
export function describeRequest(method: string, url: URL): string {
  const clean = new URL(url.href);
  for (const p of SECRET_PARAMS) clean.searchParams.delete(p);
  // Decoded for readability: `fields=id,text`, not `fields=id%2Ctext`.
  const q = [...clean.searchParams].map(([k, v]) => `${k}=${v}`).join('&');
  return `${method} ${clean.pathname}${q ? `?${q}` : ''}`;
}

/** hex(HMAC-SHA256(key = app secret, message = access token)), via WebCrypto. */
export async function appSecretProof(appSecret: string, accessToken: string): Promise<string> {
  const enc = new TextEncoder();
  const key = await crypto.subtle.importKey(
    'raw',
    enc.encode(appSecret),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  );
  const sig = new Uint8Array(await crypto.subtle.sign('HMAC', key, enc.encode(accessToken)));
  let hex = '';
  for (const b of sig) hex += b.toString(16).padStart(2, '0');
  return hex;
}

function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (s.length >= 4 && out.includes(s)) out = out.split(s).join('[redacted]');
  return out;
}

function trimSlash(s: string): string {
  return s.replace(/\/+$/, '');
}

type Parse<T> = (json: unknown) => T | undefined;

interface Req {
  readonly method: 'GET' | 'POST' | 'DELETE';
  readonly url: URL;
  /** Token for this call (null: none). */
  readonly token: string | null;
  readonly loginType: LoginType | null;
  /** JSON body fields; the token joins them when tokenIn is 'param'. */
  readonly json?: Record<string, unknown>;
}

const isObj = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

const parseSuccess: Parse<Success> = (j) =>
  isObj(j) && typeof j.success === 'boolean' ? { success: j.success } : undefined;
const parseId: Parse<{ id: string }> = (j) =>
  isObj(j) && typeof j.id === 'string' && j.id !== '' ? { id: j.id } : undefined;
const parseComment: Parse<IgComment> = (j) =>
  isObj(j) && typeof j.id === 'string' ? (j as unknown as IgComment) : undefined;
const parseMedia: Parse<IgMedia> = (j) =>
  isObj(j) && typeof j.id === 'string' ? (j as unknown as IgMedia) : undefined;

interface RawPage {
  data: unknown[];
  next: string | null;
  after: string | null;
}
const parseRawPage: Parse<RawPage> = (j) => {
  if (!isObj(j) || !Array.isArray(j.data)) return undefined;
  const paging = isObj(j.paging) ? j.paging : {};
  const cursors = isObj(paging.cursors) ? paging.cursors : {};
  return {
    data: j.data,
    next: typeof paging.next === 'string' && paging.next !== '' ? paging.next : null,
    after: typeof cursors.after === 'string' && cursors.after !== '' ? cursors.after : null,
  };
};

export function createGraphClient(options: GraphClientOptions = {}): GraphClient {
  const version = options.version ?? 'v25.0';
  const timeoutMs = options.timeoutMs ?? 10_000;
  const doFetch: GraphFetch = options.fetch ?? ((url, init) => fetch(url, init));
  const tokenIn = options.tokenIn ?? 'param';
  const pageSize = options.pageSize ?? 50;
  const maxPages = options.maxPages ?? 1000;
  const override = options.baseUrl ? trimSlash(options.baseUrl) : null;
  const proofs = new Map<string, Promise<string>>();

  const base = (loginType: LoginType): string =>
    override ??
    (loginType === 'facebook'
      ? `https://graph.facebook.com/${version}`
      : `https://graph.instagram.com/${version}`);
  // Meta documents refresh_access_token without a version segment.
  const refreshBase = (): string => override ?? 'https://graph.instagram.com';

  // Object ids come from webhooks; an id such as `../123/mentions` or `1){x}` must not steer the
  // call to another endpoint or field, so anything but a plain Graph id is refused unsent.
  const badUrls = new WeakSet<URL>();
  const urlFor = (
    account: GraphAccount,
    path: string,
    query: Record<string, string | undefined> = {},
    fieldIds: readonly string[] = [],
  ): URL => {
    const segments = path.split('/');
    const url = new URL(`${base(account.loginType)}/${segments.map(encodeURIComponent).join('/')}`);
    for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, v);
    if (![...segments, ...fieldIds].every((id) => GRAPH_ID.test(id))) badUrls.add(url);
    return url;
  };

  const proofFor = (token: string): Promise<string> | null => {
    if (!options.appSecret) return null;
    let p = proofs.get(token);
    if (!p) {
      if (proofs.size > 1000) proofs.clear();
      p = appSecretProof(options.appSecret, token);
      proofs.set(token, p);
    }
    return p;
  };

  async function call<T>(req: Req, parse: Parse<T>, opts: CallOptions = {}): Promise<GraphResult<T>> {
    if (badUrls.has(req.url)) {
      return {
        ok: false,
        status: 0,
        usage: null,
        request: `${req.method} (refused: not a Graph object id)`,
        durationMs: 0,
        error: {
          kind: 'invalid',
          code: null,
          subcode: null,
          message: 'not a Graph object id; nothing was sent',
          retryable: false,
        },
      };
    }
    const started = Date.now();
    const url = new URL(req.url.href);
    // Credentials must never come from elsewhere (e.g. a paging.next URL): strip, then add ours.
    for (const p of SECRET_PARAMS) url.searchParams.delete(p);
    const request = describeRequest(req.method, url);
    const headers: Record<string, string> = { accept: 'application/json' };
    let body: string | undefined;
    const json = req.json ? { ...req.json } : undefined;
    const secrets = req.token ? [req.token] : [];
    if (req.token) {
      if (tokenIn === 'header') headers.authorization = `Bearer ${req.token}`;
      else if (json) json.access_token = req.token;
      else url.searchParams.set('access_token', req.token);
      // appsecret_proof only proves Meta-app tokens (graph.facebook.com); IG Login tokens belong
      // to the Instagram app, whose secret differs (docs/meta-platform.md#graph-api-calls).
      const proof = req.loginType === 'facebook' ? proofFor(req.token) : null;
      if (proof) {
        const value = await proof;
        secrets.push(value);
        url.searchParams.set('appsecret_proof', value);
      }
    }
    if (json) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(json);
    }

    const controller = new AbortController();
    const limit = opts.timeoutMs ?? timeoutMs;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, limit);
    const onAbort = (): void => controller.abort();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    if (opts.signal?.aborted) controller.abort();

    const done = (
      r: Omit<ResultBase, 'request' | 'durationMs'> &
        ({ ok: true; value: T } | { ok: false; error: GraphError }),
    ): GraphResult<T> => ({ ...r, request, durationMs: Date.now() - started }) as GraphResult<T>;

    let status = 0;
    let usage: GraphUsage | null = null;
    try {
      const res = await doFetch(url, {
        method: req.method,
        headers,
        signal: controller.signal,
        ...(body !== undefined ? { body } : {}),
      });
      status = res.status;
      usage = parseUsageHeaders(res.headers);
      const text = await res.text();
      let parsed: unknown;
      let unparseable = false;
      if (text.trim() !== '') {
        try {
          parsed = JSON.parse(text) as unknown;
        } catch {
          unparseable = true;
        }
      }
      const retryAfter = Number(res.headers.get('retry-after'));
      const hasError = isObj(parsed) && parsed.error !== undefined;
      if (status < 200 || status > 299 || hasError) {
        const error = classifyGraphError({
          status,
          body: parsed,
          unparseable,
          usage,
          retryAfterSeconds: Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : null,
        });
        return done({
          ok: false,
          status,
          usage,
          error: { ...error, message: redact(error.message, secrets) },
        });
      }
      const value = unparseable ? undefined : parse(parsed);
      if (value === undefined) {
        // A 2xx we cannot read: for a write we do not know what happened.
        return done({
          ok: false,
          status,
          usage,
          error: noResponseError(
            `HTTP ${status} with ${unparseable ? 'an unparseable' : 'an unexpected'} body`,
          ),
        });
      }
      return done({ ok: true, status, usage, value });
    } catch (err) {
      const why = timedOut
        ? `no answer within ${limit} ms`
        : opts.signal?.aborted
          ? 'aborted by caller'
          : `network error: ${describeCause(err)}`;
      return done({ ok: false, status, usage, error: noResponseError(redact(why, secrets)) });
    } finally {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
    }
  }

  async function* pages<T>(
    account: GraphAccount,
    first: URL,
    parseItem: Parse<T>,
    opts: CallOptions,
    stopAt?: (item: T) => boolean,
  ): AsyncGenerator<GraphResult<GraphPage<T>>> {
    let url: URL | null = first;
    const seen = new Set<string>();
    for (let n = 0; url && n < maxPages; n++) {
      const r: GraphResult<RawPage> = await call(
        { method: 'GET', url, token: account.accessToken, loginType: account.loginType },
        parseRawPage,
        opts,
      );
      if (!r.ok) {
        yield r;
        return;
      }
      const items: T[] = [];
      let reachedEnd = false;
      for (const raw of r.value.data) {
        const item = parseItem(raw);
        if (item === undefined) continue;
        if (stopAt?.(item)) {
          reachedEnd = true;
          continue;
        }
        items.push(item);
      }
      const { next, after } = r.value;
      yield { ...r, value: { items, after, hasNext: next !== null && !reachedEnd } };
      if (!next || reachedEnd) return;
      // Follow paging.next only on our own origin (it carries Meta's copy of the token, which
      // call() strips and replaces); otherwise page by cursor on the first URL. A repeated
      // cursor ends the walk (mocks such as Prism answer every page with the same example).
      const key = after ?? next;
      if (seen.has(key)) return;
      seen.add(key);
      url = nextUrl(first, next, after);
    }
  }

  function nextUrl(first: URL, next: string, after: string | null): URL | null {
    try {
      const u = new URL(next);
      if (u.origin === first.origin && (u.protocol === 'https:' || u.protocol === 'http:')) return u;
    } catch {
      // not an absolute URL
    }
    if (!after) return null;
    const u = new URL(first.href);
    u.searchParams.set('after', after);
    return u;
  }

  const client: GraphClient = {
    hideComment(account, commentId, hide, opts) {
      // Meta: hide is a query parameter (the yaml's JSON body is wrong, see header comment).
      const url = urlFor(account, commentId, { hide: String(hide) });
      return call(
        { method: 'POST', url, token: account.accessToken, loginType: account.loginType },
        parseSuccess,
        opts,
      );
    },
    deleteComment(account, commentId, opts) {
      const url = urlFor(account, commentId);
      return call(
        { method: 'DELETE', url, token: account.accessToken, loginType: account.loginType },
        parseSuccess,
        opts,
      );
    },
    replyToComment(account, commentId, message, opts) {
      const url = urlFor(account, `${commentId}/replies`);
      return call(
        { method: 'POST', url, token: account.accessToken, loginType: account.loginType, json: { message } },
        parseId,
        opts,
      );
    },
    replyToMention(account, mention, opts) {
      const url = urlFor(account, `${account.id}/mentions`);
      const json: Record<string, unknown> = { media_id: mention.mediaId, message: mention.message };
      if (![mention.mediaId, mention.commentId ?? '0'].every((id) => GRAPH_ID.test(id))) badUrls.add(url);
      if (mention.commentId !== undefined) json.comment_id = mention.commentId;
      return call(
        { method: 'POST', url, token: account.accessToken, loginType: account.loginType, json },
        parseId,
        opts,
      );
    },
    getComment(account, commentId, opts) {
      const url = urlFor(account, commentId, { fields: opts?.fields ?? COMMENT_FIELDS });
      return call(
        { method: 'GET', url, token: account.accessToken, loginType: account.loginType },
        parseComment,
        opts,
      );
    },
    listReplies(account, commentId, opts = {}) {
      const url = urlFor(account, `${commentId}/replies`, { fields: REPLY_FIELDS, limit: String(pageSize) });
      return pages(account, url, parseComment, opts);
    },
    async findOwnReply(account, commentId, opts = {}) {
      let last: GraphResult<GraphPage<IgComment>> | null = null;
      for await (const page of client.listReplies(account, commentId, opts)) {
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
    getMentionedComment(account, commentId, opts) {
      const url = urlFor(
        account,
        account.id,
        {
          fields: `mentioned_comment.comment_id(${commentId}){${MENTIONED_COMMENT_FIELDS}}`,
        },
        [commentId],
      );
      return call(
        { method: 'GET', url, token: account.accessToken, loginType: account.loginType },
        (j) => (isObj(j) ? (parseComment(j.mentioned_comment) ?? null) : undefined),
        opts,
      );
    },
    getMentionedMedia(account, mediaId, opts) {
      const url = urlFor(
        account,
        account.id,
        {
          fields: `mentioned_media.media_id(${mediaId}){${MENTIONED_MEDIA_FIELDS}}`,
        },
        [mediaId],
      );
      return call(
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
      const url = urlFor(account, `${account.id}/media`, {
        fields: MEDIA_FIELDS,
        limit: String(pageSize),
        since: sinceMs === undefined ? undefined : String(Math.floor(sinceMs / 1000)),
      });
      const older =
        sinceMs === undefined
          ? undefined
          : (m: IgMedia): boolean => {
              const t = m.timestamp ? parseGraphTime(m.timestamp) : Number.NaN;
              return Number.isFinite(t) && t < sinceMs;
            };
      return pages(account, url, parseMedia, opts, older);
    },
    listComments(account, mediaId, opts = {}) {
      const url = urlFor(account, `${mediaId}/comments`, { fields: COMMENT_FIELDS, limit: String(pageSize) });
      return pages(account, url, parseComment, opts);
    },
    setCommentsEnabled(account, mediaId, enabled, opts) {
      // Meta: comment_enabled is a query parameter (the yaml shows a JSON body).
      const url = urlFor(account, mediaId, { comment_enabled: String(enabled) });
      return call(
        { method: 'POST', url, token: account.accessToken, loginType: account.loginType },
        parseSuccess,
        opts,
      );
    },
    refreshInstagramToken(accessToken, opts) {
      const url = new URL(`${refreshBase()}/refresh_access_token`);
      url.searchParams.set('grant_type', 'ig_refresh_token');
      return call(
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
  return client;
}

/** Graph timestamps look like `2026-04-17T12:00:00+0000`; make the offset ISO 8601 first. */
export function parseGraphTime(value: string): number {
  return Date.parse(value.replace(/([+-]\d\d)(\d\d)$/, '$1:$2'));
}

function describeCause(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = (err as { cause?: unknown }).cause;
  const code = isObj(cause) && typeof cause.code === 'string' ? cause.code : null;
  return code ? `${err.message} (${code})` : err.message;
}
