import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { portableSha256Hex, ruleSetHash, sha256Hex, textHash } from '../../src/moderation/text/hash.js';

describe('sha256Hex', () => {
  it.each(['', 'abc', 'a'.repeat(55), 'a'.repeat(56), 'a'.repeat(64), 'a'.repeat(1000), 'dm me 𝐃𝐌 é 日本'])(
    'matches node:crypto for %#',
    (s) => {
      expect(sha256Hex(s)).toBe(createHash('sha256').update(s, 'utf8').digest('hex'));
    },
  );

  it.each([
    '',
    'abc',
    'a'.repeat(55),
    'a'.repeat(56),
    'a'.repeat(64),
    'é'.repeat(40),
    'dm me 𝐃𝐌 é 日本',
    'lone \uD800 surrogate \uDC00',
  ])('the portable implementation (runtimes without a native hash) agrees, %#', (s) => {
    expect(portableSha256Hex(s)).toBe(createHash('sha256').update(s, 'utf8').digest('hex'));
    expect(portableSha256Hex(new TextEncoder().encode(s))).toBe(sha256Hex(s));
  });

  it('known answer', () => {
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
});

describe('textHash and ruleSetHash', () => {
  it('textHash is stable and differs per text', () => {
    expect(textHash('dm me')).toBe(textHash('dm me'));
    expect(textHash('dm me')).not.toBe(textHash('dm you'));
  });

  it('ruleSetHash ignores file order but not content or path', () => {
    const a = { path: 'rules/a.yaml', content: 'x' };
    const b = { path: 'rules/b.yaml', content: 'y' };
    expect(ruleSetHash([a, b])).toBe(ruleSetHash([b, a]));
    expect(ruleSetHash([a, b])).not.toBe(ruleSetHash([a, { ...b, content: 'z' }]));
    expect(ruleSetHash([a, b])).not.toBe(ruleSetHash([a, { ...b, path: 'rules/c.yaml' }]));
  });
});
