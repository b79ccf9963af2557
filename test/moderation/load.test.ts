import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadRuleSet } from '../../src/moderation/rules/load.js';
import { ruleFileJsonSchema } from '../../src/moderation/rules/schema.js';
import { errorsOf, rules } from './helpers.js';

const GOOD = `# yaml-language-server: $schema=./schema.json
- id: link-spam
  reason: spam
  when:
    text contains any: [bitcoin]
  action: hide
`;

describe('loadRuleSet: errors name file:line:column, rule, problem and fix', () => {
  it('a typo in a condition', () => {
    const errors = errorsOf(`- id: link-spam
  when:
    text containz any: [bitcoin]
  action: hide
`);
    expect(errors).toEqual([
      'rules/test.yaml:3:5 rule "link-spam": unknown condition "text containz any" (did you mean "text contains any"?)',
    ]);
  });

  it('the issue example: "containz" suggests a contains condition', () => {
    const [error] = errorsOf('- id: link-spam\n  when:\n    containz: [x]\n  action: hide\n');
    expect(error).toMatch(
      /^rules\/test\.yaml:3:5 rule "link-spam": unknown condition "containz" \(did you mean "text contains (any|all)"\?\)$/,
    );
  });

  it('an unknown action, rule field and value type', () => {
    const errors = errorsOf(`- id: a
  when:
    has link: yes
  action: hid
  priorty: 3
`);
    expect(errors).toEqual([
      'rules/test.yaml:3:15 rule "a": "has link" should be true or false, got the text "yes"',
      'rules/test.yaml:4:11 rule "a": unknown action "hid" (did you mean "hide"?)',
      'rules/test.yaml:5:3 rule "a": unknown rule field "priorty" (did you mean "priority"?)',
    ]);
  });

  it('refuses catastrophic regexes at load', () => {
    const errors = errorsOf('- id: redos\n  when:\n    text matches: "(a+)+$"\n  action: hide\n');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(
      'rules/test.yaml:3:19 rule "redos": regex "(a+)+$" can backtrack catastrophically',
    );
    expect(errorsOf('- id: r\n  when:\n    text matches: ["ok", "(a|a)*b"]\n  action: hide\n')[0]).toContain(
      '"(a|a)*b"',
    );
  });

  it('accepts ordinary regexes, including unanchored repeats', () => {
    expect(() =>
      rules(
        '- id: r\n  when:\n    text matches: ["dm\\\\s*me", "first \\\\d+ people", "\\\\p{L}+x"]\n  action: hide\n',
      ),
    ).not.toThrow();
  });

  it('reports invalid regex syntax', () => {
    expect(errorsOf('- id: r\n  when:\n    text matches: "(unclosed"\n  action: hide\n')[0]).toMatch(
      /rule "r": invalid regex "\(unclosed"/,
    );
  });

  it('reports every error in every file, sorted', () => {
    const errors = errorsOf({
      'rules/a.yaml':
        '- id: one\n  when: {text contains any: {list: cryptos}}\n  action: hide\n- id: two\n  when: {has link: true}\n  action: [hide, delete]\n',
      'rules/b.yaml':
        'lists:\n  crypto: [btc]\nrules:\n  - id: one\n    when: {has link: true}\n    action: review\n',
      'rules/c.yaml': '- id: c\n  when: [\n',
    });
    expect(errors).toHaveLength(4);
    expect(errors[0]).toBe('rules/a.yaml:2:29 rule "one": unknown list "cryptos" (did you mean "crypto"?)');
    expect(errors[1]).toMatch(
      /^rules\/a\.yaml:6:11 rule "two": a rule can take one of hide, delete, review or allow/,
    );
    expect(errors[2]).toMatch(/^rules\/b\.yaml:4:5 rule "one": duplicate rule id \(also rules\/a\.yaml:1\)/);
    expect(errors[3]).toMatch(/^rules\/c\.yaml:\d+:\d+: YAML syntax/);
  });

  it('checks reply templates: placeholders, missing text, length after expansion', () => {
    expect(
      errorsOf('- id: r\n  when: {has link: true}\n  action: [reply, hide]\n  reply: "hi {{autor}}"\n')[0],
    ).toBe('rules/test.yaml:4:10 rule "r": unknown placeholder {{autor}} (did you mean "author"?)');
    expect(errorsOf('- id: r\n  when: {has link: true}\n  action: reply\n')[0]).toMatch(
      /action includes reply but there is no "reply" text/,
    );
    const long = 'x'.repeat(2180);
    expect(
      errorsOf(
        `- id: r\n  when: {has link: true}\n  action: [reply, hide]\n  reply: "${long} {{author}}"\n`,
      )[0],
    ).toMatch(/the reply can be 2211 characters once placeholders are filled; Instagram allows 2200/);
    expect(() =>
      rules(
        `- id: r\n  when: {has link: true}\n  action: [reply, hide]\n  reply: "${'x'.repeat(2160)} {{author}}"\n`,
      ),
    ).not.toThrow();
  });

  it('refuses impossible actions: reply+delete, hiding a mention, allow with others', () => {
    expect(
      errorsOf('- id: r\n  when: {has link: true}\n  action: [reply, delete]\n  reply: hi\n')[0],
    ).toMatch(/reply under a deleted comment/);
    expect(errorsOf('- id: r\n  when: {kind is: mention}\n  action: hide\n')[0]).toMatch(
      /mentions .* cannot be hidden or deleted/,
    );
    expect(errorsOf('- id: r\n  when: {has link: true}\n  action: [allow, reply]\n  reply: hi\n')[0]).toMatch(
      /"allow" cannot be combined/,
    );
  });

  it('refuses classifier conditions without what they need', () => {
    expect(
      errorsOf(
        '- id: r\n  when:\n    classifier: {use: openai-policy, at least: 0.8, fallback: review}\n  action: review\n',
      )[0],
    ).toMatch(/needs a "question"/);
    expect(
      errorsOf(
        '- id: r\n  when:\n    classifier: {use: bultin, score: spam, at least: 0.8, fallback: review}\n  action: review\n',
      )[0],
    ).toMatch(/unknown value for "use" "bultin" \(did you mean "builtin"\?\)/);
  });

  it('refuses empty conditions and bad durations', () => {
    expect(errorsOf('- id: r\n  when: {}\n  action: hide\n')[0]).toMatch(/no conditions/);
    expect(
      errorsOf('- id: r\n  when:\n    repeated by author: {times: 3, within: 90d}\n  action: hide\n')[0],
    ).toMatch(/between 1 second and 30 days/);
  });

  it('an invalid rule set never loads: one bad rule refuses the whole set', () => {
    const result = loadRuleSet([
      { path: 'rules/good.yaml', content: GOOD },
      { path: 'rules/bad.yaml', content: '- id: bad\n  when: {text containz: [x]}\n  action: hide\n' },
    ]);
    expect(result.ok).toBe(false);
  });
});

describe('loadRuleSet: the rule set', () => {
  it('carries a content hash, the source files and each rule text', () => {
    const rs = rules(GOOD);
    expect(rs.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(rs.files).toEqual([{ path: 'rules/test.yaml', content: GOOD }]);
    expect(rs.rules[0]?.source).toContain('id: link-spam');
    expect(rs.rules[0]?.source).toContain('action: hide');
    expect(rules(GOOD.replace('bitcoin', 'forex')).hash).not.toBe(rs.hash);
  });

  it('shares named lists across files and scopes files to accounts', () => {
    const rs = rules({
      'rules/lists.yaml': 'lists:\n  crypto: [btc, eth]\n',
      'rules/scoped.yaml':
        'accounts: ["17841400000000001"]\nrules:\n  - id: r\n    when: {text contains any: [{list: crypto}, doge]}\n    action: hide\n',
    });
    const rule = rs.rules[0];
    expect(rule?.accounts).toEqual(new Set(['17841400000000001']));
    expect(
      rule?.when.t === 'leaf' && rule.when.leaf.kind === 'terms'
        ? rule.when.leaf.terms.map((t) => t.display)
        : [],
    ).toEqual(['btc', 'eth', 'doge']);
  });

  it('rules/schema.json is the schema generated from the loader schema', () => {
    const committed = JSON.parse(readFileSync('rules/schema.json', 'utf8')) as unknown;
    expect(committed).toEqual(ruleFileJsonSchema());
  });

  it('the JSON Schema knows the condition keys (for editor completion)', () => {
    const text = JSON.stringify(ruleFileJsonSchema());
    for (const key of ['text contains any', 'link domain not in', 'repeated by author', 'classifier'])
      expect(text).toContain(`"${key}"`);
  });
});
