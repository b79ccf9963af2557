/**
 * X-Hub-Signature-256 verification: HMAC-SHA256 over the raw request bytes, keyed with the app
 * secret. Pure and runtime-neutral (WebCrypto), so Node and Workers share it.
 *
 * Why raw bytes: Meta signs the body exactly as sent (non-ASCII escaped as \uXXXX, "\/" kept);
 * JSON.parse + stringify would change those bytes and break the signature on real comments.
 * Why crypto.subtle.verify: it compares in constant time, so timing reveals nothing about the
 * expected digest. See ../shared/platform/meta-webhooks-and-graph-api.md §2.
 */

/** A secret that may sign deliveries, with the name recorded when it matches. */
export interface SigningSecret {
  readonly name: 'meta' | 'instagram';
  readonly secret: string;
}

export type SignatureCheck =
  | { readonly ok: true; readonly matched: SigningSecret['name'] }
  | { readonly ok: false; readonly reason: 'missing' | 'malformed' | 'mismatch' | 'no_secret_configured' };

const encoder = new TextEncoder();
const keyCache = new Map<string, Promise<CryptoKey>>();

function hmacKey(secret: string): Promise<CryptoKey> {
  let key = keyCache.get(secret);
  if (!key) {
    key = crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, [
      'sign',
      'verify',
    ]);
    keyCache.set(secret, key);
  }
  return key;
}

/** Parses `sha256=<64 hex digits>` into the 32 digest bytes, or null when malformed. */
export function parseSignatureHeader(header: string): Uint8Array<ArrayBuffer> | null {
  const match = /^sha256=([0-9a-fA-F]{64})$/.exec(header.trim());
  if (!match?.[1]) return null;
  const hex = match[1];
  const bytes = new Uint8Array(32);
  for (let i = 0; i < 32; i++) bytes[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return bytes;
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
    const valid = await crypto.subtle.verify('HMAC', await hmacKey(candidate.secret), digest, body);
    if (valid && matched === null) matched = candidate.name;
  }
  return matched ? { ok: true, matched } : { ok: false, reason: 'mismatch' };
}

/** Signs a body as Meta does; used by `modbot simulate`, tests and benchmarks. */
export async function signBody(body: Uint8Array<ArrayBuffer> | string, secret: string): Promise<string> {
  const bytes = typeof body === 'string' ? encoder.encode(body) : body;
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', await hmacKey(secret), bytes));
  let hex = '';
  for (const b of mac) hex += b.toString(16).padStart(2, '0');
  return `sha256=${hex}`;
}

/** Builds the list of secrets that may sign, from configuration. */
export function signingSecrets(metaAppSecret?: string, instagramAppSecret?: string): SigningSecret[] {
  const list: SigningSecret[] = [];
  if (metaAppSecret) list.push({ name: 'meta', secret: metaAppSecret });
  if (instagramAppSecret) list.push({ name: 'instagram', secret: instagramAppSecret });
  return list;
}
