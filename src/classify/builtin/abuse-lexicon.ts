/**
 * The lexicon half of the builtin `abuse` signal: which abusive terms a comment contains, by
 * category, and whether they are aimed at someone. Pure and runtime-neutral (Node and Workers).
 *
 * Two sources, both matched on the rules' normalised text (src/moderation/text/normalise.ts), so
 * spaced (`f a g g o t`), leet (`b1tch`), look-alike (`сunt` in Cyrillic) and zero-width
 * spellings arrive folded:
 *  - the maintained `obscenity` package's English dataset (slurs, sexual and profane terms, with
 *    its own handling of repeated letters and leftover symbols); its words are sorted into the
 *    categories below;
 *  - our own phrases, which a word list cannot express: threats ("i will kill you"), self-harm
 *    taunts, sexual harassment ("send nudes"), insults aimed at a person ("you're an idiot",
 *    "fuck you"), and censored profanity ("f***ing"). Every phrase goes through the
 *    same normaliser when this module loads, so "kill" is looked for as "kil", as the comment
 *    will read.
 *
 * English only. What counts as targeted: a second-person pattern ("you", "you're", "ur", "u r",
 * "your a"), a third person described ("she is a …", "this guy is …") or a dismissal ("fuck off",
 * "nobody asked you"). "shut up" and "stfu" are also banter ("shut up, this is so cute!"): named
 * as rude, left to the model. A complaint about a thing ("your app is garbage", "this f***ing order never
 * came") is not targeted: it is at most profanity, which the shipped rules treat as a brand's
 * choice (rules/abuse.yaml).
 */
import { englishDataset, englishRecommendedTransformers, RegExpMatcher } from 'obscenity';
import { normalise } from '../../moderation/text/normalise.js';

export type AbuseCategory =
  /** Slurs and hate against a group. */
  | 'slur'
  /** Threats of violence, and telling someone to hurt themselves. */
  | 'threat'
  /** Sexual harassment: demands and remarks about someone's body or sex. */
  | 'sexual'
  /** An insult or attack aimed at a person. */
  | 'insult'
  /** Profanity with no target ("this f***ing order"). */
  | 'profanity'
  /** An insulting or sexual word with no target found ("idiot", "pussy"): evidence, not proof. */
  | 'rude';

export interface AbuseTerm {
  readonly category: AbuseCategory;
  /** The term as matched (normalised form), for `rules explain` and the audit trail. */
  readonly term: string;
}

/** Categories that are abuse on their own: the shipped rules hide them. */
export const SEVERE: ReadonlySet<AbuseCategory> = new Set(['slur', 'threat', 'sexual', 'insult']);

// obscenity's English words (its `originalWord` metadata), sorted into our categories. Words not
// listed here (anatomy and sex words such as "anal", "sex", "porn", "dick": also a shop's name,
// "Dick's") count as `rude`, never as abuse on their own.
const OBSCENITY_SLURS = new Set([
  'abo',
  'abeed',
  'africoon',
  'arabush',
  'boonga',
  'chingchong',
  'chink',
  'dyke',
  'fag',
  'kike',
  'nigger',
  'tranny',
]);
// Swear words: the `profanity` score, whose handling is the brand's choice. Milder words
// ("bastard", "piss", "bollocks") and names for people ("whore") are not counted: aimed at
// someone they are insults, otherwise the model weighs them.
const OBSCENITY_PROFANITY = new Set(['fuck', 'shit', 'bitch', 'cunt', 'twat']);

// Own terms, written plainly; normalised once below. `*` stands for "any word" (at most one).
const SLURS = [
  'nigger',
  'niggers',
  'nigga',
  'niggas',
  'nigguh',
  'niglet',
  'faggot',
  'faggots',
  'fag',
  'fags',
  'dyke',
  'tranny',
  'trannies',
  'shemale',
  'kike',
  'kikes',
  'chink',
  'chinks',
  'gook',
  'gooks',
  'spic',
  'spics',
  'wetback',
  'wetbacks',
  'beaner',
  'beaners',
  'raghead',
  'towelhead',
  'sand nigger',
  'porch monkey',
  'jungle bunny',
  'jigaboo',
  'paki',
  'pakis',
  'untermensch',
  'go back to your country',
  'go back to africa',
  'gas the jews',
  'heil hitler',
];

// Violence against "you", "him", "her": only with someone saying they will do it ("i'll kill
// you"), so "it wouldn't kill you to answer" and "this price will kill you" stay out.
const THREAT_PREFIXES = [
  'i will',
  "i'll",
  'ill',
  "i'm going to",
  'im going to',
  "i'm gonna",
  'im gonna',
  'gonna',
  'i want to',
  'i wanna',
  'i could',
  'i would',
  "i'd",
  'let me',
  'we will',
  "we'll",
  'someone should',
  'somebody should',
  'someone needs to',
  'i hope someone',
];
const THREAT_VERBS = [
  'kill',
  'murder',
  'shoot',
  'stab',
  'strangle',
  'choke',
  'hang',
  'beat',
  'beat up',
  'punch',
  'slap',
  'rape',
  'hurt',
  'find',
  'hunt down',
  'end',
  'break',
  'smash',
];
const THREAT_OBJECTS = ['you', 'u', 'ya', 'him', 'her', 'them', 'your family', 'your kids', 'your face'];

const THREATS = [
  'slit your throat',
  'cut your throat',
  'burn your house',
  'find where you live',
  'know where you live',
  'watch your back',
  'hope you die',
  'hope u die',
  'hope you get cancer',
  'hope you get raped',
  'you should die',
  'you deserve to die',
  'deserve to die',
  'die in a fire',
  'should be shot',
  'should be hanged',
  'should be killed',
  'should be raped',
  'deserve to be shot',
  'deserve to be raped',
  'put a bullet',
  'beat your ass',
  // Self-harm taunts.
  'kys',
  'kill yourself',
  'kil urself',
  'kill urself',
  'go die',
  'hang yourself',
  'drink bleach',
  'nobody would miss you',
  'neck yourself',
];

const SEXUAL = [
  'send nudes',
  'send me nudes',
  'send me pics',
  'show me your tits',
  'show me your boobs',
  'show me your ass',
  'show me your pussy',
  'show your tits',
  'show your boobs',
  'nice tits',
  'nice boobs',
  'your tits',
  'your boobs',
  'your pussy',
  'ur tits',
  'ur boobs',
  'sit on my face',
  'suck my dick',
  'suck my cock',
  'i want to fuck you',
  'wanna fuck you',
  'want to fuck her',
  'wanna fuck her',
  'i would fuck',
  "i'd fuck",
  'fuck you hard',
  'let me smash',
  'on my dick',
  'bend you over',
  'bend her over',
];

// A person called by an insulting noun. Singular only: "you idiots" at a shop's staff is an
// angry customer more often than abuse, so plurals are left to the model (review at most).
const INSULT_NOUNS = [
  'idiot',
  'moron',
  'imbecile',
  'cretin',
  'loser',
  'clown',
  'bitch',
  'cunt',
  'whore',
  'slut',
  'hoe',
  'skank',
  'thot',
  'retard',
  'dumbass',
  'jackass',
  'asshole',
  'arsehole',
  'bastard',
  'prick',
  'twat',
  'wanker',
  'douche',
  'douchebag',
  'dickhead',
  'shithead',
  'fuckface',
  'fucker',
  'motherfucker',
  'pig',
  'scum',
  'scumbag',
  'freak',
  'creep',
  'degenerate',
  'lowlife',
  'piece of shit',
  'waste of space',
  'waste of oxygen',
  'fatass',
  'fat ass',
  'fat pig',
  'incel',
  'simp',
  'cuck',
  'peasant',
];
const INSULT_PLURALS = [
  // Also banter ("shut up, this is so cute!"): named, but only the model can send it to review.
  'shut up',
  'shut the fuck up',
  'stfu',
  'idiots',
  'morons',
  'losers',
  'clowns',
  'bitches',
  'cunts',
  'whores',
  'sluts',
  'hoes',
  'retards',
  'dumbasses',
  'assholes',
  'bastards',
  'dick',
  'dicks',
];

// A person described by an insulting adjective ("you're so ugly").
const INSULT_ADJECTIVES = [
  'stupid',
  'dumb',
  'ugly',
  'fat',
  'worthless',
  'disgusting',
  'retarded',
  'brainless',
  'braindead',
  'brain dead',
  'delusional',
  'mentally ill',
  'hideous',
];

// Dismissals and attacks that are aimed at someone by their very form.
const ATTACKS = [
  'fuck you',
  'fuck u',
  'fuck off',
  'fuck yourself',
  'fuck urself',
  'go fuck yourself',
  'eat shit',
  'piss off',
  'burn in hell',
  'rot in hell',
  'nobody likes you',
  'no one likes you',
  'nobody asked you',
  'your mom',
  'ur mom',
  'yo mama',
  'get a life',
  'you make me sick',
  'son of a bitch',
];

// Who an insult is aimed at: "you are a", "ur so", "she's a", "this guy is", "what a".
const YOU = ['you', 'u', 'ya', 'yall', "y'all"];
const YOU_ARE = [
  "you're",
  'you are',
  'youre',
  'ur',
  'u r',
  'u are',
  'you r',
  'yer',
  'you re',
  'you guys are',
  'you all are',
  'you people are',
];
// "your a loser", "your so dumb": the common misspelling, but not "your app is garbage".
const YOUR_A = ['your a', 'your an', 'your so', 'your such a', 'u r a', 'u r an', 'u r so'];
const THEY_ARE = [
  "she's",
  'she is',
  "he's",
  'he is',
  'shes',
  'hes',
  'this guy is',
  'this girl is',
  'this woman is',
  'this man is',
  'this dude is',
  'the host is',
];
// "what an idiot", "such a loser": with a noun only ("what a stupid idea" is about an idea).
const WHAT_A = ['what a', 'what an', 'such a', 'such an', 'bunch of', 'you are a', 'absolute'];
const FILLERS = [
  'a',
  'an',
  'the',
  'so',
  'such a',
  'such an',
  'really',
  'fucking',
  'fuckin',
  'freaking',
  'damn',
  'stupid',
  'dumb',
  'ugly',
  'fat',
  'little',
  'big',
  'absolute',
  'complete',
  'total',
  'an absolute',
  'a complete',
  'a total',
  'a fucking',
  'a stupid',
  'a dumb',
  'an ugly',
  'a fat',
  'a little',
  'one',
  'just a',
  'just an',
  'nothing but a',
  'such',
  'very',
  'too',
];

// Censored profanity: the stars survive normalisation ("f***ing", "sh*t", "b*tch").
const MASKED_PROFANITY =
  /(?<![\p{L}\p{N}])(?:f[*#@%]+(?:k|ck|ck?ing|kin|ing|in|ed|er|s)?|f[u*#]+[c*#]+k\w*|s[h*#]+[i*#]+t\w*|sh[*#]+t\w*|b[*#]+t?ch\w*|c[*#]+nt\w*|a[*#]{2}hole)(?![\p{L}\p{N}])/iu;

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** One alternation of the normalised phrases, longest first, whole words. */
function alternation(phrases: readonly string[]): string {
  const normalised = [...new Set(phrases.map((p) => normalise(p)).filter((p) => p.length > 0))];
  normalised.sort((a, b) => b.length - a.length || (a < b ? -1 : 1));
  return normalised.map(escapeRegExp).join('|');
}

const B = "(?<![\\p{L}\\p{N}'])";
const E = '(?![\\p{L}\\p{N}])';
const wholeWords = (phrases: readonly string[]) => new RegExp(`${B}(?:${alternation(phrases)})${E}`, 'gu');

interface Compiled {
  readonly slur: RegExp;
  readonly threat: RegExp;
  readonly sexual: RegExp;
  readonly attack: RegExp;
  readonly targeted: RegExp;
  readonly untargeted: RegExp;
  readonly obscenity: RegExpMatcher;
  /** Slur, threat, sexual and attack phrases with their spaces removed, for joined words. */
  readonly joined: ReadonlyArray<readonly [string, AbuseCategory]>;
}

let compiled: Compiled | undefined;

function compile(): Compiled {
  const fillers = `(?:(?:${alternation(FILLERS)}) ){0,3}`;
  const insults = `(?:${alternation([...INSULT_NOUNS, ...INSULT_ADJECTIVES])})`;
  const nouns = `(?:${alternation(INSULT_NOUNS)})`;
  // "you idiot", "you stupid bitch": "you" straight before an insulting noun (not "you trash it").
  const youNoun = `(?:${alternation(YOU)}) ${fillers}${nouns}`;
  // "you're an idiot", "ur so ugly", "your a loser", "she is so dumb".
  const isInsult = `(?:${alternation([...YOU_ARE, ...THEY_ARE])}) ${fillers}${insults}`;
  const yourA = `(?:${alternation(YOUR_A)}) ${fillers}${insults}`;
  // "what an idiot", "such a loser".
  const whatA = `(?:${alternation(WHAT_A)}) ${fillers}${nouns}`;
  // "i'll kill you", "gonna find u".
  const threat = `(?:${alternation(THREAT_PREFIXES)}) (?:${alternation(THREAT_VERBS)}) (?:${alternation(THREAT_OBJECTS)})`;
  // "are you stupid", "are u dumb".
  const areYou = `(?:are|r) (?:${alternation(YOU)}) ${fillers}${insults}`;
  return {
    slur: wholeWords(SLURS),
    threat: new RegExp(`${B}(?:${alternation(THREATS)}|${threat})${E}`, 'gu'),
    sexual: wholeWords(SEXUAL),
    attack: wholeWords(ATTACKS),
    targeted: new RegExp(`${B}(?:${youNoun}|${isInsult}|${yourA}|${whatA}|${areYou})${E}`, 'gu'),
    untargeted: wholeWords([...INSULT_NOUNS, ...INSULT_PLURALS]),
    obscenity: new RegExpMatcher({ ...englishDataset.build(), ...englishRecommendedTransformers }),
    joined: [
      ...joinedForms(SLURS, 'slur'),
      ...joinedForms(THREATS, 'threat'),
      ...joinedForms(SEXUAL, 'sexual'),
      ...joinedForms(ATTACKS, 'insult'),
    ],
  };
}

/** "kill yourself" → "kilyourself": how the phrase reads once spaced letters are joined. */
function joinedForms(phrases: readonly string[], category: AbuseCategory): Array<[string, AbuseCategory]> {
  // Short forms ("kys", "fag") would be found inside ordinary joined words; they are left to the
  // whole-word matchers and obscenity.
  return phrases
    .map((p) => normalise(p).replace(/[^\p{L}\p{N}]+/gu, ''))
    .filter((p) => p.length >= 6)
    .map((p) => [p, category]);
}

function collect(
  out: AbuseTerm[],
  seen: Set<string>,
  re: RegExp,
  text: string,
  category: AbuseCategory,
): void {
  re.lastIndex = 0;
  for (const m of text.matchAll(re)) {
    const key = `${category}:${m[0]}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ category, term: m[0] });
  }
}

export interface AbuseTextContext {
  /** Words the normaliser joined from spaced letters ("k i l l  y o u r s e l f" → "kilyourself"). */
  readonly joinedWords?: readonly string[];
  /** The text before squeezing repeated letters (the normaliser's `forRegex`). */
  readonly unsqueezed?: string;
}

/**
 * The abusive terms in a comment, slurs first. `normalisedText` is the rules' normalised form;
 * words joined from spaced letters are also searched for phrases with their spaces removed, since
 * the spacing erased the word boundaries.
 */
export function findAbuseTerms(normalisedText: string, context: AbuseTextContext = {}): AbuseTerm[] {
  compiled ??= compile();
  const c = compiled;
  // Curly and other apostrophes ("you’re") read as the straight one the phrases are written with.
  const text = normalisedText.replace(/[\u2018\u2019\u02BC`\u00B4]/gu, "'");
  const out: AbuseTerm[] = [];
  const seen = new Set<string>();
  collect(out, seen, c.slur, text, 'slur');
  // Squeezing makes the slur "n*gger" read "niger", as the country is spelt: written with one
  // "g" before squeezing, it is the country.
  if (context.unsqueezed !== undefined && /(?<![\p{L}])nigers?(?![\p{L}])/u.test(context.unsqueezed)) {
    const i = out.findIndex((t) => t.term === 'niger' || t.term === 'nigers');
    if (i >= 0) out.splice(i, 1);
  }
  for (const word of context.joinedWords ?? []) {
    for (const [phrase, category] of c.joined) {
      if (!word.includes(phrase) || seen.has(`${category}:${phrase}`)) continue;
      seen.add(`${category}:${phrase}`);
      out.push({ category, term: phrase });
    }
  }
  collect(out, seen, c.threat, text, 'threat');
  collect(out, seen, c.sexual, text, 'sexual');
  collect(out, seen, c.attack, text, 'insult');
  collect(out, seen, c.targeted, text, 'insult');
  // obscenity's matcher finds its words inside other spellings our regexes miss ("f4gg0t", joined
  // spaced letters); its slurs are slurs wherever they appear.
  // Sorted matches; one word can match several of obscenity's patterns ("fuck", "fucking"):
  // the first one at a place is kept.
  let coveredTo = -1;
  for (const m of c.obscenity.getAllMatches(text, true)) {
    if (m.startIndex <= coveredTo) continue;
    coveredTo = m.endIndex;
    const word = englishDataset.getPayloadWithPhraseMetadata(m).phraseMetadata?.originalWord ?? '';
    const category: AbuseCategory = OBSCENITY_SLURS.has(word)
      ? 'slur'
      : OBSCENITY_PROFANITY.has(word)
        ? 'profanity'
        : 'rude';
    const term = text.slice(m.startIndex, m.endIndex + 1);
    const key = `${category}:${term}`;
    if (seen.has(key) || (category === 'slur' && out.some((t) => t.category === 'slur'))) continue;
    seen.add(key);
    out.push({ category, term });
  }
  const masked = MASKED_PROFANITY.exec(text);
  // Only a spelling with a mask character: plain swear words came from obscenity above.
  if (masked && /[*#@%]/.test(masked[0]) && !out.some((t) => t.term === masked[0]))
    out.push({ category: 'profanity', term: masked[0] });
  if (!out.some((t) => SEVERE.has(t.category))) collect(out, seen, c.untargeted, text, 'rude');
  return out;
}

/** Is this plain profanity (a swear word or a censored one), whoever it is aimed at? */
export function hasProfanityTerm(terms: readonly AbuseTerm[]): boolean {
  return terms.some((t) => t.category === 'profanity');
}
