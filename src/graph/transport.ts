/**
 * The Graph API transport: one HTTP call, from a request to a GraphResult. Runs on Node and
 * Cloudflare Workers: HTTP through a fetch-shaped function (global fetch by default; Node passes
 * undici's `request`, see ./node-http.ts), WebCrypto for appsecret_proof, no node: imports.
 * The typed calls built on it are in ./reads.ts and ./writes.ts, put together in ./client.ts.
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

/** Reads a 2xx body; undefined = not the expected shape. */
export type Parse<T> = (json: unknown) => T | undefined;

export interface GraphRequest {
  readonly method: 'GET' | 'POST' | 'DELETE';
  readonly url: URL;
  /** Token for this call (null: none). */
  readonly token: string | null;
  readonly loginType: LoginType | null;
  /** JSON body fields; the token joins them when tokenIn is 'param'. */
  readonly json?: Record<string, unknown>;
}

/** What the typed calls (./reads.ts, ./writes.ts) are built on; list calls page with ./paging.ts. */
export interface GraphTransport {
  /** `{base for the account's login}/{path}?{query}`; marked refused unless path and fieldIds are Graph ids. */
  urlFor(
    account: GraphAccount,
    path: string,
    query?: Record<string, string | undefined>,
    fieldIds?: readonly string[],
  ): URL;
  /** Marks `url` refused (answered `invalid`, nothing sent) unless every id is a Graph id. */
  refuseUnlessGraphIds(url: URL, ids: readonly string[]): void;
  /** Base for refresh_access_token, which Meta documents without a version segment. */
  refreshBase(): string;
  call<T>(req: GraphRequest, parse: Parse<T>, opts?: CallOptions): Promise<GraphResult<T>>;
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

export const isObj = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

export function createGraphTransport(options: GraphClientOptions = {}): GraphTransport {
  const version = options.version ?? 'v25.0';
  const timeoutMs = options.timeoutMs ?? 10_000;
  const doFetch: GraphFetch = options.fetch ?? ((url, init) => fetch(url, init));
  const tokenIn = options.tokenIn ?? 'param';
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
  const refuseUnlessGraphIds = (url: URL, ids: readonly string[]): void => {
    if (!ids.every((id) => GRAPH_ID.test(id))) badUrls.add(url);
  };
  const urlFor = (
    account: GraphAccount,
    path: string,
    query: Record<string, string | undefined> = {},
    fieldIds: readonly string[] = [],
  ): URL => {
    const segments = path.split('/');
    const url = new URL(`${base(account.loginType)}/${segments.map(encodeURIComponent).join('/')}`);
    for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, v);
    refuseUnlessGraphIds(url, [...segments, ...fieldIds]);
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

  async function call<T>(
    req: GraphRequest,
    parse: Parse<T>,
    opts: CallOptions = {},
  ): Promise<GraphResult<T>> {
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

  return { urlFor, refuseUnlessGraphIds, refreshBase, call };
}

function describeCause(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = (err as { cause?: unknown }).cause;
  const code = isObj(cause) && typeof cause.code === 'string' ? cause.code : null;
  return code ? `${err.message} (${code})` : err.message;
}
