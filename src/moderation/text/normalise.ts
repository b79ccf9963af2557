/**
 * Evasion-resistant text normalisation (issue 3, Must 3). Spammers write `𝐝𝐦 𝐦𝐞`, `d​m me`
 * (zero-width space), `dм мe` (Cyrillic), `d m  m e`, `dm m3`, `freeeee`. Rules match on the
 * normalised form; each step is a small pure function, applied in the order of NORMALISE_STEPS.
 * Rule terms go through the same pipeline, so matching is symmetric: whatever a step does to the
 * comment it also does to the term. Pure: no I/O, runs on Node and Workers.
 */
import { confusablesMap } from 'confusables';

/** 1. Unicode compatibility composition: 𝐃𝐌 → DM, ｆｕｌｌ → full, ⓓ → d, ﬁ → fi. */
export function nfkc(text: string): string {
  return text.normalize('NFKC');
}

/**
 * Zero-width characters, bidi controls, soft hyphen, word joiners, invisible operators,
 * variation selectors and Unicode tag characters: invisible in the app, used to split words.
 */
const INVISIBLE =
  // biome-ignore lint/suspicious/noMisleadingCharacterClass: invisible characters are removed one by one on purpose
  /[\u00AD\u034F\u061C\u115F\u1160\u17B4\u17B5\u180B-\u180F\u200B-\u200F\u202A-\u202E\u2060-\u206F\u3164\uFE00-\uFE0F\uFEFF\uFFA0]|\uDB40[\uDC00-\uDDEF]/g;

/**
 * Emoji wedged inside a word ("wor👏k from ho👏me"): no one reads them as part of the word. The
 * squared letters 🅰 🅱 🅾 🅿 are emoji too, but they stand for letters ("Cry🅿️to"): they stay.
 */
const EMOJI_INSIDE_WORD = /(?<=\p{L})(?:(?![\u{1F170}-\u{1F189}])\p{Extended_Pictographic})+(?=\p{L})/gu;
const HAS_PICTOGRAPH = /\p{Extended_Pictographic}/u;

/** 2. Remove zero-width and bidi control characters, and emoji that split a word. */
export function stripInvisible(text: string): string {
  const visible = text.replace(INVISIBLE, '');
  // the lookbehind scan costs: only texts with an emoji at all pay it
  return HAS_PICTOGRAPH.test(visible) ? visible.replace(EMOJI_INSIDE_WORD, '') : visible;
}

/**
 * Fixes where the confusables table is cruder than Unicode TR39 (it maps ß to B and ı to l),
 * applied before the table.
 */
const SKELETON_OVERRIDES: ReadonlyMap<string, string> = new Map([
  ['ß', 'ss'],
  ['ẞ', 'ss'],
  ['ı', 'i'],
  ['ι', 'i'],
  // capital iotas and the Cyrillic palochka stand for I, which the table makes an l
  ['Ι', 'i'],
  ['І', 'i'],
  ['Ӏ', 'i'],
  // Latin iota, which the table makes an l ("tһɩs" must read "this")
  ['ɩ', 'i'],
  // small capital F, left unmapped by the table ("ᴅᴍ ᴍᴇ ꜰᴏʀ ᴀ ꜱᴘᴇᴄɪᴀʟ ᴏꜰꜰᴇʀ")
  ['ꜰ', 'f'],
  ['|', '|'],
  // Currency signs stay signs: the table makes € an e and £ an f, which turned "8 000€" into
  // "8 oe" (leetspeak then read the zeros as o's) and hid amounts from the money rules.
  ['€', '€'],
  ['£', '£'],
  ['¥', '¥'],
]);

/**
 * 3. Confusable skeleton: look-alike letters from other scripts become the Latin letter they
 * imitate (Cyrillic м → m, Greek ο → o), using the maintained `confusables` package's table.
 * Non-Latin text is mapped too (symmetrically for rule terms); rules that must see the
 * original script opt out with `normalise: false`.
 */
export function confusableSkeleton(text: string): string {
  if (!NON_ASCII.test(text)) return text;
  let out = '';
  for (const ch of text) {
    const code = ch.codePointAt(0) ?? 0;
    if (code < 0x80) {
      out += ch;
      continue;
    }
    // A capital is looked up as itself first: Greek Η is an H, while its small η is an n.
    out += SKELETON_OVERRIDES.get(ch) ?? confusablesMap.get(ch) ?? lowerSkeleton(ch);
  }
  return out;
}

function lowerSkeleton(ch: string): string {
  const lower = ch.toLowerCase();
  if (lower === ch) return ch;
  return SKELETON_OVERRIDES.get(lower) ?? confusablesMap.get(lower) ?? lower;
}
// biome-ignore lint/suspicious/noControlCharactersInRegex: the whole ASCII range, control characters included
const NON_ASCII = /[^\x00-\x7F]/;

/** 4. Lower case (locale independent). */
export function lowerCase(text: string): string {
  return text.toLowerCase();
}

/**
 * Combining diacritical marks (Latin/Greek/Cyrillic accents, and the Cyrillic enclosing marks
 * used as decoration: C҉h҉e҉c҉k҉), not Indic vowel signs.
 */
// biome-ignore lint/suspicious/noMisleadingCharacterClass: combining marks are removed one by one on purpose
const DIACRITICS = /[\u0300-\u036F\u0483-\u0489\u1AB0-\u1AFF\u1DC0-\u1DFF\u20D0-\u20FF\uFE20-\uFE2F]/g;

/** 5. Diacritic folding: café → cafe, fück → fuck, ẹ̀ → e. */
export function foldDiacritics(text: string): string {
  if (!NON_ASCII.test(text)) return text;
  return text.normalize('NFD').replace(DIACRITICS, '').normalize('NFC');
}

const LEET: Readonly<Record<string, string>> = {
  '0': 'o',
  '1': 'i',
  '3': 'e',
  '4': 'a',
  '5': 's',
  '7': 't',
  '8': 'b',
  '@': 'a',
  $: 's',
  '!': 'i',
};
const HAS_LEET = /[0134578@$!]/;
const LETTER = /\p{L}/u;
const LETTER_OR_DIGIT = /[\p{L}\p{N}]/u;
const letterCache = new Map<string, boolean>();
const wordCache = new Map<string, boolean>();

/** Is this one character (code point) a letter? ASCII fast path, cached for the rest. */
export function isLetter(ch: string): boolean {
  const c = ch.charCodeAt(0);
  if (c < 0x80) return (c >= 97 && c <= 122) || (c >= 65 && c <= 90);
  let v = letterCache.get(ch);
  if (v === undefined) {
    v = LETTER.test(ch);
    if (letterCache.size < 50_000) letterCache.set(ch, v);
  }
  return v;
}

/** Is this one character a letter or a digit (a word character for whole-word matching)? */
export function isWordChar(ch: string): boolean {
  const c = ch.charCodeAt(0);
  if (c < 0x80) return (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || (c >= 65 && c <= 90);
  let v = wordCache.get(ch);
  if (v === undefined) {
    v = LETTER_OR_DIGIT.test(ch) || /\p{M}/u.test(ch);
    if (wordCache.size < 50_000) wordCache.set(ch, v);
  }
  return v;
}

/**
 * 6. Leetspeak folding inside words that contain a letter: `m3` → `me`, `fr33` → `free`,
 * `b1tc0in` → `bitcoin`, `c@sh` → `cash`, `7he` → `the`, `$ub` → `sub`, `!f` → `if`. Numbers
 * (`$3,000`, `2024`) and amounts with a unit (`30k`, `24h`, `2nd`) stay as they are; a leading
 * `@` (a mention), a `$` or `!` before a digit (a price), and trailing `!` `@` (punctuation)
 * are kept.
 */
export function foldLeet(text: string): string {
  if (!HAS_LEET.test(text)) return text;
  let out = '';
  let last = 0;
  const n = text.length;
  let i = 0;
  while (i < n) {
    if (!isTokenAt(text, i)) {
      i++;
      continue;
    }
    // A token: a run of letters, digits and leet symbols.
    const start = i;
    while (i < n && isTokenAt(text, i)) i++;
    let coreStart = start;
    while (coreStart < i && keepsLeadingSymbol(text, coreStart, i)) coreStart++;
    let coreEnd = i;
    while (coreEnd > coreStart && keepsTrailingSymbol(text, coreEnd - 1, coreStart)) coreEnd--;
    let hasLetter = false;
    let hasLeet = false;
    for (let j = coreStart; j < coreEnd; j++) {
      const c = text.charCodeAt(j);
      if (c < 128) {
        const k = ASCII_CLASS[c] as number;
        if (k & C_LEET) hasLeet = true;
        else if (k & C_LETTER) hasLetter = true;
      } else if (isLetter(text[j] as string)) hasLetter = true;
    }
    if (!hasLetter || !hasLeet) continue;
    const core = text.slice(coreStart, coreEnd);
    // Amounts and ordinals keep their digits: 30k, 10x, 24h, 2nd, 1.5m.
    if (NUMBER_WITH_UNIT.test(core)) continue;
    out += text.slice(last, coreStart);
    for (let j = 0; j < core.length; j++) {
      const c = core[j] as string;
      out += LEET[c] ?? c;
    }
    last = coreEnd;
  }
  return last === 0 ? text : out + text.slice(last);
}

const C_LETTER = 1;
const C_DIGIT = 2;
const C_LEET = 4;
const C_EDGE = 8;
const ASCII_CLASS = (() => {
  const t = new Uint8Array(128);
  for (let c = 97; c <= 122; c++) t[c] = C_LETTER;
  for (let c = 65; c <= 90; c++) t[c] = C_LETTER;
  for (let c = 48; c <= 57; c++) t[c] = C_DIGIT;
  for (const ch of Object.keys(LEET)) t[ch.charCodeAt(0)] = (t[ch.charCodeAt(0)] as number) | C_LEET;
  for (const ch of ['@', '$', '!']) t[ch.charCodeAt(0)] = (t[ch.charCodeAt(0)] as number) | C_EDGE;
  return t;
})();

function isEdgeSymbol(c: number): boolean {
  return c < 128 && ((ASCII_CLASS[c] as number) & C_EDGE) !== 0;
}

/**
 * A leading `@` is a mention; a leading `$` or `!` is a price or punctuation unless a letter
 * follows it (`$ub`, `!ts`), when it is leetspeak for s or i.
 */
function keepsLeadingSymbol(text: string, at: number, end: number): boolean {
  const c = text.charCodeAt(at);
  if (!isEdgeSymbol(c)) return false;
  if (c === AT || at + 1 >= end) return true;
  const next = text.charCodeAt(at + 1);
  return next >= 0x80 || !((ASCII_CLASS[next] as number) & C_LETTER);
}

/** A trailing `!` or `@` is punctuation; a `$` ending a word with letters is an s (`thi$`, `7h1$`). */
function keepsTrailingSymbol(text: string, at: number, start: number): boolean {
  const c = text.charCodeAt(at);
  if (!isEdgeSymbol(c)) return false;
  if (c !== DOLLAR) return true;
  for (let j = start; j < at; j++) {
    const k = text.charCodeAt(j);
    if (k < 0x80 && (ASCII_CLASS[k] as number) & C_LETTER) return false;
  }
  return true;
}
const AT = 0x40;
const DOLLAR = 0x24;

function isTokenAt(text: string, i: number): boolean {
  const c = text.charCodeAt(i);
  if (c < 128) return ASCII_CLASS[c] !== 0;
  return isWordChar(text[i] as string);
}
/**
 * Amounts, ordinals and measures keep their digits (30k, 10x, 24h, 2nd, 1.5m, 1080p); digits
 * before any other letters are leetspeak (`1f` → if, `4re` → are, `7he` → the, `0n` → on).
 */
const NUMBER_WITH_UNIT =
  /^\d[\d,.]*(k|m|b|x|h|hr|hrs|d|w|y|yr|yrs|mo|st|nd|rd|th|am|pm|min|mins|s|sec|secs|g|kg|lb|lbs|km|mi|ml|l|gb|mb|tb|usd|eur|gbp|p|px|ft|cm|mm|oz|mph|kmh)$/;

/**
 * A single letter standing alone, separated by spaces, dots, dashes, underscores, stars or emoji
 * (`s👏e👏n👏d`, `💰E💰A💰R💰N💰`).
 */
const SPACED_RUN =
  /(?<![\p{L}\p{N}])\p{L}(?:[ .\-_*\p{Extended_Pictographic}]{1,3}\p{L}(?![\p{L}\p{N}])){2,}/gu;
const SPACED_SEP = /[ .\-_*\p{Extended_Pictographic}]+/gu;
/** Cheap pre-check (no Unicode tables): two single characters in a row between separators. */
const MAYBE_SPACED = /(?:^|[ .\-_*])[^ .\-_*][ .\-_*]{1,3}[^ .\-_*](?:[ .\-_*]|$)/;
/** The same pre-check for emoji separators, run only on text that has non-ASCII characters. */
const MAYBE_EMOJI_SPACED = /\p{Extended_Pictographic}\p{L}\p{Extended_Pictographic}/u;

/** 7. Repeated-letter squeezing: `freeeee` → `fre`, `moneyyyy` → `money` (letters only). */
export function squeezeRepeats(text: string): string {
  let out = '';
  let last = 0;
  const n = text.length;
  // Compared as UTF-16 code units, as one-unit strings were: a lone surrogate is no letter.
  let previous = n > 0 ? text.charCodeAt(0) : -1;
  for (let i = 1; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === previous && (c < 0x80 ? (c | 0x20) >= 97 && (c | 0x20) <= 122 : isLetter(text[i] as string))) {
      out += text.slice(last, i);
      while (i + 1 < n && text.charCodeAt(i + 1) === c) i++;
      last = i + 1;
    }
    previous = c;
  }
  return last === 0 ? text : out + text.slice(last);
}

const NEEDS_COLLAPSE = /[^\S ]| {2}|^ | $/;

/** 8. Whitespace collapsing: runs of spaces, tabs and newlines become one space; trimmed. */
export function collapseWhitespace(text: string): string {
  if (!NEEDS_COLLAPSE.test(text)) return text;
  return text.replace(/\s+/g, ' ').trim();
}

/**
 * 9. Spaced-letter joining: three or more single letters separated by spaces or punctuation
 * become one word: `d m  m e` → `dme` (joined, then squeezed like every word), `f.r.e.e` →
 * `fre`. Inside a joined word rule terms match anywhere, because the spacing destroyed the word
 * boundaries; `spans` are the [start, end) offsets of joined words in the returned text.
 */
export function joinSpacedLettersWithSpans(text: string): { text: string; spans: Array<[number, number]> } {
  const spans: Array<[number, number]> = [];
  if (!MAYBE_SPACED.test(text) && !(NON_ASCII.test(text) && MAYBE_EMOJI_SPACED.test(text)))
    return { text, spans };
  let out = '';
  let last = 0;
  for (const m of text.matchAll(SPACED_RUN)) {
    const index = m.index ?? 0;
    out += text.slice(last, index);
    const joined = squeezeRepeats(m[0].replace(SPACED_SEP, ''));
    spans.push([out.length, out.length + joined.length]);
    out += joined;
    last = index + m[0].length;
  }
  if (last === 0) return { text, spans };
  out += text.slice(last);
  return { text: out, spans };
}

/**
 * The text with its spaces removed and repeated letters squeezed, with the offset in `text` each
 * character came from. A phrase spaced out only in part ("c h e c k o u t this video o n
 * YouTube": the joiner makes "checkouthis video o n youtube") is found here by its joined form
 * (see the matcher, src/moderation/match/context.ts).
 */
export function collapseSpaces(text: string): { text: string; from: number[] } {
  let out = '';
  const from: number[] = [];
  let previous = -1;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x20) continue;
    if (c === previous && isLetter(text[i] as string)) continue;
    out += text[i];
    from.push(i);
    previous = c;
  }
  return { text: out, from };
}

export function joinSpacedLetters(text: string): string {
  return joinSpacedLettersWithSpans(text).text;
}

export type NormaliseStep =
  | 'nfkc'
  | 'strip-invisible'
  | 'confusable-skeleton'
  | 'lower-case'
  | 'fold-diacritics'
  | 'fold-leet'
  | 'squeeze-repeats'
  | 'collapse-whitespace'
  | 'join-spaced-letters';

export const NORMALISE_STEPS: ReadonlyArray<readonly [NormaliseStep, (text: string) => string]> = [
  ['nfkc', nfkc],
  ['strip-invisible', stripInvisible],
  ['confusable-skeleton', confusableSkeleton],
  ['lower-case', lowerCase],
  ['fold-diacritics', foldDiacritics],
  ['fold-leet', foldLeet],
  ['squeeze-repeats', squeezeRepeats],
  ['collapse-whitespace', collapseWhitespace],
  ['join-spaced-letters', joinSpacedLetters],
];

/** The longest comment text we look at; Instagram caps comments at 2,200 characters. */
export const MAX_TEXT_LENGTH = 4000;

export interface Normalised {
  /** What rules match on. */
  readonly text: string;
  /** [start, end) offsets of words made by joining spaced letters (terms match inside them). */
  readonly joinedSpans: ReadonlyArray<readonly [number, number]>;
  /**
   * What regexes match on: every step except squeezing and joining, so a moderator's regex for
   * `people` or `\d+ people` works as written.
   */
  readonly forRegex: string;
  /** The entity form (see `entityForm`), a by-product of the same pass. */
  readonly entity: string;
}

/** The full pipeline, with the joined-word spans the matcher needs. */
export function normaliseDetailed(text: string): Normalised {
  let out = text.length > MAX_TEXT_LENGTH ? text.slice(0, MAX_TEXT_LENGTH) : text;
  if (NON_ASCII.test(out)) {
    out = nfkc(out);
    out = stripInvisible(out);
    out = confusableSkeleton(out);
    out = lowerCase(out);
    out = foldDiacritics(out);
  } else {
    // Plain ASCII: NFKC, invisible characters, look-alikes and diacritics change nothing.
    out = lowerCase(out);
  }
  const entity = out;
  out = foldLeet(out);
  const forRegex = collapseWhitespace(out);
  out = squeezeRepeats(forRegex);
  const joined = joinSpacedLettersWithSpans(out);
  return { text: joined.text, joinedSpans: joined.spans, forRegex, entity };
}

/** The full pipeline: what rules (with `normalise: true`, the default) match on. */
export function normalise(text: string): string {
  return normaliseDetailed(text).text;
}

/** Each step's output, for `modbot rules explain`. */
export function normaliseTrace(text: string): Array<{ step: NormaliseStep; text: string }> {
  const trace: Array<{ step: NormaliseStep; text: string }> = [];
  let out = text.length > MAX_TEXT_LENGTH ? text.slice(0, MAX_TEXT_LENGTH) : text;
  for (const [step, fn] of NORMALISE_STEPS) {
    out = step === 'confusable-skeleton' ? lowerCase(fn(out)) : fn(out);
    trace.push({ step, text: out });
  }
  return trace;
}

/** The light form used for raw-text rules (`normalise: false`): only invisible characters go. */
export function rawForm(text: string): string {
  const capped = text.length > MAX_TEXT_LENGTH ? text.slice(0, MAX_TEXT_LENGTH) : text;
  return collapseWhitespace(stripInvisible(capped));
}

/**
 * The form entities (mentions, hashtags, links) are read from: compatibility-composed, invisible
 * characters removed, look-alikes mapped and lower-cased, but no leetspeak or squeezing, so
 * `@cash.flow_ava` and `bit.ly/x1` keep their spelling.
 */
export function entityForm(text: string): string {
  const capped = text.length > MAX_TEXT_LENGTH ? text.slice(0, MAX_TEXT_LENGTH) : text;
  return foldDiacritics(lowerCase(confusableSkeleton(lowerCase(stripInvisible(nfkc(capped))))));
}
