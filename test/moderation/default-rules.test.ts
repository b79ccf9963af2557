import { describe, expect, it } from 'vitest';
import { createBuiltinClassifier } from '../../src/classify/builtin/index.js';
import { evaluate } from '../../src/moderation/decide.js';
import { formatExplanation } from '../../src/moderation/explain.js';
import { runRuleExamples } from '../../src/moderation/rules/examples.js';
import { loadRuleSet } from '../../src/moderation/rules/load.js';
import type { RuleSet } from '../../src/moderation/rules/model.js';
import { normaliseTrace } from '../../src/moderation/text/normalise.js';
import { readRuleFiles } from '../../src/rules-source/files.js';
import { event, rules } from './helpers.js';

async function defaultRules(): Promise<RuleSet> {
  const loaded = loadRuleSet(await readRuleFiles('rules'));
  if (!loaded.ok) throw new Error(loaded.errors.map((e) => e.format()).join('\n'));
  return loaded.ruleSet;
}

describe('the default rule set (rules/)', () => {
  it('loads, every file points at the schema, every rule has examples', async () => {
    const rs = await defaultRules();
    for (const f of rs.files)
      expect(f.content.startsWith('# yaml-language-server: $schema=./schema.json')).toBe(true);
    for (const r of rs.rules) expect(r.examples.match.length, r.id).toBeGreaterThan(0);
    expect(rs.rules.some((r) => r.mode === 'shadow')).toBe(true);
  });

  it('every example passes through the whole rule set, classifier conditions answered by the real model', async () => {
    const results = await runRuleExamples(await defaultRules(), undefined, {
      classifiers: { builtin: createBuiltinClassifier() },
    });
    expect(results.filter((r) => !r.ok).map((r) => `${r.ruleId}: ${r.text}: ${r.message}`)).toEqual([]);
    expect(results.length).toBeGreaterThan(40);
  });

  it.each([
    ['𝐃𝐌 𝐦𝐞 on @cash.flow_ava', 'dm me on @cash.flow_ava', 'dm-me-pitch', 'hide'],
    ['d\u200bm me', 'dm me', 'dm-me', 'review'],
    [
      'I invested $3,000 and got $32,200 thanks to @finance.with.ava_',
      'i invested $3,000 and got $32,200 thanks to @finance.with.ava_',
      'account-manager-scam',
      'hide',
    ],
  ])(
    'explain %j shows the normalised text and the catching rule',
    async (text, normalised, ruleId, action) => {
      const rs = await defaultRules();
      const decision = await evaluate(rs, { event: event(text) }, {}, { explain: true });
      expect(decision.decidingRule).toBe(ruleId);
      expect(decision.action).toBe(action);
      const out = formatExplanation({ text, trace: normaliseTrace(text), decision });
      expect(out).toContain(`normalised:  ${JSON.stringify(normalised)}`);
      expect(out).toContain(`decision:    ${action} by rule "${ruleId}"`);
      expect(out).toMatch(new RegExp(`✔ ${ruleId} .*MATCHED`));
    },
  );

  it('the trusted-authors allow rule exempts its authors from everything', async () => {
    const rs = await defaultRules();
    const d = await evaluate(rs, {
      event: event('kys bit.ly/x', { author: { id: '1', username: 'your.brand.team' } }),
    });
    expect(d.decidingRule).toBe('trusted-authors');
    expect(d.action).toBe('allow');
  });
});

describe('the default rules with the real builtin model (no OpenAI key)', () => {
  const classifiers = { builtin: createBuiltinClassifier() };
  const decide = async (text: string) =>
    evaluate(await defaultRules(), { event: event(text) }, { classifiers });

  // Issue 12: ordinary customer comments a brand must never lose.
  it.each([
    'Can you message me the size chart?',
    "DM me when it's back in stock please!",
    'Price please? DM me',
    'I paid $40 for this and it broke after a week. Contact me please',
    'Can you message me about my order #12345? No one answers the email',
    'Contact customer service, they helped me fast',
    "I'll check it out. Thank you",
    'Is this the same jacket as on your site? www.ourbrand.com/jackets',
    'Hey @Google i have trouble recovering my account, what do i do',
  ])('does not hide the customer comment %j', async (text) => {
    const d = await decide(text);
    expect(['allow', 'review']).toContain(d.action);
  });

  it.each([
    'I invested $3,000 and got $32,200 thanks to @finance.with.ava_',
    'she is legit, my profit came in 3 days, write to her on telegram',
    'all thanks to #anna_trades__ my portfolio is up 300%',
    'Hey guys please subscribe to my channel, I upload new videos every week',
  ])('hides the clear scam or spam %j', async (text) => {
    expect((await decide(text)).action).toBe('hide');
  });

  it('records the features that moved the model score with the decision', async () => {
    const d = await decide('she is the best, all thanks to @jenny.w');
    const call = d.classifierCalls.find((c) => c.classifier === 'builtin');
    expect(call?.result?.contributions?.length).toBeGreaterThan(0);
    const out = formatExplanation({ text: 'x', trace: [], decision: d });
    expect(out).toMatch(/moved by: {2}\S+ [+-]\d+\.\d\d/);
  });
});

describe('rules test catches wrong examples', () => {
  it('answers classifier conditions with the classifier passed in, unless the example states scores', async () => {
    const rs = rules(`
- id: model
  when: {classifier: {use: builtin, score: spam, at least: 0.5, fallback: allow}}
  action: hide
  examples:
    match: ["real says yes"]
    no match: [{text: "real says yes", scores: {spam: 0.1}}]
`);
    const builtin = {
      name: 'builtin',
      classify: async () => ({
        provider: 't',
        model: 't',
        version: '1',
        scores: { spam: 0.9 },
        latencyMs: 0,
        cached: false,
      }),
    };
    expect((await runRuleExamples(rs, undefined, { classifiers: { builtin } })).every((r) => r.ok)).toBe(
      true,
    );
    // Without a classifier passed in, an example without scores gets 0: the match fails.
    expect((await runRuleExamples(rs)).filter((r) => !r.ok).map((r) => r.kind)).toEqual(['match']);
  });

  it('reports an example that is not matched, or decided by another rule', async () => {
    const rs = rules(`
- id: hide-links
  when: {has link: true}
  action: hide
  examples:
    match: ["see x.com", "no link here"]
    no match: ["visit y.com"]
- id: review-dm
  when: {text contains any: [dm me]}
  action: review
  examples:
    match: ["dm me at x.com", {text: "dm me at x.com", decided by: hide-links}]
`);
    const results = await runRuleExamples(rs);
    const failures = results.filter((r) => !r.ok).map((r) => `${r.ruleId} ${r.kind} ${r.text}: ${r.message}`);
    expect(failures).toEqual([
      'hide-links match no link here: not matched (normalised: "no link here")',
      'hide-links no match visit y.com: matched but should not: has link (links: "y.com")',
      'review-dm match dm me at x.com: decided by "hide-links" (priority 0, hide) instead of "review-dm"',
    ]);
  });

  it('tests shadow rules as if enforced', async () => {
    const rs = rules(
      '- id: s\n  mode: shadow\n  when: {text contains any: [x]}\n  action: hide\n  examples:\n    match: [x]\n',
    );
    expect((await runRuleExamples(rs)).every((r) => r.ok)).toBe(true);
  });
});
