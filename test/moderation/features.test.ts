import { describe, expect, it } from 'vitest';
import { domainMatches, TextFeatures } from '../../src/moderation/text/features.js';

describe('domainMatches', () => {
  it('is the domain itself or a subdomain of it', () => {
    const cases: Array<[string, string]> = [
      ['t.me', 't.me'],
      ['web.t.me', 't.me'],
      ['xt.me', 't.me'],
      ['me', 't.me'],
      ['.t.me', 't.me'],
      ['t.me.evil.com', 't.me'],
      ['a.b.wa.me', 'wa.me'],
      ['', ''],
      ['x', ''],
    ];
    for (const [domain, listed] of cases)
      expect(domainMatches(domain, listed), `${domain} / ${listed}`).toBe(
        domain === listed || domain.endsWith(`.${listed}`),
      );
  });
});

describe('TextFeatures', () => {
  it('length counts characters, capitals share counts cased letters, ASCII or not', () => {
    expect(new TextFeatures('  Hello  ').length).toBe(5);
    expect(new TextFeatures('🔥 fire 👨‍👩‍👧').length).toBe([...'🔥 fire 👨‍👩‍👧'].length);
    expect(new TextFeatures('ABCDe').capitalsShare).toBeCloseTo(0.8);
    expect(new TextFeatures('ÉTÉ ÇA VA').capitalsShare).toBe(1);
    expect(new TextFeatures('𐐀𐐀𐐀𐐨𐐨').capitalsShare).toBeCloseTo(0.6);
    expect(new TextFeatures('ab').capitalsShare).toBe(0);
  });
});
