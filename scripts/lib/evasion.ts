/**
 * Rewrites text the ways spammers dodge filters, to measure (and train for) evasion robustness:
 * look-alike letters (Cyrillic/Greek homoglyphs), zero-width characters, "fancy font" letters
 * (Mathematical Alphanumeric Symbols, fullwidth), spaced-out letters and leetspeak.
 * Deterministic: the same seed gives the same variant.
 */

export type EvasionKind = 'lookalike' | 'zerowidth' | 'fancy' | 'spaced' | 'leet';
export const EVASION_KINDS: readonly EvasionKind[] = ['lookalike', 'zerowidth', 'fancy', 'spaced', 'leet'];

/** mulberry32: a tiny seeded PRNG, so every variant is reproducible. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const LOOKALIKE: Record<string, string[]> = {
  a: ['а', 'ɑ', 'α'],
  c: ['с', 'ϲ'],
  e: ['е', 'е', 'ҽ'],
  i: ['і', 'ı', 'ɩ'],
  j: ['ј'],
  o: ['о', 'ο', 'ө'],
  p: ['р', 'ρ'],
  s: ['ѕ'],
  x: ['х'],
  y: ['у', 'ү'],
  h: ['һ'],
  k: ['κ', 'к'],
  n: ['ո', 'п'],
  m: ['м', 'ṃ'],
  t: ['т', 'ţ'],
  u: ['υ', 'ս'],
  v: ['ν'],
  w: ['ԝ', 'ω'],
  b: ['Ь', 'ḅ'],
  d: ['ԁ'],
  g: ['ɡ'],
  l: ['ӏ', 'ⅼ'],
  r: ['г'],
};
const ZERO_WIDTH = ['\u200B', '\u200C', '\u200D', '\u2060', '\uFEFF', '\u00AD'];
const LEET: Record<string, string[]> = {
  a: ['4', '@'],
  e: ['3'],
  i: ['1', '!'],
  o: ['0'],
  s: ['5', '$'],
  t: ['7'],
  l: ['1'],
  g: ['9'],
  b: ['8'],
};
/** Start code points of a-z in a few Mathematical Alphanumeric styles (bold, italic, bold script, double-struck, sans bold, monospace). */
const FANCY_LOWER = [0x1d41a, 0x1d44e, 0x1d4ea, 0x1d552, 0x1d5ee, 0x1d68a];
const FANCY_UPPER = [0x1d400, 0x1d434, 0x1d4d0, 0x1d538, 0x1d5d4, 0x1d670];
// Italic small h and a few double-struck capitals are reserved holes in the block: use the old letters.
const HOLES: Record<number, string> = {
  119893: 'ℎ',
  120122: 'ℂ',
  120127: 'ℍ',
  120133: 'ℕ',
  120135: 'ℙ',
  120136: 'ℚ',
  120137: 'ℝ',
  120145: 'ℤ',
};

function pick<T>(r: () => number, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)] as T;
}

function mapLetters(text: string, f: (ch: string) => string): string {
  return Array.from(text).map(f).join('');
}

export function evade(text: string, kind: EvasionKind, seed = 1): string {
  const r = rng(seed);
  switch (kind) {
    case 'lookalike':
      return mapLetters(text, (ch) => {
        const alts = LOOKALIKE[ch.toLowerCase()];
        return alts !== undefined && r() < 0.6 ? pick(r, alts) : ch;
      });
    case 'zerowidth':
      return mapLetters(text, (ch) => (/\p{L}/u.test(ch) && r() < 0.5 ? ch + pick(r, ZERO_WIDTH) : ch));
    case 'fancy': {
      const style = Math.floor(r() * FANCY_LOWER.length);
      const fullwidth = r() < 0.2;
      return mapLetters(text, (ch) => {
        const code = ch.charCodeAt(0);
        if (fullwidth && code >= 0x21 && code <= 0x7e) return String.fromCodePoint(code + 0xfee0);
        let cp: number | undefined;
        if (ch >= 'a' && ch <= 'z') cp = (FANCY_LOWER[style] ?? 0x1d41a) + (code - 97);
        else if (ch >= 'A' && ch <= 'Z') cp = (FANCY_UPPER[style] ?? 0x1d400) + (code - 65);
        if (cp === undefined) return ch;
        return HOLES[cp] ?? String.fromCodePoint(cp);
      });
    }
    case 'spaced':
      // Space out the letters of most words ("d m  m e"), as spammers do with trigger words.
      return text
        .split(/(\s+)/u)
        .map((w) => (/^\p{L}{2,}$/u.test(w) && r() < 0.7 ? Array.from(w).join(' ') : w))
        .join('');
    case 'leet':
      return mapLetters(text, (ch) => {
        const alts = LEET[ch.toLowerCase()];
        return alts !== undefined && r() < 0.6 ? pick(r, alts) : ch;
      });
  }
}

/** One variant per text, the kind chosen by the seed (the "mixed" variant used in reports). */
export function evadeMixed(text: string, seed: number): string {
  const r = rng(seed * 7919 + 13);
  return evade(text, pick(r, EVASION_KINDS), seed);
}
