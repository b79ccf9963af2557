/**
 * The regex prefilter: the strings a regex cannot match without, and proof on real text that it
 * never skips a regex that would have matched.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCsvRecords } from '../../src/classify/labelled-csv.js';
import { loadRuleSet } from '../../src/moderation/rules/load.js';
import type { CNode } from '../../src/moderation/rules/model.js';
import { requiredLiterals } from '../../src/moderation/rules/regex-literals.js';
import { normaliseDetailed } from '../../src/moderation/text/normalise.js';
import { readRuleFiles } from '../../src/rules-source/files.js';

describe('requiredLiterals', () => {
  it('finds the strings every match contains, lower-cased', () => {
    expect(requiredLiterals('\\b(get|gain) \\d+k? (followers|likes)\\b')).toEqual(['followers', 'likes']);
    expect(requiredLiterals('\\bsubscribe to \\+\\w')).toEqual(['subscribe to +']);
    expect(requiredLiterals('FREE [\\d,.]+ ?(btc|eth)')).toEqual(['free ']);
    expect(requiredLiterals('(?!x)wallet\\b')).toEqual(['wallet']);
    // Alternatives each need their own string: one from every branch.
    expect(requiredLiterals('[?&](refid|affid)=|/(refer|referral)/')).toEqual([
      'refid',
      'affid',
      'refer',
      'referral',
    ]);
  });

  it('gives up where nothing is certain', () => {
    expect(requiredLiterals('[$€£]\\s?\\d')).toBeNull(); // classes only
    expect(requiredLiterals('(abc)?\\d+')).toBeNull(); // optional
    expect(requiredLiterals('abc|\\d')).toBeNull(); // a branch without a literal
    expect(requiredLiterals('x\\d')).toBeNull(); // too short to pay
    // A non-ASCII letter is left out (case folding is not ours to guess); the rest still counts.
    expect(requiredLiterals('café')).toEqual(['caf']);
    expect(requiredLiterals('ñé')).toBeNull();
    expect(requiredLiterals('(a)\\1')).toBeNull();
  });
});

/** Every `text matches` regex in the default rules, as compiled. */
async function defaultRegexes(): Promise<RegExp[]> {
  const loaded = loadRuleSet(await readRuleFiles('rules'));
  if (!loaded.ok) throw new Error('the default rules do not load');
  const found: RegExp[] = [];
  const walk = (n: CNode): void => {
    if (n.t === 'leaf') {
      if (n.leaf.kind === 'regex') found.push(...n.leaf.regexes);
    } else if (n.t === 'not') walk(n.child);
    else for (const c of n.children) walk(c);
  };
  for (const r of loaded.ruleSet.rules) walk(r.when);
  return found;
}

function fixtureTexts(): string[] {
  const dirs = ['test/fixtures', 'test/fixtures/hand-written'];
  const texts: string[] = [];
  for (const dir of dirs)
    for (const f of readdirSync(dir).filter((n) => n.endsWith('.csv')))
      for (const r of parseCsvRecords(readFileSync(join(dir, f), 'utf8')))
        texts.push(...Object.values(r).map(String));
  return texts;
}

it('never skips a regex of the default rules that matches a fixture comment', async () => {
  const regexes = await defaultRegexes();
  expect(regexes.length).toBeGreaterThan(20);
  const withLiterals = regexes.map((re) => ({ re, literals: requiredLiterals(re.source) }));
  expect(withLiterals.filter((r) => r.literals !== null).length).toBeGreaterThan(15);
  let matched = 0;
  const missed: string[] = [];
  for (const text of fixtureTexts()) {
    const forRegex = normaliseDetailed(text).forRegex;
    for (const { re, literals } of withLiterals) {
      if (literals === null || !re.test(forRegex)) continue;
      matched++;
      if (!literals.some((l) => forRegex.includes(l))) missed.push(`${re.source} on ${forRegex}`);
    }
  }
  expect(matched).toBeGreaterThan(50);
  expect(missed).toEqual([]);
});
