/**
 * The normaliser used by training and evaluation. It must be the one the rules use
 * (src/moderation/normalise.ts) so the model sees at training time exactly what it sees live.
 * TEMPORARY fallback until that module lands.
 */
import { remove as removeConfusables } from 'confusables';

const INVISIBLE = /[\u00AD\u034F\u061C\u115F\u1160\u17B4\u17B5\u180B-\u180F\u200B-\u200F\u202A-\u202E\u2060-\u206F\u3164\uFE00-\uFE0F\uFEFF\uFFA0]/gu;
const LEET: Record<string, string> = { '0': 'o', '1': 'i', '3': 'e', '4': 'a', '5': 's', '7': 't', '8': 'b', '9': 'g', '@': 'a', '$': 's', '!': 'i' };

export function normalise(text: string): string {
  let s = text.normalize('NFKC').replace(INVISIBLE, '');
  s = removeConfusables(s);
  s = s.normalize('NFD').replace(/\p{M}/gu, '').normalize('NFC').toLowerCase();
  // leet inside words made mostly of letters ("1nv3st" but not "$30k" or "@name")
  s = s.replace(/(?<![\p{L}\p{N}@#$!])[\p{L}013457890@$!]+/gu, (tok) => {
    if (tok.startsWith('@') || !/[013457890@$!]/u.test(tok)) return tok;
    const letters = tok.match(/\p{L}/gu)?.length ?? 0;
    if (letters < 2 || letters < tok.length - letters) return tok;
    return tok.replace(/[013457890@$!]/gu, (c) => LEET[c] ?? c).replace(/i$/u, (m) => (tok.endsWith('!') ? '!' : m));
  });
  // join spaced-out letters: runs of >=3 single letters separated by single spaces
  s = s.replace(/\b(?:\p{L} ){2,}\p{L}\b/gu, (m) => m.replace(/ /gu, ''));
  s = s.replace(/(\p{L})\1{2,}/gu, '$1$1');
  return s.replace(/\s+/gu, ' ').trim();
}
