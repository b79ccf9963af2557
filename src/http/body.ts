/**
 * Reads a request body into memory, refusing it as soon as it passes `maxBytes` (so a huge or
 * endless upload costs us at most maxBytes, whatever Content-Length claims).
 */
export type BodyRead =
  | { readonly ok: true; readonly bytes: Uint8Array<ArrayBuffer> }
  | { readonly ok: false; readonly reason: 'too_large' | 'aborted' };

export async function readBodyLimited(request: Request, maxBytes: number): Promise<BodyRead> {
  const declared = request.headers.get('content-length');
  if (declared !== null && Number(declared) > maxBytes) return { ok: false, reason: 'too_large' };
  if (declared !== null && /^\d+$/.test(declared)) {
    // A declared length within bounds: the HTTP parser hands over exactly that many bytes, so
    // reading the body whole is bounded too, and on Node it skips building a web stream (the
    // adapter reads the socket directly). The check after is for bodies not from a parser.
    let bytes: Uint8Array<ArrayBuffer>;
    try {
      bytes = new Uint8Array(await request.arrayBuffer());
    } catch {
      return { ok: false, reason: 'aborted' };
    }
    return bytes.byteLength > maxBytes ? { ok: false, reason: 'too_large' } : { ok: true, bytes };
  }
  // (Asking for `body` makes the Node adapter build a web stream: only on this path.)
  if (!request.body) return { ok: true, bytes: new Uint8Array(0) };
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > maxBytes) {
        await reader.cancel().catch(() => {});
        return { ok: false, reason: 'too_large' };
      }
      chunks.push(value);
    }
  } catch {
    return { ok: false, reason: 'aborted' };
  }
  if (chunks.length === 1) return { ok: true, bytes: new Uint8Array(chunks[0] as Uint8Array<ArrayBuffer>) };
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return { ok: true, bytes };
}
