/**
 * Meta's `signed_request` (data-deletion and deauthorize callbacks):
 * base64url(HMAC-SHA256(payload segment, app secret)) "." base64url(JSON payload).
 * The MAC is over the still-encoded payload segment. Either app secret may sign (Instagram
 * Login apps use the Instagram app secret): every secret is tried, and the comparison is
 * constant time (crypto.subtle.verify). Pure and runtime-neutral (WebCrypto), like verify.ts.
 * See docs/meta-platform.md#callbacks.
 */
import type { SigningSecret } from '../webhook/verify.js';

export interface SignedRequestPayload {
  readonly algorithm: string;
  readonly user_id: string;
  readonly issued_at?: number;
  readonly expires?: number;
  readonly [key: string]: unknown;
}

export type SignedRequestCheck =
  | { readonly ok: true; readonly payload: SignedRequestPayload; readonly matched: SigningSecret['name'] }
  | {
      readonly ok: false;
      readonly reason:
        | 'missing'
        | 'malformed'
        | 'mismatch'
        | 'no_secret_configured'
        | 'unsupported_algorithm'
        | 'expired';
    };

/**
 * How old a signed_request may be. Meta calls back at once; an older one is a replay of a
 * request seen (or stolen) earlier, refused so it cannot repeat an erasure or a disconnection.
 */
export const signedRequestMaxAgeSeconds = 3600;
/** Clocks differ a little: an issued_at this far ahead of ours is still taken. */
const clockSkewSeconds = 300;

const encoder = new TextEncoder();
const keys = new Map<string, Promise<CryptoKey>>();

function key(secret: string): Promise<CryptoKey> {
  let k = keys.get(secret);
  if (!k) {
    k = crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, [
      'sign',
      'verify',
    ]);
    keys.set(secret, k);
  }
  return k;
}

/** base64url (padding optional, as Meta omits it) → bytes, or null when not base64url. */
export function base64UrlDecode(segment: string): Uint8Array<ArrayBuffer> | null {
  if (!/^[A-Za-z0-9_-]*={0,2}$/.test(segment)) return null;
  const b64 = segment.replace(/=+$/, '').replace(/-/g, '+').replace(/_/g, '/');
  if (b64.length % 4 === 1) return null;
  const padded = b64 + '='.repeat((4 - (b64.length % 4)) % 4);
  try {
    const bin = atob(padded);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  } catch {
    return null;
  }
}

export function base64UrlEncode(bytes: Uint8Array): string {
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export async function verifySignedRequest(
  signedRequest: string | null | undefined,
  secrets: readonly SigningSecret[],
  now: Date = new Date(),
): Promise<SignedRequestCheck> {
  if (secrets.length === 0) return { ok: false, reason: 'no_secret_configured' };
  if (!signedRequest) return { ok: false, reason: 'missing' };
  if (signedRequest.length > 16_384) return { ok: false, reason: 'malformed' };
  const parts = signedRequest.trim().split('.');
  if (parts.length !== 2) return { ok: false, reason: 'malformed' };
  const [sigPart = '', payloadPart = ''] = parts;
  const signature = base64UrlDecode(sigPart);
  const payloadBytes = base64UrlDecode(payloadPart);
  if (signature?.length !== 32 || !payloadBytes || payloadPart.length === 0)
    return { ok: false, reason: 'malformed' };
  let matched: SigningSecret['name'] | null = null;
  // Every secret is tried, so timing does not reveal which one signed.
  for (const candidate of secrets) {
    const valid = await crypto.subtle.verify(
      'HMAC',
      await key(candidate.secret),
      signature,
      encoder.encode(payloadPart),
    );
    if (valid && matched === null) matched = candidate.name;
  }
  if (!matched) return { ok: false, reason: 'mismatch' };
  let payload: unknown;
  try {
    payload = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(payloadBytes));
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  if (!payload || typeof payload !== 'object') return { ok: false, reason: 'malformed' };
  const p = payload as Record<string, unknown>;
  if (typeof p.algorithm !== 'string' || p.algorithm.toUpperCase() !== 'HMAC-SHA256')
    return { ok: false, reason: 'unsupported_algorithm' };
  const userId = typeof p.user_id === 'number' ? String(p.user_id) : p.user_id;
  if (typeof userId !== 'string' || !/^[0-9A-Za-z_-]{1,64}$/.test(userId))
    return { ok: false, reason: 'malformed' };
  // issued_at is in seconds; a request without one cannot be placed in time, so it is refused too.
  const issuedAt = typeof p.issued_at === 'number' ? p.issued_at : Number.NaN;
  const age = now.getTime() / 1000 - issuedAt;
  if (!Number.isFinite(issuedAt) || age > signedRequestMaxAgeSeconds || age < -clockSkewSeconds)
    return { ok: false, reason: 'expired' };
  return { ok: true, payload: { ...p, algorithm: p.algorithm, user_id: userId }, matched };
}

/** Builds a signed_request as Meta does (tests, `modbot simulate`-style tooling). */
export async function signRequest(payload: Record<string, unknown>, secret: string): Promise<string> {
  const payloadPart = base64UrlEncode(encoder.encode(JSON.stringify(payload)));
  const mac = new Uint8Array(
    await crypto.subtle.sign('HMAC', await key(secret), encoder.encode(payloadPart)),
  );
  return `${base64UrlEncode(mac)}.${payloadPart}`;
}
