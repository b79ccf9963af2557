/**
 * The subscription handshake Meta sends when a webhook is configured:
 * GET ?hub.mode=subscribe&hub.challenge=<n>&hub.verify_token=<ours>.
 * Echo the challenge exactly as received (no parseInt, no JSON quoting); otherwise refuse.
 */

export type HandshakeResult = { readonly ok: true; readonly challenge: string } | { readonly ok: false };

export function answerHandshake(
  query: { mode?: string | undefined; verifyToken?: string | undefined; challenge?: string | undefined },
  expectedToken: string | undefined,
): HandshakeResult {
  if (
    !expectedToken ||
    query.mode !== 'subscribe' ||
    query.challenge === undefined ||
    query.challenge === ''
  ) {
    return { ok: false };
  }
  if (query.verifyToken === undefined || !timingSafeEqualStrings(query.verifyToken, expectedToken))
    return { ok: false };
  return { ok: true, challenge: query.challenge };
}

/** Constant-time string comparison (length is not secret; content is). */
export function timingSafeEqualStrings(a: string, b: string): boolean {
  const ea = new TextEncoder().encode(a);
  const eb = new TextEncoder().encode(b);
  let diff = ea.length ^ eb.length;
  const n = Math.max(ea.length, eb.length);
  for (let i = 0; i < n; i++) diff |= (ea[i] ?? 0) ^ (eb[i] ?? 0);
  return diff === 0;
}
