/**
 * Access tokens at rest: AES-256-GCM with a random 96-bit IV per token, key from
 * MODBOT_ENCRYPTION_KEY (32 bytes, as 64 hex digits or base64). Stored as base64(iv ‖ ciphertext‖tag).
 * WebCrypto, so Node and Workers share it.
 */

export class EncryptionKeyError extends Error {
  constructor(message: string) {
    super(`MODBOT_ENCRYPTION_KEY: ${message} (generate one with: openssl rand -hex 32)`);
    this.name = 'EncryptionKeyError';
  }
}

export function parseEncryptionKey(value: string | undefined): Uint8Array<ArrayBuffer> {
  if (!value) throw new EncryptionKeyError('not set; it is needed to store access tokens');
  const v = value.trim();
  let bytes: Uint8Array<ArrayBuffer>;
  if (/^[0-9a-fA-F]{64}$/.test(v)) {
    bytes = new Uint8Array(32);
    for (let i = 0; i < 32; i++) bytes[i] = Number.parseInt(v.slice(i * 2, i * 2 + 2), 16);
  } else {
    try {
      bytes = Uint8Array.from(atob(v.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));
    } catch {
      throw new EncryptionKeyError('must be 64 hex digits or base64');
    }
  }
  if (bytes.length !== 32) throw new EncryptionKeyError(`must be 32 bytes, got ${bytes.length}`);
  return bytes;
}

async function importKey(raw: Uint8Array<ArrayBuffer>): Promise<CryptoKey> {
  return crypto.subtle.importKey('raw', raw, { name: 'AES-GCM' }, false, ['encrypt', 'decrypt']);
}

export async function encryptToken(token: string, key: Uint8Array<ArrayBuffer>): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const sealed = new Uint8Array(
    await crypto.subtle.encrypt(
      { name: 'AES-GCM', iv },
      await importKey(key),
      new TextEncoder().encode(token),
    ),
  );
  const out = new Uint8Array(iv.length + sealed.length);
  out.set(iv);
  out.set(sealed, iv.length);
  let binary = '';
  for (const b of out) binary += String.fromCharCode(b);
  return btoa(binary);
}

export async function decryptToken(stored: string, key: Uint8Array<ArrayBuffer>): Promise<string> {
  const bytes = Uint8Array.from(atob(stored), (c) => c.charCodeAt(0));
  try {
    const plain = await crypto.subtle.decrypt(
      { name: 'AES-GCM', iv: bytes.slice(0, 12) },
      await importKey(key),
      bytes.slice(12),
    );
    return new TextDecoder().decode(plain);
  } catch {
    throw new EncryptionKeyError(
      'cannot decrypt a stored token: the key differs from the one that encrypted it',
    );
  }
}
