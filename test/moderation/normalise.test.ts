import { describe, expect, it } from 'vitest';
import {
  collapseWhitespace,
  confusableSkeleton,
  entityForm,
  foldDiacritics,
  foldLeet,
  joinSpacedLetters,
  joinSpacedLettersWithSpans,
  lowerCase,
  nfkc,
  normalise,
  normaliseDetailed,
  normaliseTrace,
  rawForm,
  squeezeRepeats,
  stripInvisible,
} from '../../src/moderation/text/normalise.js';

describe('normalisation steps', () => {
  it('nfkc folds mathematical, full-width and circled letters', () => {
    expect(nfkc('𝐃𝐌 𝐦𝐞')).toBe('DM me');
    expect(nfkc('ｆｕｌｌ')).toBe('full');
    expect(nfkc('ⓓⓜ')).toBe('dm');
  });

  it('stripInvisible removes zero-width and bidi controls but keeps text', () => {
    expect(stripInvisible('d\u200bm\u200c m\u200de\u2060')).toBe('dm me');
    expect(stripInvisible('\u202Eevil\u202C \uFEFFok')).toBe('evil ok');
    expect(stripInvisible('soft\u00ADhyphen')).toBe('softhyphen');
    expect(stripInvisible('plain text')).toBe('plain text');
  });

  it('confusableSkeleton maps Cyrillic and Greek look-alikes to Latin', () => {
    expect(lowerCase(confusableSkeleton('dм мe'))).toBe('dm me');
    expect(confusableSkeleton('Ρаураl')).toBe('Paypal');
    expect(lowerCase(confusableSkeleton('οk'))).toBe('ok');
    expect(confusableSkeleton('plain ascii | pipe')).toBe('plain ascii | pipe');
    expect(confusableSkeleton('straße')).toBe('strasse');
    expect(lowerCase(confusableSkeleton('ᴅᴍ ᴍᴇ ꜰᴏʀ ᴀ ꜱᴘᴇᴄɪᴀʟ ᴏꜰꜰᴇʀ'))).toBe('dm me for a special offer');
    // Latin iota (ɩ) imitates an i, not the l the table says.
    expect(lowerCase(confusableSkeleton('tһɩs'))).toBe('this');
  });

  it('foldDiacritics strips accents but keeps Indic vowel signs', () => {
    expect(foldDiacritics('café naïve fück')).toBe('cafe naive fuck');
    expect(foldDiacritics('hāźeł')).toBe('hazeł');
    expect(foldDiacritics('नमस्ते')).toBe('नमस्ते');
    expect(foldDiacritics('C҉h҉e҉c҉k҉ m҉y҉ s҉t҉o҉r҉y҉')).toBe('Check my story');
  });

  it('foldLeet folds words with letters, keeps numbers, mentions and amounts', () => {
    expect(foldLeet('dm m3')).toBe('dm me');
    expect(foldLeet('fr33 b1tc0in')).toBe('free bitcoin');
    expect(foldLeet('c@sh')).toBe('cash');
    expect(foldLeet('$3,000 in 2024')).toBe('$3,000 in 2024');
    expect(foldLeet('@fin4nce')).toBe('@finance');
    expect(foldLeet('wow!!')).toBe('wow!!');
    expect(foldLeet('made 30k in 24h')).toBe('made 30k in 24h');
    expect(foldLeet('2nd place, 1080p, 5$ or 100$, $$$')).toBe('2nd place, 1080p, 5$ or 100$, $$$');
  });

  it('foldLeet reads digits before other letters, and $ or ! inside a word, as letters', () => {
    // Digits followed by letters that are no unit are words: "1f you 4re", "7he", "0n".
    expect(foldLeet('1f you 4re wa7ching 0n 7he phone')).toBe('if you are watching on the phone');
    // A $ or ! before a letter, or a $ ending a word with letters, is an s or an i.
    expect(foldLeet('$ub to my channel')).toBe('sub to my channel');
    expect(foldLeet('!ts 7h1$ fan$!!!')).toBe('its this fans!!!');
    // ...but a price or a mention stays.
    expect(foldLeet('$30 for @fan$')).toBe('$30 for @fans');
  });

  it('squeezeRepeats squeezes repeated letters only', () => {
    expect(squeezeRepeats('freeeee moneyyy')).toBe('fre money');
    expect(squeezeRepeats('$1000')).toBe('$1000');
    expect(squeezeRepeats('!!!')).toBe('!!!');
  });

  it('collapseWhitespace collapses runs and trims', () => {
    expect(collapseWhitespace('  a \t\n b  ')).toBe('a b');
    expect(collapseWhitespace('a b')).toBe('a b');
  });

  it('joinSpacedLetters joins three or more single letters and reports spans', () => {
    expect(joinSpacedLetters('d m m e now')).toBe('dme now');
    expect(joinSpacedLetters('f.r.e.e')).toBe('fre');
    expect(joinSpacedLetters('a b')).toBe('a b');
    expect(joinSpacedLetters('is a test')).toBe('is a test');
    // emoji as separators, one or a few between letters; a single emoji between two words is not
    expect(joinSpacedLetters('s👏e👏n👏d it')).toBe('send it');
    expect(joinSpacedLetters('💰e💰a💰r💰n💰 $300')).toBe('💰earn💰 $300');
    expect(joinSpacedLetters('i ❤️ u')).toBe('i ❤️ u');
    const r = joinSpacedLettersWithSpans('go k y s now');
    expect(r.text).toBe('go kys now');
    expect(r.spans).toEqual([[3, 6]]);
  });
});

describe('normalise (whole pipeline)', () => {
  it.each([
    ['𝐃𝐌 𝐦𝐞 on @cash.flow_ava', 'dm me on @cash.flow_ava'],
    ['d\u200bm me', 'dm me'],
    ['dм мe', 'dm me'],
    ['dm m3', 'dm me'],
    ['DM   ME', 'dm me'],
    ['d m  m e', 'dme'],
    ['FREEEE B1TC01N', 'fre bitcoin'],
  ])('%j → %j', (input, expected) => {
    expect(normalise(input)).toBe(expected);
  });

  it('keeps amounts and handles readable', () => {
    expect(normalise('I invested $3,000 thanks to @finance.with.ava_')).toBe(
      'i invested $3,000 thanks to @finance.with.ava_',
    );
  });

  it('reads a look-alike capital as the capital it imitates, not as its small letter', () => {
    // Greek capital eta is an H; its small letter η would be an n
    expect(normalise('Ηеllо dеаr, DМ mе')).toBe('helo dear, dm me');
    expect(normalise('ΙΝSTAGRAM')).toBe('instagram');
  });

  it('drops emoji wedged inside a word, keeps emoji between words', () => {
    expect(normalise('wor👏k from ho👏me 🔥')).toBe('work from home 🔥');
    // squared letters are letters, not decoration
    expect(normalise('Cry🅿️to')).toBe('crypto');
  });

  it('keeps currency signs after an amount as signs, not look-alike letters', () => {
    expect(normalise("j'ai gagné 8 000€ et 1000£")).toBe("j'ai gagne 8 000€ et 1000£");
  });

  it('keeps a regex form without squeezing', () => {
    expect(normaliseDetailed('the first 15 followers').forRegex).toBe('the first 15 followers');
    expect(normaliseDetailed('the first 15 followers').text).toBe('the first 15 folowers');
  });

  it('caps very long texts', () => {
    expect(normalise('ab '.repeat(5000)).length).toBeLessThanOrEqual(4000);
  });

  it('trace lists every step, ending at the normalised text', () => {
    const trace = normaliseTrace('𝐃𝐌 𝐦𝐞');
    expect(trace.map((t) => t.step)).toContain('confusable-skeleton');
    expect(trace.at(-1)?.text).toBe(normalise('𝐃𝐌 𝐦𝐞'));
  });

  it('rawForm only strips invisible characters', () => {
    expect(rawForm('Dm\u200b  Me')).toBe('Dm Me');
  });

  it('entityForm keeps the spelling of handles', () => {
    expect(entityForm('Ⓓⓜ @Cash.Flow_Ava 4 u')).toBe('dm @cash.flow_ava 4 u');
  });
});
