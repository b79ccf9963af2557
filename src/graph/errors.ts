/**
 * Graph API error taxonomy. Pure: classifies by numeric code / subcode and HTTP status, never by
 * message text (the `type` and wording vary between graph.facebook.com and graph.instagram.com).
 * Table: docs/meta-platform.md#errors and https://developers.facebook.com/docs/graph-api/guides/error-handling
 *
 *   transient   retry with backoff (1, 2, is_transient, 5xx without a usable body)
 *   throttled   wait retryAfterMs, then retry (4, 17, 32, 341, 613, 80001, 80002, 4/2207051, 368)
 *   token       stop using the account: `account` says reauth (190, 190/460/463/467/492, 102)
 *               or disconnected (190/458, 190/459, 190/464)
 *   permission  give up and record (10, 200–299)
 *   invalid     give up and record: a clean rejection (100 except 100/33, 506, other 4xx)
 *   gone        the object is gone / not ours (100/33): an idempotent delete or hide is done
 *   unknown     no usable answer (timeout, dropped connection, unparseable body): a write may or
 *               may not have happened. Hide/delete may simply be repeated; a reply must first
 *               look for its own earlier reply (see GraphClient.findOwnReply).
 */
import type { GraphUsage } from './usage.js';

export type GraphErrorKind =
  | 'transient'
  | 'throttled'
  | 'token'
  | 'permission'
  | 'invalid'
  | 'gone'
  | 'unknown';

export interface GraphError {
  readonly kind: GraphErrorKind;
  /** Graph `error.code`; null when there was no parseable error body. */
  readonly code: number | null;
  readonly subcode: number | null;
  /** Meta's message or our own description. Never contains the access token. */
  readonly message: string;
  /** For `throttled` (and transient hints): how long to wait before the next call. */
  readonly retryAfterMs?: number;
  readonly fbtraceId?: string;
  /** For `token`: re-authorise the account, or treat it as disconnected (app removed, checkpoint). */
  readonly account?: 'reauth' | 'disconnected';
  /**
   * For `throttled`: 'app' when the limit is app-wide (code 4 without subcode, 341), so every
   * account is affected; 'account' otherwise (user, page, BUC, action blocked, policy block).
   */
  readonly scope?: 'app' | 'account';
  /** True when calling again later may succeed (transient, throttled). */
  readonly retryable: boolean;
}

export const THROTTLE_CODES: ReadonlySet<number> = new Set([4, 17, 32, 341, 613, 80001, 80002, 368]);
/**
 * 4 / 2207051: Instagram's "Action is blocked" spam throttle (reported by other projects, not documented
 * by Meta: docs/meta-platform.md#rate-limits).
 */
export const ACTION_BLOCKED_SUBCODE = 2207051;

export const DEFAULT_THROTTLE_MS = 60_000;
export const ACTION_BLOCKED_MS = 30 * 60_000;
export const POLICY_BLOCK_MS = 60 * 60_000;

const DISCONNECTED_SUBCODES = new Set([458, 459, 464]);

export interface ErrorInput {
  /** HTTP status; 0 when no response arrived. */
  readonly status: number;
  /** Parsed JSON body (undefined when empty or not JSON). */
  readonly body: unknown;
  /** Raw body text was present but did not parse. */
  readonly unparseable?: boolean;
  readonly usage?: GraphUsage | null;
  /** Retry-After header in seconds, if any. */
  readonly retryAfterSeconds?: number | null;
}

interface RawGraphError {
  code: number | null;
  subcode: number | null;
  message: string;
  isTransient: boolean;
  fbtraceId: string | undefined;
}

function toInt(v: unknown): number | null {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'string' && /^\d+$/.test(v)) return Number(v);
  return null;
}

/** Extract `{error:{code,error_subcode,message,is_transient,fbtrace_id}}`, or null. */
export function readErrorBody(body: unknown): RawGraphError | null {
  if (body === null || typeof body !== 'object') return null;
  const e = (body as { error?: unknown }).error;
  if (e === null || typeof e !== 'object') return null;
  const r = e as Record<string, unknown>;
  return {
    code: toInt(r.code),
    subcode: toInt(r.error_subcode),
    message: typeof r.message === 'string' ? r.message : 'Graph API error',
    isTransient: r.is_transient === true,
    fbtraceId: typeof r.fbtrace_id === 'string' ? r.fbtrace_id : undefined,
  };
}

function throttleWait(code: number, subcode: number | null, input: ErrorInput): number {
  const regain = input.usage?.regainAccessMinutes ?? 0;
  if (regain > 0) return regain * 60_000;
  if (input.retryAfterSeconds && input.retryAfterSeconds > 0) return input.retryAfterSeconds * 1000;
  if (code === 4 && subcode === ACTION_BLOCKED_SUBCODE) return ACTION_BLOCKED_MS;
  if (code === 368) return POLICY_BLOCK_MS;
  return DEFAULT_THROTTLE_MS;
}

function make(
  kind: GraphErrorKind,
  raw: Omit<RawGraphError, 'isTransient'>,
  extra: Partial<GraphError> = {},
): GraphError {
  const out: GraphError = {
    kind,
    code: raw.code,
    subcode: raw.subcode,
    message: raw.message,
    retryable: kind === 'transient' || kind === 'throttled',
    ...extra,
  };
  return raw.fbtraceId === undefined ? out : { ...out, fbtraceId: raw.fbtraceId };
}

/** Classify a non-2xx response (or a 2xx that carries an `error` object). */
export function classifyGraphError(input: ErrorInput): GraphError {
  const raw = readErrorBody(input.body);
  if (!raw || raw.code === null) {
    const base = { code: null, subcode: null, fbtraceId: raw?.fbtraceId };
    if (input.status === 429) {
      return make(
        'throttled',
        { ...base, message: 'HTTP 429 without a Graph error body' },
        {
          retryAfterMs: throttleWait(0, null, input),
          scope: 'account',
        },
      );
    }
    if (input.unparseable) {
      // A proxy page or a truncated body: we cannot tell whether the call took effect.
      return make('unknown', { ...base, message: `HTTP ${input.status} with an unparseable body` });
    }
    if (input.status >= 500)
      return make('transient', { ...base, message: `HTTP ${input.status} without a Graph error body` });
    if (input.status === 408) return make('unknown', { ...base, message: 'HTTP 408 request timeout' });
    return make('invalid', { ...base, message: `HTTP ${input.status} without a Graph error body` });
  }

  const { code, subcode } = raw;
  if (THROTTLE_CODES.has(code)) {
    const appWide = (code === 4 && subcode !== ACTION_BLOCKED_SUBCODE) || code === 341;
    return make('throttled', raw, {
      retryAfterMs: throttleWait(code, subcode, input),
      scope: appWide ? 'app' : 'account',
    });
  }
  if (code === 190) {
    if (subcode !== null && DISCONNECTED_SUBCODES.has(subcode))
      return make('token', raw, { account: 'disconnected' });
    // 190 without subcode, 460/463/467/492, and any other 190 subcode: the owner must log in again.
    return make('token', raw, { account: 'reauth' });
  }
  if (code === 102) return make('token', raw, { account: 'reauth' });
  if (raw.isTransient || code === 1 || code === 2) return make('transient', raw);
  if (code === 10 || (code >= 200 && code <= 299)) return make('permission', raw);
  if (code === 100 && subcode === 33) return make('gone', raw);
  // 20 / 1772107: Meta created the comment and still answered with an error (brightbean-studio
  // PR #140, a field report: docs/meta-platform.md#errors); the write must be treated as possibly done.
  if (code === 20 && subcode === 1772107) return make('unknown', raw);
  if (input.status >= 500) return make('transient', raw);
  return make('invalid', raw);
}

/** A call that got no answer (timeout, reset, DNS): the outcome of a write is unknown. */
export function noResponseError(message: string): GraphError {
  return { kind: 'unknown', code: null, subcode: null, message, retryable: false };
}

/**
 * Whether a failed write may nonetheless have taken effect, so a non-idempotent write (reply)
 * must look for its own result before trying again. True for `unknown` and for 5xx answers
 * (a gateway can time out after the backend wrote).
 */
export function mayHaveApplied(error: GraphError, status: number): boolean {
  return error.kind === 'unknown' || (error.kind === 'transient' && status >= 500);
}
