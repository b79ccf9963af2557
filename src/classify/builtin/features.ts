/**
 * Feature extraction for the builtin spam/scam model. Pure and runtime-neutral (Node and
 * Workers): no node: imports, no I/O.
 *
 * The input is the text AFTER modbot's evasion-resistant normalisation (src/moderation/text/normalise.ts),
 * the same string the rules match on, so look-alike letters, zero-width characters, fancy fonts,
 * spaced-out letters and leetspeak reach the model already folded. Training (scripts/train.ts)
 * calls the same normaliser, so the two sides can never drift apart.
 *
 * What generalises across accounts (campaigns differ per account; measured by holding out whole
 * accounts, see docs/classifiers.md): character n-grams inside words (they survive misspellings
 * and handle names such as "..._fx__"), word unigrams/bigrams with digits collapsed, and a few
 * structural signals (an @handle or #tag at the end, money amounts, phone numbers, links, "dm",
 * self-promotion such as "sub to my channel", engagement bait such as "like this comment").
 */

/** Bump when the feature set changes: a model trained on another version is rejected at load. */
export const FEATURE_VERSION = 9;

// A handle or tag has at least one letter: "step #5" is not a hashtag.
const HANDLE = /[@#][\p{N}_.]*\p{L}[\p{L}\p{N}_.]*/gu;
const URL =
  /\b(?:https?:\/\/|www\.)\S+|\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:com|net|org|io|co|me|ly|xyz|info|biz|gl|tk|ru|pl|de|uk|us|in|be|tv|gg|to|site|online|shop|app|link|club)\b(?:\/\S*)?|\b[a-z0-9-]+\.[a-z]{2,6}\/\S+/giu;
// After leet folding "$30k" reads "$eok": a currency sign before any letter or digit counts.
const MONEY = /[$€£₿]\s?[\p{L}\d]|\d\s?(?:usd|usdt|dollars?|btc|eth|k\b|grand)|\busd\s?\d/iu;
const PHONE = /\+?\d[\d\s-]{8,}\d/u;
const EMOJI = /\p{Extended_Pictographic}/gu;
const LETTER = /\p{L}/u;
const TOKEN = /[\p{L}\p{N}_']+|[$€£₿%!?]|\p{Extended_Pictographic}/gu;

const SKELETON_LEET: Readonly<Record<string, string>> = {
  '0': 'o',
  '1': 'i',
  '2': 'z',
  '3': 'e',
  '4': 'a',
  '5': 's',
  '6': 'b',
  '7': 't',
  '8': 'b',
  '9': 'g',
  '@': 'a',
  $: 's',
  '!': 'i',
  '|': 'l',
};

const LEET_CHARS = /[0-9@$!|]/g;
const NON_LETTERS = /\P{L}+/gu;
const SURROGATE = /[\uD800-\uDFFF]/;

/** Add the min..max-character n-grams of `s`, by code point (an emoji is never split in half). */
function addGrams(out: Set<string>, prefix: string, s: string, min: number, max: number): void {
  if (!SURROGATE.test(s)) {
    for (let n = min; n <= max; n++)
      for (let i = 0; i + n <= s.length; i++) out.add(prefix + s.slice(i, i + n));
    return;
  }
  const cps = Array.from(s);
  for (let n = min; n <= max; n++)
    for (let i = 0; i + n <= cps.length; i++) out.add(prefix + cps.slice(i, i + n).join(''));
}

// Written as the normaliser leaves words: runs of one letter squeezed to one ("channel" ->
// "chanel", "follow" -> "folow", "message" -> "mesage"); matched on squeezed text.
const POINTER_WORDS =
  /\b(?:dm|inbox|mesage|contact|reach out|whatsap|telegram|signal|wickr|text me|cal me|email|e-mail|hmu|link in (?:my )?bio|my bio|check out|checkout|check me|folow me|subscribe|sub (?:me|to|4|for)|my chanel|visit|click|website|site)\b/u;
const MONEY_WORDS =
  /\b(?:invest\w*|profit\w*|earn\w*|income|returns?|trad(?:e|ing|er)|crypto|bitcoin|btc|forex|payout|withdraw\w*|money|cash|funds?)\b/u;
// Self-promotion: the writer's own channel, videos, music or pages, or asking for subscribers
// ("check my dm" is a customer's reply to support, not a pitch).
const SELF_PROMO =
  /\b(?:(?:my|our) (?:new |newest |own |latest )?(?:chanel|videos?|vids?|vlogs?|songs?|music|sound|rap|remix(?:es)?|beats?|tracks?|covers?|blog|page|playlist|mixtape|album|instagram|twiter|facebok|soundcloud|website|site|profile|art|content)|check (?:my|our)(?! (?:dm|dms|inbox|mesages?|email|spam))|(?:sub|subscribe) (?:to )?(?:me|us|back)|i sub back|(?:some|more|get|gain) (?:subs|subscribers)|i(?:'m| am|m) a (?:new )?(?:youtuber|raper|singer|producer|artist))\b/u;
// Engagement bait: asking for likes, thumbs up or shares.
const LIKE_BAIT =
  /\b(?:like this coment|thumbs up if|like if|give it a like|like ?(?:&|and) ?share|share this)\b/u;
// A domain written with spaces around the dot to dodge link filters ("site . com").
const SPACED_DOMAIN =
  /\b[a-z0-9-]{2,} ?\. ?(?:com|net|org|io|co|me|ly|xyz|info|biz|tk|ru|pl|tv|gg|site|online|shop|app|link|club)\b/u;
const SQUEEZE = /(\p{L})\1+/gu;
// A customer talking about a purchase or a service: orders, sizes, stock, prices, delivery,
// refunds, an app or a subscription that broke, support that does not answer. Scams point
// somewhere too, but rarely about these things; customers ask to be contacted about them.
const SERVICE_WORDS =
  /\b(?:orders?|ordered|size|sizes|stock|restock|price|prices|priced|delivery|delivered|shiping|shiped|refund\w*|return|returned|store|stores|purchase\w*|bought|receipt|warranty|broke|broken|app|update|premium|subscription|customer (?:service|care|support)|support|help ?desk|email|emailed|reply|replied|respond\w*|answer\w*|isue|isues|problem|fix|working|works|product|colou?r|available|back in|sold out|cancel\w*|charged|bil|biling|package|parcel|tracking)\b/u;

function lengthBucket(n: number): string {
  if (n < 10) return '0';
  if (n < 30) return '1';
  if (n < 80) return '2';
  if (n < 200) return '3';
  return '4';
}

/** Collapse digit runs so "$5,000" and "$72,500" share features; keep the shape, not the value. */
function foldDigits(s: string): string {
  return s.replace(/\d+(?:[.,\s]\d+)*/gu, '0');
}

/**
 * The deduplicated feature names of one (already normalised) comment. Order is stable (first
 * occurrence), which keeps training deterministic.
 */
export function extractFeatures(normalisedText: string): string[] {
  const text = normalisedText.toLowerCase().replace(/\s+/gu, ' ').trim();
  const out = new Set<string>();

  // Structural signals, computed before digits are folded.
  const handles = text.match(HANDLE) ?? [];
  const mentions = handles.filter((h) => h.startsWith('@'));
  const tags = handles.filter((h) => h.startsWith('#'));
  if (mentions.length > 0) out.add('s:mention');
  if (mentions.length > 1) out.add('s:mention2');
  if (tags.length > 0) out.add('s:tag');
  if (tags.length > 2) out.add('s:tag3');
  if (handles.some((h) => h.includes('_'))) out.add('s:handle_underscore');
  if (handles.some((h) => /_{2,}|_$/u.test(h))) out.add('s:handle_trailing_underscore');
  const words = text.split(' ');
  const last = words.at(-1) ?? '';
  const first = words[0] ?? '';
  // Scam testimonials end by naming their "account manager"; ordinary hashtags (#sheep) differ
  // from handle-like ones (#anna_trades__), so the two are separate signals.
  if (/^@[\p{N}_.]*\p{L}/u.test(last)) out.add('s:ends_with_mention');
  if (/^#[\p{N}_.]*\p{L}/u.test(last)) out.add(/_/u.test(last) ? 's:ends_with_name_tag' : 's:ends_with_tag');
  if (/^[@#][\p{N}_.]*\p{L}/u.test(first)) out.add('s:starts_with_handle');
  if (/^@/u.test(first) && words.length <= 6) out.add('s:short_reply_to_handle');
  if (URL.test(text)) out.add('s:url');
  URL.lastIndex = 0;
  if (!out.has('s:url') && SPACED_DOMAIN.test(text)) out.add('s:spaced_url');
  const squeezed = text.replace(SQUEEZE, '$1');
  if (SELF_PROMO.test(squeezed)) out.add('s:self_promo');
  if (LIKE_BAIT.test(squeezed)) out.add('s:like_bait');
  if (MONEY.test(text)) out.add('s:money');
  if (PHONE.test(text)) out.add('s:phone');
  const emoji = text.match(EMOJI)?.length ?? 0;
  if (emoji > 0) out.add('s:emoji');
  if (emoji > 3) out.add('s:emoji4');
  if (!LETTER.test(text)) out.add('s:no_letters');
  out.add(`s:len${lengthBucket(text.length)}`);

  // Does the comment point somewhere (an account, a link, a number, "dm me")? Scams and spam
  // almost always do; genuine discussion of money, even enthusiastic, usually does not. A
  // linear model cannot AND two signals, so the useful conjunctions are features of their own.
  const pointer =
    mentions.length > 0 ||
    handles.some((h) => h.startsWith('#') && h.includes('_')) ||
    out.has('s:url') ||
    out.has('s:spaced_url') ||
    out.has('s:phone') ||
    out.has('s:self_promo') ||
    POINTER_WORDS.test(squeezed);
  const money = out.has('s:money') || MONEY_WORDS.test(squeezed);
  out.add(pointer ? 's:pointer' : 's:no_pointer');
  if (money) out.add(pointer ? 's:money&pointer' : 's:money&no_pointer');
  if (!pointer) out.add(`s:no_pointer&len${lengthBucket(text.length)}`);
  if (SERVICE_WORDS.test(squeezed)) out.add(pointer ? 's:service&pointer' : 's:service');
  if (text.includes('?')) out.add(pointer ? 's:question&pointer' : 's:question');

  // Words: handles become a placeholder so a campaign's one account name is not memorised;
  // the name's characters still reach the character n-grams below.
  const masked = foldDigits(
    text.replace(HANDLE, (h) => (h.startsWith('@') ? ' xmention ' : ' xtag ')).replace(URL, ' xurl '),
  );
  const tokens = masked.match(TOKEN) ?? [];
  let prev = '^';
  for (const tok of tokens) {
    out.add(`w:${tok}`);
    out.add(`b:${prev} ${tok}`);
    prev = tok;
  }
  if (tokens.length > 0) out.add(`b:${prev} $`);

  // Handle names in parts: "@sarah_fx_trades__" -> sarah, fx, trades. Campaign account names
  // change every week, their vocabulary ("fx", "trades", "invest", "tips") much less.
  for (const h of handles) {
    out.add(`h:${h[0]}`);
    for (const part of h.slice(1).split(/[._\d]+/u)) if (part.length >= 2) out.add(`h:${part}`);
  }

  // Skeleton: letters only, spaces and symbols dropped, leftover leetspeak folded. Survives any
  // spacing trick ("c o n t a c t", "con.tact") and partial leet the normaliser leaves alone.
  const skeleton = text
    .replace(HANDLE, ' ')
    .replace(URL, ' ')
    .replace(LEET_CHARS, (c) => SKELETON_LEET[c] ?? c)
    .replace(NON_LETTERS, '')
    .slice(0, 600);
  addGrams(out, 'k:', skeleton, 5, 5);

  // Character n-grams (3..5) within word boundaries, on the digit-folded text with handles kept.
  for (const word of foldDigits(text).split(' ')) {
    if (word.length > 0) addGrams(out, 'c:', ` ${word} `, 3, 5);
  }
  return [...out];
}
