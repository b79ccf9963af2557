/**
 * X-Hub-Signature-256 verification: HMAC-SHA256 over the raw request bytes, keyed with the app
 * secret. Node and Workers share it (node:crypto is there on both: Workers run with
 * nodejs_compat).
 *
 * Why raw bytes: Meta signs the body exactly as sent (non-ASCII escaped as \uXXXX, "\/" kept);
 * JSON.parse + stringify would change those bytes and break the signature on real comments.
 * Why timingSafeEqual: it compares in constant time, so timing reveals nothing about the
 * expected digest. See docs/meta-platform.md#signatures.
 * Why node:crypto rather than crypto.subtle: a synchronous HMAC over a webhook body takes a few
 * microseconds, while each WebCrypto call is a promise and a key transfer to a worker thread;
 * at thousands of requests a second that was a seventh of the intake's CPU.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** A secret that may sign deliveries, with the name recorded when it matches. */
export interface SigningSecret {
  readonly name: 'meta' | 'instagram';
  readonly secret: string;
}

export type SignatureCheck =
  | { readonly ok: true; readonly matched: SigningSecret['name'] }
  | { readonly ok: false; readonly reason: 'missing' | 'malformed' | 'mismatch' | 'no_secret_configured' };

const encoder = new TextEncoder();

function hmac(secret: string, body: Uint8Array): Uint8Array {
  return createHmac('sha256', secret).update(body).digest();
}

/** Parses `sha256=<64 hex digits>` into the 32 digest bytes, or null when malformed. */
export function parseSignatureHeader(header: string): Uint8Array<ArrayBuffer> | null {
  const match = /^sha256=([0-9a-fA-F]{64})$/.exec(header.trim());
  if (!match?.[1]) return null;
  return new Uint8Array(Buffer.from(match[1], 'hex'));
}

/**
 * Checks the header against every configured secret (either may sign: Facebook Login apps use
 * the Meta app secret, Instagram Login apps the Instagram app secret).
 */
export async function verifySignature(
  body: Uint8Array<ArrayBuffer>,
  header: string | null | undefined,
  secrets: readonly SigningSecret[],
): Promise<SignatureCheck> {
  if (secrets.length === 0) return { ok: false, reason: 'no_secret_configured' };
  if (!header) return { ok: false, reason: 'missing' };
  const digest = parseSignatureHeader(header);
  if (!digest) return { ok: false, reason: 'malformed' };
  let matched: SigningSecret['name'] | null = null;
  // Check every secret, not just until the first match, so timing does not depend on which one signed.
  for (const candidate of secrets) {
    const valid = timingSafeEqual(hmac(candidate.secret, body), digest);
    if (valid && matched === null) matched = candidate.name;
  }
  return matched ? { ok: true, matched } : { ok: false, reason: 'mismatch' };
}

/** Signs a body as Meta does; used by `modbot simulate`, tests and benchmarks. */
export async function signBody(body: Uint8Array<ArrayBuffer> | string, secret: string): Promise<string> {
  const bytes = typeof body === 'string' ? encoder.encode(body) : body;
  return `sha256=${createHmac('sha256', secret).update(bytes).digest('hex')}`;
}

/** Builds the list of secrets that may sign, from configuration. */
export function signingSecrets(metaAppSecret?: string, instagramAppSecret?: string): SigningSecret[] {
  const list: SigningSecret[] = [];
  if (metaAppSecret) list.push({ name: 'meta', secret: metaAppSecret });
  if (instagramAppSecret) list.push({ name: 'instagram', secret: instagramAppSecret });
  return list;
}
