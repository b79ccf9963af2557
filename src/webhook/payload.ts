/**
 * Decoding a webhook body into its envelope: `{"object": "...", "entry": [...]}`.
 * Only the envelope is checked here (a bad one is answered 400). Everything inside an entry is
 * handled leniently by normalise.ts: a well-signed delivery with shapes we do not know is stored
 * and acknowledged, never bounced, because Meta would retry it for 36 hours.
 */

export interface Envelope {
  readonly object: string;
  readonly entry: readonly unknown[];
}

export type EnvelopeResult =
  /** `text`: the body decoded (what is stored as the raw delivery). */
  | { readonly ok: true; readonly envelopes: readonly Envelope[]; readonly text: string }
  | { readonly ok: false; readonly error: string };

const decoder = new TextDecoder('utf-8', { fatal: true });

export function parseEnvelope(body: Uint8Array): EnvelopeResult {
  let text: string;
  try {
    text = decoder.decode(body);
  } catch {
    return { ok: false, error: 'body is not valid UTF-8' };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return { ok: false, error: `body is not valid JSON: ${(error as Error).message}` };
  }
  // Meta's documentation examples wrap the payload in an array; real bodies are one object.
  const candidates = Array.isArray(json) ? json : [json];
  if (candidates.length === 0) return { ok: false, error: 'body is an empty array' };
  const envelopes: Envelope[] = [];
  for (const [i, candidate] of candidates.entries()) {
    const where = Array.isArray(json) ? `element ${i}: ` : '';
    if (typeof candidate !== 'object' || candidate === null || Array.isArray(candidate)) {
      return { ok: false, error: `${where}expected a JSON object with "object" and "entry"` };
    }
    const { object, entry } = candidate as Record<string, unknown>;
    if (typeof object !== 'string') return { ok: false, error: `${where}"object" must be a string` };
    if (!Array.isArray(entry)) return { ok: false, error: `${where}"entry" must be an array` };
    envelopes.push({ object, entry });
  }
  return { ok: true, envelopes, text };
}
