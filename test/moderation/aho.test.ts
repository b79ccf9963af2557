import { describe, expect, it } from 'vitest';
import { Automaton } from '../../src/moderation/text/aho.js';
import { seededRandom } from '../support/random.js';

/** Every occurrence by brute force, as sorted "pattern:start:end" keys. */
function bruteForce(patterns: readonly string[], text: string): string[] {
  const out: string[] = [];
  patterns.forEach((p, id) => {
    for (let i = text.indexOf(p); i !== -1; i = text.indexOf(p, i + 1))
      out.push(`${id}:${i}:${i + p.length}`);
  });
  return out.sort();
}

function found(a: Automaton, text: string): string[] {
  const hits: number[] = [];
  a.searchInto(text, hits);
  const out: string[] = [];
  for (let h = 0; h < hits.length; h += 3) out.push(`${hits[h]}:${hits[h + 1]}:${hits[h + 2]}`);
  return out.sort();
}

describe('Aho–Corasick automaton', () => {
  // Overlapping patterns, shared prefixes and suffixes, a non-Latin letter and an astral one.
  const ALPHABET = ['a', 'b', 'c', ' ', 'м', '🔥'];
  const r = seededRandom(3);
  const word = (max: number) =>
    Array.from({ length: 1 + Math.floor(r() * max) }, () => ALPHABET[Math.floor(r() * ALPHABET.length)]).join(
      '',
    );

  it('finds every occurrence of every pattern, dense table and Map form alike', () => {
    for (let round = 0; round < 30; round++) {
      const patterns = [...new Set(Array.from({ length: 1 + Math.floor(r() * 40) }, () => word(5)))];
      const dense = new Automaton();
      const sparse = new Automaton();
      for (const p of patterns) {
        dense.add(p);
        sparse.add(p);
      }
      dense.build();
      sparse.build(0);
      for (let t = 0; t < 20; t++) {
        const text = `${word(30)}x${word(30)}`;
        const expected = bruteForce(patterns, text);
        expect(found(dense, text)).toEqual(expected);
        expect(found(sparse, text)).toEqual(expected);
      }
    }
  });

  it('an automaton without patterns finds nothing', () => {
    expect(found(new Automaton().build(), 'anything')).toEqual([]);
  });
});
