import { describe, expect, it, vi } from 'vitest';
import { evaluate, repetitionKey } from '../../src/moderation/decide.js';
import {
  type Classifier,
  ClassifierError,
  type ClassifierResult,
  InMemoryRepetitionCounter,
  type RepetitionQuery,
} from '../../src/moderation/ports.js';
import { textHash } from '../../src/moderation/text/hash.js';
import { normalise } from '../../src/moderation/text/normalise.js';
import { event, rules } from './helpers.js';

async function decide(yaml: string, text: string | null, over: Parameters<typeof event>[1] = {}, ports = {}) {
  return evaluate(rules(yaml), { event: event(text, over) }, ports);
}

async function fires(cond: string, text: string, over: Parameters<typeof event>[1] = {}): Promise<boolean> {
  const d = await decide(`- id: r\n  when:\n${cond.replace(/^/gm, '    ')}\n  action: hide\n`, text, over);
  return d.decidingRule === 'r';
}

function fakeClassifier(
  name: string,
  scores: Record<string, number>,
  fail = false,
): Classifier & { calls: number } {
  const c = {
    name,
    calls: 0,
    async classify(): Promise<ClassifierResult> {
      c.calls++;
      if (fail) throw new ClassifierError(name, 'upstream timed out', 'timeout');
      return { provider: 'fake', model: 'fake', version: '1', scores, latencyMs: 1, cached: false };
    },
  };
  return c;
}

describe('text conditions', () => {
  it('contains any: whole words by default, normalised', async () => {
    expect(await fires('text contains any: [dm me]', '𝐃𝐌 𝐦𝐞 now')).toBe(true);
    expect(await fires('text contains any: [dm me]', 'd\u200bm me')).toBe(true);
    expect(await fires('text contains any: [dm me]', 'd m  m e')).toBe(true);
    expect(await fires('text contains any: [cash]', 'cashback offer')).toBe(false);
    expect(await fires('text contains any: [cash]', 'cash, please')).toBe(true);
  });

  it('a phrase spaced out only in part is found across the joined letters', async () => {
    const phrase = 'text contains any: [check out this video on youtube]';
    expect(await fires(phrase, 'C h e c k o u t this video o n YouTube:')).toBe(true);
    expect(await fires(phrase, 'Check o u t t h i s video on YouTube')).toBe(true);
    expect(await fires('text contains any: [inbox me for help]', 'k i n d l y inbox m e f o r h e l p')).toBe(
      true,
    );
    // Only where spacing was used, and only from word edge to word edge: words merely run
    // together by removing spaces elsewhere in the comment do not count.
    expect(
      await fires('text contains any: [text me now]', 'S O  G O O D, the context mentioned nowhere'),
    ).toBe(false);
    expect(await fires('text contains any: [text me now]', 'the context me nowhere')).toBe(false);
    expect(await fires('text contains any: [text me now]', 'the context m e n o w')).toBe(false);
    expect(await fires('text contains any: [text me now]', 'the text m e n o w')).toBe(true);
  });

  it('substring matching is an opt-in', async () => {
    expect(await fires('text contains any (substring): [cash]', 'cashback offer')).toBe(true);
    expect(await fires('text contains any (substring): [cash]', 'no money')).toBe(false);
  });

  it('whole words work beyond ASCII', async () => {
    expect(await fires('text contains any: [привет]', 'ну привет всем')).toBe(true);
    expect(await fires('text contains any: [café]', 'best cafe ever')).toBe(true);
    expect(await fires('text contains any: [bet]', 'alphabet soup')).toBe(false);
    // Scripts without spaces: a term matches inside the sentence.
    expect(await fires('text contains any: [詐欺]', 'これは詐欺です')).toBe(true);
  });

  it('contains all needs every term', async () => {
    expect(await fires('text contains all: [bitcoin, profit]', 'bitcoin profit')).toBe(true);
    expect(await fires('text contains all: [bitcoin, profit]', 'bitcoin only')).toBe(false);
  });

  it('starts with, ends with, is', async () => {
    expect(await fires('text starts with: [dm me]', 'DM me now')).toBe(true);
    expect(await fires('text starts with: [dm me]', 'now dm me')).toBe(false);
    expect(await fires('text ends with: [link in bio]', 'see the LINK in bio')).toBe(true);
    expect(await fires('text is: [first]', 'FIRST')).toBe(true);
    expect(await fires('text is: [first]', 'first!')).toBe(false);
  });

  it('regex on the normalised text, case-insensitive', async () => {
    expect(await fires('text matches: "first \\\\d+ people"', 'The FIRST 15 people to message me')).toBe(
      true,
    );
    expect(await fires('text matches: "first \\\\d+ people"', 'first people')).toBe(false);
  });

  it('a rule can opt out of normalisation (raw text, case-insensitive)', async () => {
    const yaml = '- id: raw\n  normalise: false\n  when:\n    text contains any: [dm me]\n  action: hide\n';
    expect((await decide(yaml, 'DM me')).decidingRule).toBe('raw');
    expect((await decide(yaml, '𝐃𝐌 𝐦𝐞')).decidingRule).toBe(null);
    expect((await decide(yaml, 'dм мe')).decidingRule).toBe(null);
  });
});

describe('links, mentions, hashtags, emoji, length, capitals', () => {
  it('links: any, shorteners, deny and allow lists (subdomains included)', async () => {
    expect(await fires('has link: true', 'see example.com/x')).toBe(true);
    expect(await fires('has link: true', 'e.g. this and that')).toBe(false);
    expect(await fires('has link: false', 'no links')).toBe(true);
    expect(await fires('has shortened link: true', 'go to bit.ly/abc')).toBe(true);
    expect(await fires('has shortened link: true', 'go to example.com')).toBe(false);
    expect(await fires('link domain in: [t.me]', 'join web.t.me/x')).toBe(true);
    expect(await fires('link domain in: [t.me]', 'join t(dot)me/x')).toBe(true);
    expect(await fires('link domain in: [t.me]', 'join net.me/x')).toBe(false);
    expect(await fires('link domain not in: [youtube.com]', 'https://www.youtube.com/watch?v=1')).toBe(false);
    expect(await fires('link domain not in: [youtube.com]', 'https://m.youtube.com/shorts/1')).toBe(false);
    expect(await fires('link domain not in: [youtube.com]', 'https://evil.com/watch')).toBe(true);
    expect(await fires('links at least: 2', 'a.com and b.com')).toBe(true);
  });

  it('mentions and hashtags: counts and specific handles', async () => {
    expect(await fires('mentions at least: 2', '@a_b and @c.d')).toBe(true);
    expect(await fires('mentions at least: 2', 'email me at x@y.com')).toBe(false);
    expect(await fires('mentions at most: 0', 'no mentions')).toBe(true);
    expect(await fires('mentions any: ["@Cash.Flow_Ava"]', 'dm @cash.flow_ava.')).toBe(true);
    expect(await fires('hashtags at least: 1', 'love #food')).toBe(true);
    expect(await fires('hashtags any: [crypto]', '#Crypto forever')).toBe(true);
  });

  it('emoji count and share', async () => {
    expect(await fires('emoji at least: 3', '🔥🔥🔥')).toBe(true);
    expect(await fires('emoji at least: 3', '🔥🔥 ok')).toBe(false);
    expect(await fires('emoji share at least: 0.5', '🔥🔥🔥 ok')).toBe(true);
    expect(await fires('emoji share at least: 0.5', '🔥 nice one')).toBe(false);
    // A family emoji (ZWJ sequence) counts once.
    expect(await fires('emoji at most: 1', '👨‍👩‍👧')).toBe(true);
  });

  it('length and capitals', async () => {
    expect(await fires('length at most: 3', 'hey')).toBe(true);
    expect(await fires('length at least: 4', 'hey')).toBe(false);
    expect(await fires('capitals share at least: 0.8', 'STOP SCAMMING')).toBe(true);
    expect(await fires('capitals share at least: 0.8', 'Stop scamming')).toBe(false);
    expect(await fires('capitals share at least: 0.8', 'OK')).toBe(false);
  });
});

describe('author, where, kind, composition', () => {
  it('author lists by username or id', async () => {
    expect(await fires('author is: ["@Alice"]', 'hi')).toBe(true);
    expect(await fires('author is: [u-1]', 'hi')).toBe(true);
    expect(await fires('author is not: [alice]', 'hi')).toBe(false);
    expect(await fires('author is: [bob]', 'hi', { author: null })).toBe(false);
  });

  it('media, product type, live, kind', async () => {
    expect(await fires('media is: [m-1]', 'hi')).toBe(true);
    expect(await fires('media type is: [REELS, AD]', 'hi', { mediaProductType: 'REELS' })).toBe(true);
    expect(await fires('media type is: AD', 'hi', { adId: 'ad-1' })).toBe(true);
    expect(await fires('media type is: STORY', 'hi')).toBe(false);
    // Live-only rules may only review (Meta supports no hide on live media: refused at load).
    const live = await decide('- id: r\n  when:\n    is live: true\n  action: review\n', 'hi', {
      kind: 'live_comment',
    });
    expect(live.decidingRule).toBe('r');
    expect(await fires('kind is: reply', 'hi', { kind: 'reply' })).toBe(true);
    expect(await fires('kind is: comment', 'hi', { kind: 'reply' })).toBe(false);
  });

  it('all / any / not', async () => {
    const cond =
      'any:\n  - text contains any: [btc]\n  - all:\n      - has link: true\n      - not: {text contains any: [recipe]}';
    expect(await fires(cond, 'buy btc')).toBe(true);
    expect(await fires(cond, 'see x.com')).toBe(true);
    expect(await fires(cond, 'recipe at x.com')).toBe(false);
    expect(await fires(cond, 'hello')).toBe(false);
  });
});

describe('decisions: priority, conflicts, modes', () => {
  const yaml = `
- id: allow-team
  priority: 10
  when: {author is: [team]}
  action: allow
- id: review-dm
  when: {text contains any: [dm me]}
  action: review
- id: hide-link
  when: {has link: true}
  action: hide
- id: delete-kys
  when: {text contains any: [kys]}
  action: delete
- id: shadow-delete
  mode: shadow
  when: {text contains any: [crypto]}
  action: delete
`;

  it('the most severe action wins at equal priority', async () => {
    const d = await decide(yaml, 'dm me at x.com');
    expect(d.decidingRule).toBe('hide-link');
    expect(d.action).toBe('hide');
    expect(d.fired.map((f) => f.ruleId)).toEqual(['hide-link', 'review-dm']);
  });

  it('an allow rule of higher priority exempts', async () => {
    const d = await decide(yaml, 'kys x.com', { author: { id: '9', username: 'team' } });
    expect(d.outcome).toBe('matched');
    expect(d.action).toBe('allow');
    expect(d.decidingRule).toBe('allow-team');
    expect(d.steps).toEqual([]);
  });

  it('an allow rule of equal priority does not exempt', async () => {
    const d = await decide(yaml.replace('priority: 10', 'priority: 0'), 'kys', {
      author: { id: '9', username: 'team' },
    });
    expect(d.decidingRule).toBe('delete-kys');
  });

  it('higher priority wins over severity', async () => {
    const d = await decide(
      yaml.replace('- id: review-dm\n', '- id: review-dm\n  priority: 5\n'),
      'dm me at x.com',
    );
    expect(d.decidingRule).toBe('review-dm');
  });

  it('shadow rules are recorded but never acted on', async () => {
    const d = await decide(yaml, 'crypto at x.com');
    expect(d.decidingRule).toBe('hide-link');
    expect(d.fired.find((f) => f.ruleId === 'shadow-delete')?.mode).toBe('shadow');
    expect(d.shadow).toEqual({ ruleId: 'shadow-delete', action: 'delete', steps: [{ type: 'delete' }] });
    const only = await decide(yaml, 'crypto');
    expect(only.outcome).toBe('no_match');
    expect(only.steps).toEqual([]);
    expect(only.shadow?.ruleId).toBe('shadow-delete');
  });

  it("the account's own comments are never acted on", async () => {
    const d = await decide(yaml, 'kys', { fromSelf: true });
    expect(d.outcome).toBe('skipped');
    expect(d.steps).toEqual([]);
    expect(d.fired).toEqual([]);
  });

  it('no match allows, and the decision records hash and normalised text', async () => {
    const rs = rules(yaml);
    const d = await evaluate(rs, { event: event('Hello 𝐓𝐇𝐄𝐑𝐄') });
    expect(d.outcome).toBe('no_match');
    expect(d.action).toBe('allow');
    expect(d.ruleSetHash).toBe(rs.hash);
    expect(d.normalisedText).toBe('helo there');
    expect(textHash(d.normalisedText)).toBe(textHash(normalise('hello there')));
  });

  it('rule files scoped to accounts only apply to those accounts', async () => {
    const rs = rules({
      'rules/x.yaml':
        'accounts: [acct-2]\nrules:\n  - id: r\n    when: {text contains any: [hi]}\n    action: hide\n',
    });
    expect((await evaluate(rs, { event: event('hi') })).outcome).toBe('no_match');
    expect((await evaluate(rs, { event: event('hi', { accountId: 'acct-2' }) })).decidingRule).toBe('r');
  });
});

describe('actions: replies and mentions', () => {
  const yaml = `
- id: promo
  when: {text contains any: [promote it]}
  action: [reply, hide]
  reply: "Hi @{{author}}, '{{matched}}' is not welcome here"
`;

  it('replies first, then hides, with placeholders filled', async () => {
    const d = await decide(yaml, 'PROMOTE IT on @x');
    expect(d.action).toBe('hide');
    expect(d.steps).toEqual([
      { type: 'reply', text: "Hi @alice, 'promote it' is not welcome here", to: 'comment' },
      { type: 'hide' },
    ]);
  });

  it('on a mention, hide becomes review and a reply goes to the mention', async () => {
    const d = await decide(yaml, 'promote it', { kind: 'mention_comment' });
    expect(d.steps).toEqual([
      { type: 'reply', text: "Hi @alice, 'promote it' is not welcome here", to: 'mention' },
      { type: 'review' },
    ]);
    expect(d.action).toBe('review');
    expect(d.notes.join()).toMatch(/cannot be hidden/);
  });

  it('mentions are judged on the text the pipeline passes', async () => {
    const rs = rules(yaml);
    const d = await evaluate(rs, { event: event(null, { kind: 'mention_caption' }), text: 'promote it' });
    expect(d.decidingRule).toBe('promo');
  });
});

describe('classifier conditions', () => {
  const yaml = `
- id: model
  when:
    has link: true
    classifier: {use: builtin, score: spam, at least: 0.9, fallback: review}
  action: hide
`;

  it('asks the classifier only when the cheap conditions matched', async () => {
    const c = fakeClassifier('builtin', { spam: 0.95 });
    const rs = rules(yaml);
    const none = await evaluate(rs, { event: event('no links here') }, { classifiers: { builtin: c } });
    expect(none.outcome).toBe('no_match');
    expect(c.calls).toBe(0);
    const hit = await evaluate(rs, { event: event('x.com') }, { classifiers: new Map([['builtin', c]]) });
    expect(c.calls).toBe(1);
    expect(hit.decidingRule).toBe('model');
    expect(hit.classifierCalls[0]?.result?.scores).toEqual({ spam: 0.95 });
  });

  it('a low score does not fire', async () => {
    const d = await evaluate(
      rules(yaml),
      { event: event('x.com') },
      { classifiers: { builtin: fakeClassifier('builtin', { spam: 0.2 }) } },
    );
    expect(d.outcome).toBe('no_match');
  });

  it('when the classifier fails, the fallback applies and is recorded', async () => {
    const d = await evaluate(
      rules(yaml),
      { event: event('x.com') },
      { classifiers: { builtin: fakeClassifier('builtin', {}, true) } },
    );
    expect(d.decidingRule).toBe('model');
    expect(d.action).toBe('review');
    expect(d.fallbacks).toEqual([
      { ruleId: 'model', classifier: 'builtin', fallback: 'review', error: 'timeout: upstream timed out' },
    ]);
    expect(d.classifierCalls[0]?.error?.code).toBe('timeout');
    const allow = await evaluate(
      rules(yaml.replace('fallback: review', 'fallback: allow')),
      { event: event('x.com') },
      { classifiers: { builtin: fakeClassifier('builtin', {}, true) } },
    );
    expect(allow.outcome).toBe('no_match');
  });

  it('is not asked when a cheap rule already decided something it cannot beat', async () => {
    const c = fakeClassifier('openai-policy', { yes: 1 });
    const rs = rules(`
- id: kys
  priority: 5
  when: {text contains any: [kys]}
  action: delete
- id: policy
  when:
    has link: true
    classifier: {use: openai-policy, question: "Is this a scam pitch?", at least: 0.8, fallback: review}
  action: hide
`);
    const d = await evaluate(
      rs,
      { event: event('kys x.com') },
      { classifiers: { 'openai-policy': c } },
      { explain: true },
    );
    expect(d.decidingRule).toBe('kys');
    expect(c.calls).toBe(0);
    expect(d.rules?.find((r) => r.ruleId === 'policy')?.matched).toBe(null);
  });

  it('one call per classifier and question, shared by rules', async () => {
    const c = fakeClassifier('builtin', { spam: 0.95, profanity: 1 });
    const rs = rules(`
- id: a
  mode: shadow
  when: {classifier: {use: builtin, score: spam, at least: 0.9, fallback: allow}}
  action: hide
- id: b
  mode: shadow
  when: {classifier: {use: builtin, score: profanity, at least: 0.5, fallback: allow}}
  action: review
`);
    const d = await evaluate(rs, { event: event('anything') }, { classifiers: { builtin: c } });
    expect(c.calls).toBe(1);
    expect(d.fired.map((f) => f.ruleId).sort()).toEqual(['a', 'b']);
  });
});

describe('repetition conditions', () => {
  const yaml = '- id: flood\n  when:\n    repeated by author: {times: 3, within: 10m}\n  action: hide\n';

  it('counts the same normalised text from the same author within the window', async () => {
    const counter = new InMemoryRepetitionCounter();
    const rs = rules(yaml);
    const now = new Date('2026-01-01T00:10:00Z');
    const h = textHash(normalise('Check my page'));
    counter.record({
      accountId: 'acct-1',
      authorId: 'u-1',
      textHash: h,
      at: new Date('2026-01-01T00:05:00Z'),
    });
    const once = await evaluate(
      rs,
      { event: event('CHECK MY PAGE') },
      { repetition: counter, now: () => now },
    );
    expect(once.outcome).toBe('no_match');
    counter.record({
      accountId: 'acct-1',
      authorId: 'u-1',
      textHash: h,
      at: new Date('2026-01-01T00:06:00Z'),
    });
    const third = await evaluate(
      rs,
      { event: event('check my  page') },
      { repetition: counter, now: () => now },
    );
    expect(third.decidingRule).toBe('flood');
    expect(third.fired[0]?.conditions[0]?.detail).toMatch(/seen at least 3 times/);
    // Another author's copies do not count for "by author"; old ones fall out of the window.
    const other = await evaluate(
      rs,
      { event: event('check my page', { author: { id: 'u-2', username: 'bob' } }) },
      { repetition: counter, now: () => now },
    );
    expect(other.outcome).toBe('no_match');
    const later = await evaluate(
      rs,
      { event: event('check my page') },
      { repetition: counter, now: () => new Date('2026-01-01T01:00:00Z') },
    );
    expect(later.outcome).toBe('no_match');
  });

  it('is not asked when cheap conditions fail', async () => {
    const counter = { count: vi.fn(async (_query: RepetitionQuery) => 10) };
    const rs = rules(
      '- id: f\n  when:\n    length at least: 50\n    repeated across account: {times: 3, within: 1h}\n  action: hide\n',
    );
    await evaluate(rs, { event: event('short') }, { repetition: counter });
    expect(counter.count).not.toHaveBeenCalled();
    const d = await evaluate(rs, { event: event('x'.repeat(60)) }, { repetition: counter });
    expect(counter.count).toHaveBeenCalledTimes(1);
    expect(counter.count.mock.calls[0]?.[0]).toMatchObject({
      accountId: 'acct-1',
      authorId: null,
      windowSeconds: 3600,
    });
    expect(d.decidingRule).toBe('f');
  });

  it('a failing counter, rejecting or throwing, is a note and the condition does not hold', async () => {
    const rs = rules(yaml);
    for (const counter of [
      { count: async () => Promise.reject(new Error('db down')) },
      {
        count: (): Promise<number> => {
          throw new Error('db down');
        },
      },
    ]) {
      const d = await evaluate(rs, { event: event('check my page') }, { repetition: counter });
      expect(d.outcome).toBe('no_match');
      expect(d.notes).toEqual(['repetition count failed: db down']);
    }
  });

  it('answers at once without a counter or an author', async () => {
    const both =
      '- id: f\n  when:\n    any:\n      - repeated by author: {times: 2, within: 1h}\n      - repeated across account: {times: 2, within: 1h}\n  action: hide\n';
    const none = await evaluate(rules(both), { event: event('same again') }, {}, { explain: true });
    expect(none.rules?.[0]?.conditions.map((c) => c.detail)).toEqual([
      '',
      'not evaluated (no repetition counter configured)',
      'not evaluated (no repetition counter configured)',
    ]);
    const queries: RepetitionQuery[] = [];
    const counter = {
      count: async (q: RepetitionQuery) => {
        queries.push(q);
        return q.authorId === null ? 1 : 0;
      },
    };
    const anonymous = await evaluate(
      rules(both),
      { event: event('same again', { author: null }) },
      { repetition: counter },
      { explain: true },
    );
    expect(anonymous.decidingRule).toBe('f');
    expect(anonymous.fired[0]?.conditions.map((c) => c.detail)).toEqual([
      '',
      'unknown author',
      'seen at least 2 times on this account within 3600s (at least 2)',
    ]);
    queries.length = 0;
    await evaluate(rules(both), { event: event('same again') }, { repetition: counter });
    expect(queries.map((q) => q.authorId)).toEqual(['u-1', null]);
  });
});

describe('ports that throw instead of rejecting', () => {
  it('a classifier that throws instead of rejecting rejects the evaluation', async () => {
    const yaml =
      '- id: m\n  when:\n    classifier: {use: builtin, score: spam, at least: 0.5, fallback: review}\n  action: hide\n';
    const throwing: Classifier = {
      name: 'builtin',
      classify: () => {
        throw new Error('sync boom');
      },
    };
    await expect(decide(yaml, 'hello', {}, { classifiers: { builtin: throwing } })).rejects.toThrow(
      'sync boom',
    );
  });
});

describe('repetitionKey', () => {
  it('is the hash repetition conditions count by, for the text given or the event’s own', async () => {
    const set = rules('- id: r\n  when: {text contains any: [zzz]}\n  action: hide\n');
    for (const [text, given] of [
      ['𝐃𝐌 𝐦𝐞 n0w!!', null],
      ['plain text', 'the mention’s fetched text'],
      ['', null],
    ] as const) {
      const input = { event: event(text), text: given };
      const decision = await evaluate(set, input);
      expect(repetitionKey(input)).toBe(textHash(decision.normalisedText));
    }
  });
});
