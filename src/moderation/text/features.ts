/**
 * Facts about a comment that conditions test: links and their domains, @mentions, #hashtags,
 * emoji, length, capital letters. Each is computed on first use only, so a rule set that never
 * asks about emoji never pays for counting them. Pure.
 */
import { entityForm, MAX_TEXT_LENGTH, stripInvisible } from './normalise.js';

/** URL shorteners: a link through one of these hides where it goes. */
export const SHORTENERS: readonly string[] = [
  'bit.ly',
  'bitly.com',
  'tinyurl.com',
  't.co',
  'goo.gl',
  'ow.ly',
  'is.gd',
  'buff.ly',
  'rebrand.ly',
  'cutt.ly',
  'shorturl.at',
  'tiny.cc',
  't.ly',
  'rb.gy',
  'v.gd',
  's.id',
  'shorte.st',
  'adf.ly',
  'bl.ink',
  'lnkd.in',
  'tr.im',
  'qrco.de',
];

const TLDS =
  'com|net|org|io|co|me|ly|gg|xyz|info|biz|link|app|site|online|shop|store|top|club|live|life|ru|uk|us|in|de|fr|br|es|it|nl|pl|cc|to|tv|ws|be|ee|gl|gd|sh|la|at|ch|ca|au|id|ph|ng|pk|tk|ml|ga|cf|gq|icu|vip|pro|fun|space|website|tech|cash|money|finance|trade|investments|ai|gy|st|in|de|cn|jp|kr|vn|tr|za|mx|ar|cl|ke|gh|eu|asia|page|bio|cloud|digital|email|network|world|today|news|win|bid|loan|work|click|ly|so|sx|im|is|ms|mn|su|ua|kz|ir|sa|ae|eg|ma|tz|ug|zw|nz|sg|my|th|hk|tw';
/** A URL with a scheme or www, or a bare domain with a known top-level domain. */
const LINK = new RegExp(
  `(?:https?:\\/\\/[^\\s<>"]+|www\\.[^\\s<>"]+|(?<![@\\w.\\-])(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\\.)+(?:${TLDS})(?![a-z0-9\\-])(?:[\\/?#][^\\s<>"]*)?)`,
  'g',
);
const MAYBE_LINK = /[a-z0-9]\.[a-z]{2}|:\/\//;
/** `example(dot)com`, `example[.]com`, `example dot com` → `example.com`. */
const OBFUSCATED_DOT = /\s*[([{]\s*(?:dot|\.)\s*[)\]}]\s*|\s+dot\s+(?=[a-z]{2,6}\b)/g;
const MENTION = /(?<![\w@.])@([a-z0-9._]{1,30})/g;
const HASHTAG = /(?<![\p{L}\p{N}_#&])#([\p{L}\p{N}_]+)/gu;
/** One emoji: a pictograph with its modifiers and ZWJ-joined parts (👨‍👩‍👧 is one), or a flag. */
const EMOJI =
  /\p{Extended_Pictographic}(?:[\u{1F3FB}-\u{1F3FF}\uFE0F\u20E3]|\u200D\p{Extended_Pictographic})*|[\u{1F1E6}-\u{1F1FF}]{2}/gu;
/** Every emoji is at or above U+00A9 (©); plain Latin text skips the Unicode-property scan. */
const MAYBE_EMOJI = /[\u00A9-\uFFFF]/;
// biome-ignore lint/suspicious/noMisleadingCharacterClass: joiners and modifiers are removed one by one on purpose
const VISIBLE = /[^\s\u200d\ufe0e\ufe0f\p{M}\u{1F3FB}-\u{1F3FF}]/gu;
const IS_UPPER = /^\p{Lu}$/u;
const IS_LOWER = /^\p{Ll}$/u;
// biome-ignore lint/suspicious/noControlCharactersInRegex: the whole ASCII range, control characters included
const NON_ASCII = /[^\x00-\x7F]/;

export interface Link {
  readonly url: string;
  /** Lower-case host without a leading `www.`. */
  readonly domain: string;
}

/** Lower-case host of a link, without scheme, port, path or a leading www. */
export function linkDomain(url: string): string {
  let host = url.replace(/^https?:\/\//, '');
  host = host.split(/[/?#:]/, 1)[0] ?? '';
  host = host.replace(/\.+$/, '');
  return host.startsWith('www.') ? host.slice(4) : host;
}

/** True when `domain` is `listed` or one of its subdomains. */
export function domainMatches(domain: string, listed: string): boolean {
  // `domain.endsWith("." + listed)`, without making that string for every comparison.
  const dot = domain.length - listed.length - 1;
  return domain === listed || (dot >= 0 && domain.charCodeAt(dot) === 46 && domain.endsWith(listed));
}

export function extractLinks(entityText: string): Link[] {
  const text =
    entityText.includes('dot') || entityText.includes('[') || entityText.includes('(')
      ? entityText.replace(OBFUSCATED_DOT, '.')
      : entityText;
  // Most comments have no dot followed by letters: skip the big pattern for them.
  if (!MAYBE_LINK.test(text)) return [];
  const links: Link[] = [];
  for (const m of text.matchAll(LINK)) {
    const url = m[0].replace(/[.,!?;:)\]]+$/, '');
    const domain = linkDomain(url);
    if (domain.includes('.')) links.push({ url, domain });
  }
  return links;
}

export function extractMentions(entityText: string): string[] {
  if (!entityText.includes('@')) return [];
  return [...entityText.matchAll(MENTION)]
    .map((m) => (m[1] ?? '').replace(/\.+$/, ''))
    .filter((h) => h.length > 0);
}

export function extractHashtags(entityText: string): string[] {
  if (!entityText.includes('#')) return [];
  return [...entityText.matchAll(HASHTAG)].map((m) => m[1] ?? '');
}

const CASE_NONE = 0;
const CASE_UPPER = 1;
const CASE_LOWER = 2;
const caseCache = new Map<number, number>();

/** Upper case (\p{Lu}), lower case (\p{Ll}) or neither, for one code point; cached. */
function letterCase(codePoint: number): number {
  let k = caseCache.get(codePoint);
  if (k === undefined) {
    const ch = String.fromCodePoint(codePoint);
    k = IS_UPPER.test(ch) ? CASE_UPPER : IS_LOWER.test(ch) ? CASE_LOWER : CASE_NONE;
    if (caseCache.size < 50_000) caseCache.set(codePoint, k);
  }
  return k;
}

function count(re: RegExp, text: string): number {
  let n = 0;
  re.lastIndex = 0;
  while (re.exec(text) !== null) n++;
  return n;
}

/** Lazily computed facts about one comment text. */
export class TextFeatures {
  private cachedEntity: string | undefined;
  private cachedVisibleText: string | undefined;
  private cachedLinks: Link[] | undefined;
  private cachedMentions: string[] | undefined;
  private cachedHashtags: string[] | undefined;
  private cachedEmoji: number | undefined;
  private cachedVisible: number | undefined;
  private cachedCaps: { upper: number; letters: number } | undefined;
  private cachedLength: number | undefined;

  /** `entity`: the entity form when the caller already has it (the evaluator's normaliser does). */
  constructor(
    readonly raw: string,
    private readonly entity?: () => string,
  ) {}

  /** The text as shown (invisible characters removed), capped at MAX_TEXT_LENGTH. */
  get visibleText(): string {
    if (this.cachedVisibleText === undefined) {
      const capped = this.raw.length > MAX_TEXT_LENGTH ? this.raw.slice(0, MAX_TEXT_LENGTH) : this.raw;
      // Keep the zero-width joiner here: it glues emoji sequences (👨‍👩‍👧) into one emoji.
      this.cachedVisibleText = NON_ASCII.test(capped)
        ? stripInvisible(capped.replaceAll('\u200D', '\uE000')).replaceAll('\uE000', '\u200D').trim()
        : capped.trim();
    }
    return this.cachedVisibleText;
  }

  get entityText(): string {
    if (this.cachedEntity === undefined)
      this.cachedEntity = this.entity ? this.entity() : entityForm(this.raw);
    return this.cachedEntity;
  }

  get links(): Link[] {
    if (this.cachedLinks === undefined) this.cachedLinks = extractLinks(this.entityText);
    return this.cachedLinks;
  }

  get mentions(): string[] {
    if (this.cachedMentions === undefined) this.cachedMentions = extractMentions(this.entityText);
    return this.cachedMentions;
  }

  get hashtags(): string[] {
    if (this.cachedHashtags === undefined) this.cachedHashtags = extractHashtags(this.entityText);
    return this.cachedHashtags;
  }

  get emojiCount(): number {
    if (this.cachedEmoji === undefined)
      this.cachedEmoji = MAYBE_EMOJI.test(this.visibleText) ? count(EMOJI, this.visibleText) : 0;
    return this.cachedEmoji;
  }

  /** Emoji divided by visible characters (emoji count as one each). */
  get emojiShare(): number {
    if (this.cachedVisible === undefined) {
      // Each emoji may be several code points (ZWJ sequences, flags); count one per emoji.
      const withoutEmoji = this.visibleText.replace(EMOJI, '');
      this.cachedVisible = count(VISIBLE, withoutEmoji) + this.emojiCount;
    }
    return this.cachedVisible === 0 ? 0 : this.emojiCount / this.cachedVisible;
  }

  /** Length in characters (code points) of the visible text. */
  get length(): number {
    if (this.cachedLength === undefined) {
      const text = this.visibleText;
      // A character is a code unit in ASCII; otherwise count code points.
      let n = 0;
      if (NON_ASCII.test(text)) for (const _ of text) n++;
      else n = text.length;
      this.cachedLength = n;
    }
    return this.cachedLength;
  }

  /** Share of capital letters among cased letters; 0 when there are fewer than 5 letters. */
  get capitalsShare(): number {
    if (this.cachedCaps === undefined) {
      const visible = this.visibleText;
      // Plain ASCII: NFKC changes nothing.
      const text = NON_ASCII.test(visible) ? visible.normalize('NFKC') : visible;
      let upper = 0;
      let lower = 0;
      // Code point by code point, as /\p{Lu}/gu and /\p{Ll}/gu count (a lone surrogate is neither).
      for (let i = 0; i < text.length; i++) {
        let c = text.charCodeAt(i);
        if (c < 0x80) {
          if (c >= 65 && c <= 90) upper++;
          else if (c >= 97 && c <= 122) lower++;
          continue;
        }
        if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
          const d = text.charCodeAt(i + 1);
          if (d >= 0xdc00 && d <= 0xdfff) {
            c = (c - 0xd800) * 0x400 + (d - 0xdc00) + 0x10000;
            i++;
          }
        }
        const k = letterCase(c);
        if (k === CASE_UPPER) upper++;
        else if (k === CASE_LOWER) lower++;
      }
      this.cachedCaps = { upper, letters: upper + lower };
    }
    return this.cachedCaps.letters < 5 ? 0 : this.cachedCaps.upper / this.cachedCaps.letters;
  }
}
