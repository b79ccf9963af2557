import { describe, expect, it } from 'vitest';
import { parseSignatureHeader, signBody, signingSecrets, verifySignature } from '../../src/webhook/verify.js';

const enc = (s: string) => new TextEncoder().encode(s);

// Known-answer vectors computed independently with `openssl dgst -sha256 -hmac <secret>` over the
// exact bytes shown (escapes kept as written, which is how Meta sends non-ASCII text).
const escapedBody =
  '{"object":"instagram","entry":[{"id":"17841400000000001","time":1767225600,"changes":[{"field":"comments","value":{"id":"17900000000000002","text":"caf\\u00e9 \\ud83d\\ude0d https:\\/\\/example.com\\/x","from":{"id":"6000000000000003","username":"some_user"},"media":{"id":"18000000000000004","media_product_type":"REELS"}}}]}]}';
const vectors = [
  {
    name: 'RFC-style empty body',
    body: '',
    secret: 'key',
    hex: '5d5d139563c95b5967b9bd9a8c9b233a9dedb45072794cd232dc1b74832607d0',
  },
  {
    name: 'body with \\u00e9 and emoji escapes and \\/',
    body: escapedBody,
    secret: 'test_app_secret',
    hex: '31985804805cb923636df13058b08ec24ee71617f319238c568b592133daa095',
  },
  {
    name: 'raw UTF-8 accents and emoji',
    body: '{"text":"café 😍"}',
    secret: 'test_app_secret',
    hex: 'dfd8b1468c4d501de79dfc8226999ecac4dec3ecc90a6c28d213926b789fbd26',
  },
  {
    name: 'Instagram app secret',
    body: '{"text":"caf\\u00e9 \\ud83d\\ude0d"}',
    secret: 'ig_secret',
    hex: 'f35af0293f0a0536b58c39af0c6bbc33961226cfd2cab0ff843ac740894887a8',
  },
];

describe('signBody', () => {
  for (const v of vectors) {
    it(`matches the known answer: ${v.name}`, async () => {
      expect(await signBody(v.body, v.secret)).toBe(`sha256=${v.hex}`);
    });
  }
});

describe('verifySignature', () => {
  const secrets = signingSecrets('test_app_secret', 'ig_secret');

  it('accepts each known vector and records which secret matched', async () => {
    expect(await verifySignature(enc(escapedBody), `sha256=${vectors[1]?.hex}`, secrets)).toEqual({
      ok: true,
      matched: 'meta',
    });
    expect(
      await verifySignature(
        enc('{"text":"caf\\u00e9 \\ud83d\\ude0d"}'),
        `sha256=${vectors[3]?.hex}`,
        secrets,
      ),
    ).toEqual({
      ok: true,
      matched: 'instagram',
    });
  });

  it('accepts upper-case hex', async () => {
    expect(
      (await verifySignature(enc(escapedBody), `sha256=${vectors[1]?.hex.toUpperCase()}`, secrets)).ok,
    ).toBe(true);
  });

  it('rejects the same body with one byte changed', async () => {
    const changed = escapedBody.replace('caf\\u00e9', 'caf\\u00e8');
    expect(await verifySignature(enc(changed), `sha256=${vectors[1]?.hex}`, secrets)).toEqual({
      ok: false,
      reason: 'mismatch',
    });
  });

  it('rejects a body re-serialised by JSON.stringify (why raw bytes matter)', async () => {
    const reserialised = JSON.stringify(JSON.parse(escapedBody));
    expect(reserialised).not.toBe(escapedBody);
    expect((await verifySignature(enc(reserialised), `sha256=${vectors[1]?.hex}`, secrets)).ok).toBe(false);
  });

  it('names missing, malformed and unconfigured cases', async () => {
    expect(await verifySignature(enc('{}'), undefined, secrets)).toEqual({ ok: false, reason: 'missing' });
    expect(await verifySignature(enc('{}'), 'sha1=abc', secrets)).toEqual({ ok: false, reason: 'malformed' });
    expect(await verifySignature(enc('{}'), `sha256=${'g'.repeat(64)}`, secrets)).toEqual({
      ok: false,
      reason: 'malformed',
    });
    expect(await verifySignature(enc('{}'), `sha256=${'a'.repeat(63)}`, secrets)).toEqual({
      ok: false,
      reason: 'malformed',
    });
    expect(await verifySignature(enc('{}'), `sha256=${'a'.repeat(64)}`, [])).toEqual({
      ok: false,
      reason: 'no_secret_configured',
    });
  });

  it('a signature made with another secret does not verify', async () => {
    const header = await signBody('{"a":1}', 'someone_else');
    expect(await verifySignature(enc('{"a":1}'), header, secrets)).toEqual({ ok: false, reason: 'mismatch' });
  });

  it('parses the header into 32 bytes', () => {
    expect(parseSignatureHeader(`sha256=${'0f'.repeat(32)}`)).toEqual(new Uint8Array(32).fill(15));
  });
});
