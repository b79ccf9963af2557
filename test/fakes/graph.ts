/**
 * A fake Instagram Graph API on loopback (node:http, random port), so tests, crash tests and
 * benchmarks run the real client and fetch end to end. Serves paths at its root, like
 * GRAPH_API_BASE_URL=http://127.0.0.1:PORT (a leading /vNN.N segment is accepted and ignored).
 *
 * In memory: accounts (with tokens), media, comments and replies. Endpoints (as Meta documents
 * them, docs/meta-platform.md#graph-api-calls): POST /{comment}?hide=, DELETE /{comment}, GET /{comment},
 * POST|GET /{comment}/replies, GET /{media}/comments, POST /{media}?comment_enabled=, GET /{media},
 * GET /{ig-user}/media, GET /{ig-user}?fields=mentioned_comment.comment_id(X){..} | mentioned_media.media_id(X){..},
 * POST /{ig-user}/mentions, GET /refresh_access_token.
 *
 * Every call is recorded without credentials. Faults are scripted per call or per path:
 * status codes (5xx with or without body), Graph errors, throttling with usage headers, hangs,
 * dropped connections before or after the write took effect, delays, and usage headers.
 *
 *   const g = await startFakeGraph();
 *   const acct = g.state.addAccount({ id: '17841400000000001', token: 'tok-1' });
 *   const media = g.state.addMedia(acct.id);
 *   const c = g.state.addComment(media.id, { text: 'dm me for $$$' });
 *   g.script({ method: 'POST', path: `/${c.id}/replies`, fault: { kind: 'apply-then-drop' } });
 *   // client = createGraphClient({ baseUrl: g.baseUrl }) ... g.calls, g.state.repliesTo(c.id)
 *   await g.close();
 */
import { createHmac, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';

export type LoginType = 'facebook' | 'instagram';

export interface FakeAccount {
  readonly id: string;
  username: string;
  loginType: LoginType;
  token: string;
  /** Tokens that still work (previous tokens after a refresh). */
  readonly oldTokens: string[];
  /** When true every call with this account's token gets 190/463 (expired). */
  tokenExpired: boolean;
}

export interface FakeMedia {
  readonly id: string;
  readonly ownerId: string;
  caption: string;
  timestamp: string;
  mediaType: string;
  productType: string;
  commentsEnabled: boolean;
}

export interface FakeComment {
  readonly id: string;
  readonly mediaId: string;
  /** Top-level comment id for replies, null for top-level comments. */
  readonly parentId: string | null;
  text: string;
  fromId: string;
  username: string;
  timestamp: string;
  hidden: boolean;
  deleted: boolean;
  likeCount: number;
}

export interface UsageSpec {
  /** X-App-Usage call_count/total_time/total_cputime percent. */
  readonly app?: number;
  /** X-Business-Use-Case-Usage percent for the calling account. */
  readonly business?: number;
  readonly regainMinutes?: number;
}

export type FakeFault =
  /** Plain HTTP answer, e.g. { status: 500 } (empty body) or { status: 502, body: '<html>' }. */
  | {
      readonly kind: 'status';
      readonly status: number;
      readonly body?: string;
      readonly headers?: Record<string, string>;
    }
  /** A Graph error body: {error:{code,error_subcode,message,type,is_transient,fbtrace_id}}. */
  | {
      readonly kind: 'error';
      readonly code: number;
      readonly subcode?: number;
      readonly status?: number;
      readonly message?: string;
      readonly isTransient?: boolean;
      readonly usage?: UsageSpec;
    }
  /** Throttling error (default code 80002) with usage headers at 100% and regain time. */
  | {
      readonly kind: 'throttle';
      readonly code?: number;
      readonly subcode?: number;
      readonly regainMinutes?: number;
      readonly status?: number;
    }
  /** Never answer (the client must time out). */
  | { readonly kind: 'hang' }
  /** Drop the connection without doing anything. */
  | { readonly kind: 'drop' }
  /** Do the write (e.g. create the reply), then drop the connection: "response lost". */
  | { readonly kind: 'apply-then-drop' }
  /** Answer normally after a delay. */
  | { readonly kind: 'delay'; readonly ms: number }
  /** Answer normally with these usage headers. */
  | { readonly kind: 'usage'; readonly usage: UsageSpec };

export interface ScriptRule {
  readonly method?: string;
  /** Exact path without the version prefix ('/179.../replies'), or a RegExp tested on it. */
  readonly path?: string | RegExp;
  /** How many matching calls this rule applies to (default 1; Infinity for all). */
  readonly times?: number;
  readonly fault: FakeFault;
}

export interface FakeCall {
  readonly seq: number;
  readonly method: string;
  /** Path without the version prefix, e.g. '/17900000000000002'. */
  readonly path: string;
  /** Query parameters without access_token / appsecret_proof. */
  readonly query: Readonly<Record<string, string>>;
  /** Parsed JSON or form body without access_token, null when empty. */
  readonly body: Readonly<Record<string, unknown>> | null;
  /** Where the token came from. */
  readonly auth: 'query' | 'body' | 'header' | null;
  /** appsecret_proof: absent, or checked against the fake's appSecret ('unchecked' without one). */
  readonly proof: 'valid' | 'invalid' | 'unchecked' | null;
  /** Account the token belongs to, if any. */
  readonly accountId: string | null;
  readonly fault: FakeFault['kind'] | null;
  /** Answered status; null while pending, for hangs and dropped connections. */
  status: number | null;
  readonly at: number;
}

export interface FakeGraphOptions {
  /** Checked on Facebook-Login accounts when sent; required too when requireProof. */
  readonly appSecret?: string;
  readonly requireProof?: boolean;
  /** Default page size when the client sends no limit (Meta: 25). */
  readonly pageSize?: number;
  /** Added before every answer. */
  readonly latencyMs?: number;
  /** Usage headers on normal answers (default { app: 1, business: 1 }; null: none). */
  readonly usage?: UsageSpec | null;
  /**
   * Unknown numeric comment / media ids are created on first use (a comment on the calling
   * account's media; mention targets on another account's media), so pipelines, crash tests and
   * benchmarks can fire webhooks with made-up ids. Deleted comments stay deleted (100/33).
   */
  readonly autoCreate?: boolean;
  /** Listen port (default 0: random). */
  readonly port?: number;
  /**
   * A business-use-case budget per account, as Meta enforces one: at most `calls` calls in any
   * rolling `windowMs`. Each answer's X-Business-Use-Case-Usage says how much of it is used (in
   * percent); past it calls are refused with 80002 and estimated_time_to_regain_access, in minutes
   * of `minuteMs` (default 60,000; the flood bench shortens time).
   */
  readonly buc?: { readonly calls: number; readonly windowMs: number; readonly minuteMs?: number };
}

export interface FakeGraphState {
  readonly accounts: Map<string, FakeAccount>;
  readonly media: Map<string, FakeMedia>;
  readonly comments: Map<string, FakeComment>;
  addAccount(a?: { id?: string; username?: string; token?: string; loginType?: LoginType }): FakeAccount;
  addMedia(
    ownerId: string,
    m?: { id?: string; caption?: string; timestamp?: string | Date; productType?: string },
  ): FakeMedia;
  addComment(
    mediaId: string,
    c: {
      text: string;
      id?: string;
      parentId?: string;
      fromId?: string;
      username?: string;
      timestamp?: string | Date;
      hidden?: boolean;
    },
  ): FakeComment;
  /** Live (not deleted) replies under a top-level comment, oldest first. */
  repliesTo(commentId: string): FakeComment[];
  /** Live replies under a comment written by the given account. */
  repliesBy(accountId: string, commentId: string): FakeComment[];
  /** Make every call with this account's tokens answer 190/463 until restored. */
  expireToken(accountId: string, expired?: boolean): void;
  /** A fresh numeric id. */
  nextId(): string;
}

export interface FakeGraph {
  /** e.g. http://127.0.0.1:41234 (no version: the paths are served at the root). */
  readonly baseUrl: string;
  readonly state: FakeGraphState;
  readonly calls: FakeCall[];
  script(...rules: ScriptRule[]): void;
  clearScript(): void;
  /** Usage headers on normal answers from now on (null: none). */
  setUsage(usage: UsageSpec | null): void;
  setLatency(ms: number): void;
  /** Calls matching method and path (string: exact, RegExp: test). */
  callsTo(method: string, path: string | RegExp): FakeCall[];
  close(): Promise<void>;
}

interface Answer {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

class GraphFail {
  constructor(
    readonly status: number,
    readonly code: number,
    readonly message: string,
    readonly subcode?: number,
    readonly type = 'OAuthException',
  ) {}
}

const gone = (id: string): GraphFail =>
  new GraphFail(
    400,
    100,
    `Unsupported request - Object with ID '${id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation`,
    33,
    'IGApiException',
  );

function errorBody(
  code: number,
  message: string,
  subcode?: number,
  type = 'OAuthException',
  isTransient = false,
): unknown {
  const error: Record<string, unknown> = {
    message,
    type,
    code,
    is_transient: isTransient,
    fbtrace_id: `A${randomBytes(8).toString('hex')}`,
  };
  if (subcode !== undefined) error.error_subcode = subcode;
  return { error };
}

function usageHeaders(spec: UsageSpec | null, accountId: string | null): Record<string, string> {
  if (!spec) return {};
  const out: Record<string, string> = {};
  if (spec.app !== undefined) {
    out['x-app-usage'] = JSON.stringify({
      call_count: spec.app,
      total_cputime: Math.floor(spec.app / 2),
      total_time: Math.floor(spec.app / 2),
    });
  }
  if (spec.business !== undefined && accountId) {
    out['x-business-use-case-usage'] = JSON.stringify({
      [accountId]: [
        {
          type: 'instagram',
          call_count: spec.business,
          total_cputime: Math.floor(spec.business / 2),
          total_time: Math.floor(spec.business / 2),
          estimated_time_to_regain_access: spec.regainMinutes ?? 0,
        },
      ],
    });
  }
  return out;
}

/** Top-level names of a Graph `fields` string: "a,b{c,d},e.x(1){y}" → a, b, e. */
function topFields(fields: string | undefined): Set<string> | null {
  if (!fields) return null;
  const out = new Set<string>();
  let depth = 0;
  let cur = '';
  for (const ch of fields) {
    if (ch === '{' || ch === '(') depth++;
    if (ch === '}' || ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      out.add(cur.trim().split(/[.{(]/)[0] ?? '');
      cur = '';
    } else cur += ch;
  }
  if (cur.trim()) out.add(cur.trim().split(/[.{(]/)[0] ?? '');
  return out;
}

function pick(
  obj: Record<string, unknown>,
  fields: Set<string> | null,
  defaults: readonly string[],
): Record<string, unknown> {
  const want = fields ?? new Set(defaults);
  const out: Record<string, unknown> = {};
  for (const k of want) if (obj[k] !== undefined) out[k] = obj[k];
  out.id = obj.id;
  return out;
}

const iso = (t: string | Date | undefined, fallback: Date): string =>
  (t === undefined ? fallback : typeof t === 'string' ? new Date(t) : t)
    .toISOString()
    .replace(/\.\d{3}Z$/, '+0000');

export async function startFakeGraph(options: FakeGraphOptions = {}): Promise<FakeGraph> {
  // Ids are strings of 17 digits, like Meta's; beyond Number.MAX_SAFE_INTEGER, so never numbers.
  let idSeq = 100;
  const nextId = (): string => `179${String(idSeq++).padStart(14, '0')}`;
  const accounts = new Map<string, FakeAccount>();
  const media = new Map<string, FakeMedia>();
  const comments = new Map<string, FakeComment>();
  const children = new Map<string, FakeComment[]>();
  const calls: FakeCall[] = [];
  let rules: Array<ScriptRule & { left: number }> = [];
  let usage: UsageSpec | null = options.usage === undefined ? { app: 1, business: 1 } : options.usage;
  let latencyMs = options.latencyMs ?? 0;
  const defaultPageSize = options.pageSize ?? 25;
  const pending = new Set<ServerResponse>();
  let baseUrl = '';

  const state: FakeGraphState = {
    accounts,
    media,
    comments,
    addAccount(a = {}) {
      const id = a.id ?? `178414${String(accounts.size + 1).padStart(11, '0')}`;
      const acct: FakeAccount = {
        id,
        username: a.username ?? `account_${accounts.size + 1}`,
        loginType: a.loginType ?? 'instagram',
        token: a.token ?? `IGQ${randomBytes(24).toString('hex')}`,
        oldTokens: [],
        tokenExpired: false,
      };
      accounts.set(id, acct);
      return acct;
    },
    addMedia(ownerId, m = {}) {
      const item: FakeMedia = {
        id: m.id ?? nextId(),
        ownerId,
        caption: m.caption ?? 'a post',
        timestamp: iso(m.timestamp, new Date()),
        mediaType: 'IMAGE',
        productType: m.productType ?? 'FEED',
        commentsEnabled: true,
      };
      media.set(item.id, item);
      return item;
    },
    addComment(mediaId, c) {
      const parent = c.parentId ? comments.get(c.parentId) : undefined;
      const item: FakeComment = {
        id: c.id ?? nextId(),
        mediaId,
        parentId: parent ? (parent.parentId ?? parent.id) : (c.parentId ?? null),
        text: c.text,
        fromId: c.fromId ?? `6000${String(comments.size + 1).padStart(12, '0')}`,
        username: c.username ?? `user_${comments.size + 1}`,
        timestamp: iso(c.timestamp, new Date()),
        hidden: c.hidden ?? false,
        deleted: false,
        likeCount: 0,
      };
      comments.set(item.id, item);
      if (item.parentId) {
        const list = children.get(item.parentId);
        if (list) list.push(item);
        else children.set(item.parentId, [item]);
      }
      return item;
    },
    repliesTo(commentId) {
      return (children.get(commentId) ?? []).filter((c) => !c.deleted);
    },
    repliesBy(accountId, commentId) {
      return state.repliesTo(commentId).filter((c) => c.fromId === accountId);
    },
    expireToken(accountId, expired = true) {
      const a = accounts.get(accountId);
      if (a) a.tokenExpired = expired;
    },
    nextId,
  };

  const commentView = (c: FakeComment): Record<string, unknown> => {
    const m = media.get(c.mediaId);
    return {
      id: c.id,
      text: c.text,
      timestamp: c.timestamp,
      username: c.username,
      from: { id: c.fromId, username: c.username },
      hidden: c.hidden,
      like_count: c.likeCount,
      parent_id: c.parentId ?? undefined,
      media: { id: c.mediaId, media_product_type: m?.productType },
    };
  };
  const mediaView = (m: FakeMedia): Record<string, unknown> => ({
    id: m.id,
    caption: m.caption,
    media_type: m.mediaType,
    media_product_type: m.productType,
    timestamp: m.timestamp,
    permalink: `https://www.instagram.com/p/${m.id}/`,
    username: accounts.get(m.ownerId)?.username,
    comments_count: [...comments.values()].filter((c) => c.mediaId === m.id && !c.deleted).length,
    is_comment_enabled: m.commentsEnabled,
  });

  /** Paged answer with Meta-style cursors and a next URL that (like Meta's) carries the token. */
  const paged = (items: Record<string, unknown>[], rawPath: string, query: URLSearchParams): Answer => {
    const limit = Math.max(1, Number(query.get('limit') ?? defaultPageSize) || defaultPageSize);
    const after = query.get('after');
    const start = after ? Number(Buffer.from(after, 'base64url').toString()) || 0 : 0;
    const data = items.slice(start, start + limit);
    const end = start + data.length;
    const paging: Record<string, unknown> = {
      cursors: {
        before: Buffer.from(String(start)).toString('base64url'),
        after: Buffer.from(String(end)).toString('base64url'),
      },
    };
    if (end < items.length) {
      const next = new URL(baseUrl + rawPath);
      for (const [k, v] of query) next.searchParams.set(k, v);
      next.searchParams.set('after', Buffer.from(String(end)).toString('base64url'));
      paging.next = next.href;
    }
    return { status: 200, body: { data, paging } };
  };

  const autoMedia = new Map<string, FakeMedia>();
  /** The media auto-created comments hang on: the caller's own, or another account's for mentions. */
  const autoMediaOf = (ownerId: string): FakeMedia => {
    let m = autoMedia.get(ownerId);
    if (!m) {
      m = state.addMedia(ownerId, { caption: 'auto-created media' });
      autoMedia.set(ownerId, m);
    }
    return m;
  };
  const isNew = (id: string): boolean =>
    options.autoCreate === true &&
    /^\d+$/.test(id) &&
    !comments.has(id) &&
    !media.has(id) &&
    !accounts.has(id);
  const autoComment = (id: string, ownerId: string): void => {
    if (isNew(id)) state.addComment(autoMediaOf(ownerId).id, { id, text: `comment ${id}` });
  };
  const FOREIGN = '17841499999999999';

  function route(
    method: string,
    path: string,
    rawPath: string,
    query: URLSearchParams,
    body: Record<string, unknown> | null,
    acct: FakeAccount,
  ): Answer {
    const seg = path.split('/').filter(Boolean).map(decodeURIComponent);
    const param = (name: string): string | undefined => {
      const v = query.get(name) ?? body?.[name];
      return v === undefined || v === null ? undefined : String(v);
    };
    const ownedComment = (id: string): FakeComment => {
      const c = comments.get(id);
      if (!c || c.deleted || media.get(c.mediaId)?.ownerId !== acct.id) throw gone(id);
      return c;
    };
    const ok = { status: 200, body: { success: true } };
    const [id, edge, ...rest] = seg;
    if (id === undefined || rest.length > 0) throw new GraphFail(400, 100, 'Unknown path components');
    if (edge === undefined || edge === 'replies') autoComment(id, acct.id);
    if (edge === 'comments' && isNew(id)) media.set(id, { ...autoMediaOf(acct.id), id });

    if (id === 'refresh_access_token' && method === 'GET') {
      if (query.get('grant_type') !== 'ig_refresh_token') throw new GraphFail(400, 100, 'Invalid grant_type');
      acct.oldTokens.push(acct.token);
      acct.token = `IGQ${randomBytes(24).toString('hex')}`;
      return { status: 200, body: { access_token: acct.token, token_type: 'bearer', expires_in: 5_184_000 } };
    }

    if (edge === undefined) {
      if (method === 'POST') {
        if (comments.has(id)) {
          const c = ownedComment(id);
          // Meta: hide is a query parameter (IG Comment reference).
          const hide = query.get('hide');
          if (hide !== 'true' && hide !== 'false')
            throw new GraphFail(400, 100, '(#100) The parameter hide is required');
          c.hidden = hide === 'true';
          return ok;
        }
        const m = media.get(id);
        if (m && m.ownerId === acct.id) {
          const enabled = query.get('comment_enabled');
          if (enabled !== 'true' && enabled !== 'false')
            throw new GraphFail(400, 100, '(#100) The parameter comment_enabled is required');
          m.commentsEnabled = enabled === 'true';
          return ok;
        }
        throw gone(id);
      }
      if (method === 'DELETE') {
        const c = ownedComment(id);
        c.deleted = true;
        return ok;
      }
      if (method === 'GET') {
        const fieldsRaw = query.get('fields') ?? undefined;
        const fields = topFields(fieldsRaw);
        if (comments.has(id))
          return { status: 200, body: pick(commentView(ownedComment(id)), fields, ['text', 'timestamp']) };
        const m = media.get(id);
        if (m) {
          if (m.ownerId !== acct.id) throw gone(id);
          return { status: 200, body: pick(mediaView(m), fields, []) };
        }
        const user = accounts.get(id);
        if (user) {
          if (user.id !== acct.id) throw gone(id);
          const out: Record<string, unknown> = { id: user.id };
          const mc = /mentioned_comment\.comment_id\(([^)]+)\)/.exec(fieldsRaw ?? '');
          const mm = /mentioned_media\.media_id\(([^)]+)\)/.exec(fieldsRaw ?? '');
          if (mc?.[1]) {
            autoComment(mc[1], FOREIGN);
            const c = comments.get(mc[1]);
            if (!c || c.deleted) throw gone(mc[1]);
            const inner = /mentioned_comment\.comment_id\([^)]+\)\{(.*)\}/.exec(fieldsRaw ?? '')?.[1];
            out.mentioned_comment = pick(commentView(c), topFields(inner), ['text', 'timestamp']);
          } else if (mm?.[1]) {
            if (isNew(mm[1]))
              media.set(mm[1], { ...autoMediaOf(FOREIGN), id: mm[1], caption: `caption ${mm[1]}` });
            const target = media.get(mm[1]);
            if (!target) throw gone(mm[1]);
            const inner = /mentioned_media\.media_id\([^)]+\)\{(.*)\}/.exec(fieldsRaw ?? '')?.[1];
            out.mentioned_media = pick(mediaView(target), topFields(inner), ['caption', 'media_type']);
          } else {
            Object.assign(out, pick({ id: user.id, username: user.username }, fields, ['username']));
          }
          return { status: 200, body: out };
        }
        throw gone(id);
      }
    }

    if (edge === 'replies') {
      const c = ownedComment(id);
      if (method === 'POST') {
        const message = param('message');
        if (!message) throw new GraphFail(400, 100, '(#100) The parameter message is required');
        const reply = state.addComment(c.mediaId, {
          text: message,
          parentId: c.id,
          fromId: acct.id,
          username: acct.username,
        });
        return { status: 200, body: { id: reply.id } };
      }
      if (method === 'GET') {
        const fields = topFields(query.get('fields') ?? undefined);
        const items = state
          .repliesTo(c.parentId ?? c.id)
          .map((r) => pick(commentView(r), fields, ['text', 'timestamp']));
        return paged(items, rawPath, query);
      }
    }

    if (edge === 'comments' && method === 'GET') {
      const m = media.get(id);
      if (!m || m.ownerId !== acct.id) throw gone(id);
      const fields = topFields(query.get('fields') ?? undefined);
      const items = [...comments.values()]
        .filter((c) => c.mediaId === id && c.parentId === null && !c.deleted)
        .map((c) => pick(commentView(c), fields, ['text', 'timestamp']));
      return paged(items, rawPath, query);
    }

    if (edge === 'media' && method === 'GET') {
      if (id !== acct.id) throw gone(id);
      const since = Number(query.get('since') ?? '0') * 1000;
      const fields = topFields(query.get('fields') ?? undefined);
      const items = [...media.values()]
        .filter((m) => m.ownerId === id && Date.parse(m.timestamp.replace('+0000', 'Z')) >= since)
        .sort((a, b) => b.timestamp.localeCompare(a.timestamp))
        .map((m) => pick(mediaView(m), fields, []));
      return paged(items, rawPath, query);
    }

    if (edge === 'mentions' && method === 'POST') {
      if (id !== acct.id) throw gone(id);
      const mediaId = param('media_id');
      const message = param('message');
      if (!mediaId || !message) throw new GraphFail(400, 100, '(#100) media_id and message are required');
      if (isNew(mediaId)) media.set(mediaId, { ...autoMediaOf(FOREIGN), id: mediaId });
      const m = media.get(mediaId);
      if (!m) throw gone(mediaId);
      const commentId = param('comment_id');
      if (commentId) autoComment(commentId, FOREIGN);
      if (commentId && !comments.has(commentId)) throw gone(commentId);
      const reply = state.addComment(mediaId, {
        text: message,
        fromId: acct.id,
        username: acct.username,
        ...(commentId ? { parentId: commentId } : {}),
      });
      return { status: 200, body: { id: reply.id } };
    }

    throw new GraphFail(400, 100, `Unsupported ${method} request`, undefined, 'GraphMethodException');
  }

  // The business-use-case budget: when each account's counted calls were made, oldest first.
  const bucCalls = new Map<string, number[]>();
  const bucSpent = (accountId: string, at: number): number => {
    const times = bucCalls.get(accountId) ?? [];
    const windowMs = options.buc?.windowMs ?? 0;
    while (times.length > 0 && (times[0] ?? 0) <= at - windowMs) times.shift();
    bucCalls.set(accountId, times);
    return times.length;
  };
  const bucSpend = (accountId: string, at: number): number => {
    bucSpent(accountId, at);
    bucCalls.get(accountId)?.push(at);
    return bucCalls.get(accountId)?.length ?? 0;
  };

  const takeRule = (method: string, path: string): ScriptRule | null => {
    for (const r of rules) {
      if (r.left <= 0) continue;
      if (r.method && r.method.toUpperCase() !== method) continue;
      if (r.path !== undefined && (typeof r.path === 'string' ? r.path !== path : !r.path.test(path)))
        continue;
      r.left--;
      return r;
    }
    return null;
  };

  const send = (res: ServerResponse, call: FakeCall, a: Answer): void => {
    call.status = a.status;
    pending.delete(res);
    if (res.destroyed) return;
    const text = a.body === undefined ? '' : typeof a.body === 'string' ? a.body : JSON.stringify(a.body);
    res.writeHead(a.status, {
      ...(typeof a.body === 'string' || a.body === undefined
        ? {}
        : { 'content-type': 'application/json; charset=UTF-8' }),
      ...a.headers,
    });
    res.end(text);
  };

  /**
   * Control endpoints for scripting the fake from another process (an operator, a shell test):
   *   GET /_fake/calls · POST /_fake/script {method?,path?,pathRegex?,times?,fault} · DELETE /_fake/script
   *   POST /_fake/accounts {id,token,username?,loginType?} · POST /_fake/usage {app?,business?,regainMinutes?}|null
   *   GET /_fake/comments/{id} (the comment and its live replies). Not recorded as calls.
   */
  function control(method: string, path: string, raw: string, res: ServerResponse): true {
    pending.delete(res);
    const json = (status: number, body: unknown): true => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
      return true;
    };
    let input: Record<string, unknown> = {};
    try {
      input = raw.trim() ? (JSON.parse(raw) as Record<string, unknown>) : {};
    } catch {
      return json(400, { error: 'body must be JSON' });
    }
    if (method === 'GET' && path === '/_fake/calls') return json(200, calls);
    if (method === 'DELETE' && path === '/_fake/script') {
      rules = [];
      return json(200, { ok: true });
    }
    if (method === 'POST' && path === '/_fake/script') {
      const rule: ScriptRule & { left: number } = {
        fault: input.fault as FakeFault,
        left:
          typeof input.times === 'number'
            ? input.times
            : input.times === 'always'
              ? Number.POSITIVE_INFINITY
              : 1,
        ...(typeof input.method === 'string' ? { method: input.method } : {}),
        ...(typeof input.path === 'string' ? { path: input.path } : {}),
        ...(typeof input.pathRegex === 'string' ? { path: new RegExp(input.pathRegex) } : {}),
      };
      if (!rule.fault || typeof rule.fault.kind !== 'string')
        return json(400, { error: 'fault.kind is required' });
      rules.push(rule);
      return json(200, { ok: true });
    }
    if (method === 'POST' && path === '/_fake/accounts') {
      if (typeof input.id !== 'string' || typeof input.token !== 'string')
        return json(400, { error: 'id and token are required' });
      const a = state.addAccount({
        id: input.id,
        token: input.token,
        ...(typeof input.username === 'string' ? { username: input.username } : {}),
        ...(input.loginType === 'facebook' || input.loginType === 'instagram'
          ? { loginType: input.loginType }
          : {}),
      });
      return json(200, { id: a.id, username: a.username, loginType: a.loginType });
    }
    if (method === 'POST' && path === '/_fake/usage') {
      usage = raw.trim() === 'null' ? null : (input as UsageSpec);
      return json(200, { ok: true });
    }
    const m = /^\/_fake\/comments\/([^/]+)$/.exec(path);
    if (method === 'GET' && m?.[1]) {
      const c = comments.get(m[1]);
      return c
        ? json(200, { comment: c, replies: state.repliesTo(c.id) })
        : json(404, { error: 'no such comment' });
    }
    return json(404, { error: `unknown control endpoint ${method} ${path}` });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    pending.add(res);
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://fake');
    const method = (req.method ?? 'GET').toUpperCase();
    const path = url.pathname.replace(/^\/v\d+\.\d+(?=\/)/, '');
    const query = new URLSearchParams(url.searchParams);

    if (path.startsWith('/_fake/')) {
      control(method, path, raw, res);
      return;
    }

    let body: Record<string, unknown> | null = null;
    if (raw.trim()) {
      const type = req.headers['content-type'] ?? '';
      try {
        body = type.includes('json')
          ? (JSON.parse(raw) as Record<string, unknown>)
          : Object.fromEntries(new URLSearchParams(raw));
      } catch {
        body = { _unparseable: raw.length };
      }
    }

    let token: string | null = null;
    let auth: FakeCall['auth'] = null;
    const header = req.headers.authorization;
    if (query.has('access_token')) {
      token = query.get('access_token');
      auth = 'query';
    } else if (body && typeof body.access_token === 'string') {
      token = body.access_token;
      auth = 'body';
    } else if (header && /^(Bearer|OAuth) /i.test(header)) {
      token = header.replace(/^(Bearer|OAuth) /i, '');
      auth = 'header';
    }
    const acct = token
      ? ([...accounts.values()].find((a) => a.token === token || a.oldTokens.includes(token)) ?? null)
      : null;
    const proofSent =
      query.get('appsecret_proof') ??
      (typeof body?.appsecret_proof === 'string' ? body.appsecret_proof : null);
    let proof: FakeCall['proof'] = null;
    if (proofSent) {
      proof =
        options.appSecret && token
          ? createHmac('sha256', options.appSecret).update(token).digest('hex') === proofSent
            ? 'valid'
            : 'invalid'
          : 'unchecked';
    }

    const recordedQuery = Object.fromEntries(
      [...query].filter(([k]) => k !== 'access_token' && k !== 'appsecret_proof'),
    );
    const recordedBody = body
      ? Object.fromEntries(
          Object.entries(body).filter(([k]) => k !== 'access_token' && k !== 'appsecret_proof'),
        )
      : null;
    const rule = takeRule(method, path);
    const call: FakeCall = {
      seq: calls.length + 1,
      method,
      path,
      query: recordedQuery,
      body: recordedBody,
      auth,
      proof,
      accountId: acct?.id ?? null,
      fault: rule?.fault.kind ?? null,
      status: null,
      at: Date.now(),
    };
    calls.push(call);

    const wait = latencyMs + (rule?.fault.kind === 'delay' ? rule.fault.ms : 0);
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));

    const fault = rule?.fault;
    if (fault?.kind === 'hang') return; // answered by close()
    if (fault?.kind === 'drop') {
      pending.delete(res);
      req.socket.destroy();
      return;
    }
    if (fault?.kind === 'status')
      return send(res, call, { status: fault.status, body: fault.body ?? '', headers: fault.headers ?? {} });
    if (fault?.kind === 'error') {
      return send(res, call, {
        status: fault.status ?? (fault.isTransient || fault.code === 1 || fault.code === 2 ? 500 : 400),
        body: errorBody(
          fault.code,
          fault.message ?? `(#${fault.code}) scripted error`,
          fault.subcode,
          'OAuthException',
          fault.isTransient ?? false,
        ),
        headers: usageHeaders(fault.usage ?? usage, acct?.id ?? null),
      });
    }
    if (fault?.kind === 'throttle') {
      const code = fault.code ?? 80002;
      const regain = fault.regainMinutes ?? 1;
      return send(res, call, {
        status: fault.status ?? 400,
        body: errorBody(
          code,
          `(#${code}) There have been too many calls. Please wait a bit and try again.`,
          fault.subcode,
        ),
        headers: usageHeaders(
          { app: code === 4 ? 100 : 40, business: 100, regainMinutes: regain },
          acct?.id ?? path.split('/')[1] ?? null,
        ),
      });
    }

    // Authentication, as Meta checks it: a token is required, it must be valid and unexpired.
    let answer: Answer;
    if (!token || !acct) {
      answer = {
        status: 400,
        body: errorBody(190, 'Invalid OAuth access token - Cannot parse access token'),
      };
    } else if (acct.tokenExpired) {
      answer = {
        status: 400,
        body: errorBody(190, 'Error validating access token: Session has expired.', 463),
      };
    } else if (
      options.appSecret &&
      acct.loginType === 'facebook' &&
      (proof === 'invalid' || (options.requireProof && !proofSent))
    ) {
      answer = {
        status: 400,
        body: errorBody(
          100,
          'Invalid appsecret_proof provided in the API argument',
          undefined,
          'GraphMethodException',
        ),
      };
    } else if (options.buc && bucSpent(acct.id, call.at) >= options.buc.calls) {
      const buc = options.buc;
      const regainMs = (bucCalls.get(acct.id)?.[0] ?? call.at) + buc.windowMs - call.at;
      answer = {
        status: 400,
        body: errorBody(
          80002,
          '(#80002) There have been too many calls to this Instagram account. Wait a bit and try again.',
        ),
        headers: usageHeaders(
          { app: 1, business: 100, regainMinutes: Math.max(regainMs, 1) / (buc.minuteMs ?? 60_000) },
          acct.id,
        ),
      };
    } else {
      try {
        answer = route(method, path, url.pathname, query, body, acct);
        let spec = fault?.kind === 'usage' ? fault.usage : usage;
        if (options.buc && fault?.kind !== 'usage') {
          const spent = bucSpend(acct.id, call.at);
          spec = { app: 1, business: Math.round((spent * 100) / options.buc.calls) };
        }
        answer.headers = { ...usageHeaders(spec, acct.id), ...answer.headers };
      } catch (err) {
        if (!(err instanceof GraphFail)) throw err;
        answer = { status: err.status, body: errorBody(err.code, err.message, err.subcode, err.type) };
      }
    }
    if (fault?.kind === 'apply-then-drop') {
      call.status = null;
      pending.delete(res);
      req.socket.destroy();
      return;
    }
    send(res, call, answer);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent && !res.destroyed) {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(String(err));
      }
    });
  });
  // Like the real API, keep connections open. (undici closes a connection after each response
  // when the server's keep-alive hint is 1 s or less, which would make every call reconnect.)
  server.keepAliveTimeout = 10_000;
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    baseUrl,
    state,
    calls,
    script(...more) {
      rules.push(...more.map((r) => ({ ...r, left: r.times ?? 1 })));
    },
    clearScript() {
      rules = [];
    },
    setUsage(u) {
      usage = u;
    },
    setLatency(ms) {
      latencyMs = ms;
    },
    callsTo(method, path) {
      return calls.filter(
        (c) =>
          c.method === method.toUpperCase() &&
          (typeof path === 'string' ? c.path === path : path.test(c.path)),
      );
    },
    async close() {
      for (const res of pending) res.destroy();
      pending.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * Standalone: `npx tsx test/fakes/graph.ts` serves the fake on FAKE_GRAPH_PORT (default 4010)
 * with autoCreate on, and registers IG_ACCOUNT_ID / IG_ACCESS_TOKEN when set, so modbot can run
 * with GRAPH_API_BASE_URL=http://127.0.0.1:4010 and faults can be scripted over /_fake/*.
 */
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const g = await startFakeGraph({ autoCreate: true, port: Number(process.env.FAKE_GRAPH_PORT ?? 4010) });
  const { IG_ACCOUNT_ID: id, IG_ACCESS_TOKEN: token } = process.env;
  if (id && token)
    g.state.addAccount({
      id,
      token,
      loginType: process.env.IG_LOGIN_TYPE === 'facebook' ? 'facebook' : 'instagram',
    });
  console.log(`fake Graph API listening on ${g.baseUrl} (control: ${g.baseUrl}/_fake/calls)`);
  const stop = (): void => {
    g.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
