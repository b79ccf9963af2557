import { readFileSync, statSync } from 'node:fs';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { abuseModel, scoreAbuse } from '../../src/classify/builtin/abuse.js';
import { findAbuseTerms } from '../../src/classify/builtin/abuse-lexicon.js';
import { createBuiltinClassifier } from '../../src/classify/builtin/index.js';
import { parseCsvRecords } from '../../src/classify/labelled-csv.js';
import { registerEval } from '../../src/cli/eval.js';
import { normalise, normaliseDetailed } from '../../src/moderation/index.js';
import { captureCli } from '../support/cli.js';

const FIXTURE = new URL('../fixtures/abuse-comments.csv', import.meta.url).pathname;
const ROWS = parseCsvRecords(readFileSync(FIXTURE, 'utf8'));
const classifier = createBuiltinClassifier();
const classify = (text: string) => classifier.classify({ text, normalisedText: normalise(text) });

describe('builtin abuse score', () => {
  it('names slurs, threats, sexual harassment and targeted insults, however they are spelt', async () => {
    for (const row of ROWS.filter((r) => r.abusive === '1')) {
      const r = await classify(row.text!);
      expect(r.scores.abuse, `${row.kind}: ${row.text}`).toBeGreaterThanOrEqual(0.9);
      expect(r.reasons?.abuse, row.text).toMatch(/^abuse 0\.9\d|^abuse 1\.00/);
    }
  });

  it('leaves complaints, banter, praise and a shop called Dick\u2019s below the hide band', async () => {
    for (const row of ROWS.filter((r) => r.abusive === '0')) {
      const r = await classify(row.text!);
      expect(r.scores.abuse, `${row.kind}: ${row.text}`).toBeLessThan(0.9);
    }
  });

  it('tells the category and the term, and an evasive spelling finds the same term as the plain one', () => {
    const terms = (text: string) => {
      const d = normaliseDetailed(text);
      return findAbuseTerms(d.text, {
        joinedWords: d.joinedSpans.map(([a, b]) => d.text.slice(a, b)),
        unsqueezed: d.forRegex,
      });
    };
    expect(terms("you're an idiot")).toEqual([{ category: 'insult', term: "you're an idiot" }]);
    expect(terms('y\u200Bou’re an 1d10t')).toEqual(terms("you're an idiot"));
    expect(terms('I will kill you')).toEqual([{ category: 'threat', term: 'i wil kil you' }]);
    expect(terms('k i l l  y o u r s e l f').map((t) => t.category)).toEqual(['threat']);
    expect(terms('send nudes')).toEqual([{ category: 'sexual', term: 'send nudes' }]);
    expect(terms('f a g g o t').map((t) => t.category)).toEqual(['slur']);
    // Squeezing turns the slur into the country's spelling; the country itself is no slur.
    expect(terms('n1gg3r').map((t) => t.category)).toEqual(['slur']);
    expect(terms('floods in Niger this week')).toEqual([]);
    // Profanity is named, but it is not abuse unless aimed at someone.
    expect(terms('this f***ing order never came')).toEqual([{ category: 'profanity', term: 'f***ing' }]);
    expect(terms('this fucking order never came').map((t) => t.category)).toEqual(['profanity']);
  });

  it('scores profanity apart: 1 for a swear word (censored or not), 0 for a shop name', async () => {
    expect((await classify('this f***ing order never came')).scores.profanity).toBe(1);
    expect((await classify('what the fuck, my order is late')).scores.profanity).toBe(1);
    expect((await classify('Just bought a canoe at Dicks, love it')).scores.profanity).toBe(0);
    expect((await classify('this order never came')).scores.profanity).toBe(0);
  });

  it('lets the model alone reach review but never the hide band', () => {
    const a = scoreAbuse(normalise('these hoes ain\u2019t loyal bitches be trippin'));
    expect(a.terms.some((t) => t.category === 'insult' || t.category === 'slur')).toBe(false);
    expect(a.model).toBeGreaterThan(0.9);
    expect(a.score).toBe(0.89);
    expect(a.contributions.length).toBeGreaterThan(0);
  });

  it('ships its weights as a module well under 1 MB with a content-hash version, recorded on every result', async () => {
    const file = new URL('../../src/classify/builtin/abuse-weights.generated.ts', import.meta.url).pathname;
    expect(statSync(file).size).toBeLessThan(1024 * 1024);
    expect(abuseModel().data.version).toMatch(/^[0-9a-f]{12}$/);
    expect((await classify('hello')).version).toContain(`abuse-${abuseModel().data.version}`);
  });
});

describe('modbot eval --score abuse', () => {
  it('measures abuse on a labelled file and lists the worst errors with the terms behind them', async () => {
    const { out, lines } = await captureCli(async () => {
      const program = new Command().exitOverride();
      registerEval(program);
      await program.parseAsync(
        ['eval', FIXTURE, '--label', 'abusive', '--score', 'abuse', '--errors', '3', '--json'],
        { from: 'user' },
      );
    });
    const report = JSON.parse(lines.filter((l) => l.startsWith('{')).at(-1)!);
    // Every abusive row is hidden by rules/abuse.yaml; no harmless row is.
    expect(report).toMatchObject({ n: 22, tp: 12, fn: 0, fp: 0, score: 'abuse' });
    expect(out).toMatch(/positives hidden or held for review 1\.000/);
    // The profane complaints go to review (the default profanity choice).
    expect(report.reviewNegative).toBeGreaterThanOrEqual(2);
  });
});
