import { readdirSync, readFileSync, statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EVASION_KINDS, evade } from '../../scripts/lib/evasion.js';
import { abuseModel } from '../../src/classify/builtin/abuse.js';
import { extractFeatures } from '../../src/classify/builtin/features.js';
import { builtinModel, createBuiltinClassifier, hasProfanity } from '../../src/classify/builtin/index.js';
import { normalise } from '../../src/moderation/index.js';

const builtinDir = new URL('../../src/classify/builtin/', import.meta.url).pathname;
const classifier = createBuiltinClassifier();
const spamScore = async (text: string) =>
  (await classifier.classify({ text, normalisedText: normalise(text) })).scores.spam!;

const SCAMS = [
  'i invested $3,000 and received $27,000 in two weeks, all thanks to @mentor_olivia_fx__ contact her',
  'my profit this month was $45k thanks to #grace_trades___ she is the best account manager',
  'send a message to her on whatsapp +1 202 555 0142 for recovery of your lost crypto',
  'first 10 people to dm me "help me out" get $5000 🙏',
  'check out my channel and subscribe please!! http://example.com/mychannel',
];
const GENUINE = [
  'love this post, very helpful 🙌',
  'does this apply to roth ira accounts too?',
  '@jess_b look at this, we talked about it yesterday',
  'this is terrible advice honestly, index funds are better',
  'bought my first house at 31 following this plan, thank you',
];

describe('builtin classifier (committed model)', () => {
  it('ships weights as a module under 2 MB with a content-hash version', () => {
    expect(statSync(`${builtinDir}weights.generated.ts`).size).toBeLessThan(2 * 1024 * 1024);
    const model = builtinModel();
    expect(model.data.version).toMatch(/^[0-9a-f]{12}$/);
    expect(model.data.thresholds.hide).toBeGreaterThan(model.data.thresholds.review);
  });

  it('imports nothing from node: in the runtime model code (it runs on Workers) and reads no files', () => {
    for (const f of readdirSync(builtinDir).filter((n) => n.endsWith('.ts'))) {
      const src = readFileSync(`${builtinDir}${f}`, 'utf8');
      expect(src, f).not.toMatch(/from ['"](node:|fs|path)/);
      expect(src, f).not.toMatch(/readFile|process\./);
    }
  });

  it('scores obvious scams at least in the review band (most above hide) and genuine comments below review', async () => {
    const { hide, review } = builtinModel().data.thresholds;
    // The model alone hides only when all but certain (0.97); a giveaway without a handle sits
    // in the review band, and the crypto-giveaway rule hides it.
    let hidden = 0;
    for (const t of SCAMS) {
      const s = await spamScore(t);
      expect(s, t).toBeGreaterThanOrEqual(review);
      if (s >= hide) hidden++;
    }
    expect(hidden).toBeGreaterThanOrEqual(SCAMS.length - 1);
    for (const t of GENUINE) expect(await spamScore(t), t).toBeLessThan(review);
  });

  it('keeps a scam above the hide threshold when it is rewritten to dodge filters', async () => {
    const { hide } = builtinModel().data.thresholds;
    for (const kind of EVASION_KINDS) {
      for (const [i, t] of SCAMS.slice(0, 3).entries()) {
        const evaded = evade(t, kind, i + 1);
        expect(evaded).not.toBe(t);
        expect(await spamScore(evaded), `${kind}: ${evaded}`).toBeGreaterThanOrEqual(hide);
      }
    }
  });

  it('returns calibrated scores in 0..1 with provider, model and version, never cached', async () => {
    const r = await classifier.classify({ text: 'hello', normalisedText: 'hello' });
    expect(r).toMatchObject({
      provider: 'modbot',
      model: 'builtin-linear',
      cached: false,
    });
    // Both models' weights decide: the version names the spam model's and the abuse model's.
    expect(r.version).toBe(`${builtinModel().data.version}+abuse-${abuseModel().data.version}`);
    expect(r.scores.spam).toBeGreaterThanOrEqual(0);
    expect(r.scores.spam).toBeLessThanOrEqual(1);
    expect(r.usage?.costUsd).toBe(0);
  });

  it('takes well under a millisecond per comment', () => {
    const texts = [...SCAMS, ...GENUINE].map((t) => normalise(t));
    const model = builtinModel();
    for (const t of texts) model.score(t);
    // The fastest of several short batches: robust to a busy machine (CI shares its cores).
    let best = Number.POSITIVE_INFINITY;
    for (let batch = 0; batch < 15; batch++) {
      const started = performance.now();
      for (let i = 0; i < 10; i++) for (const t of texts) model.score(t);
      best = Math.min(best, (performance.now() - started) / (10 * texts.length));
    }
    // ~0.05-0.15 ms on an idle core (docs/classifiers.md); the bound leaves room for a loaded one.
    expect(best).toBeLessThan(2);
  });

  it('carries the top feature contributions in its result, computed in the same pass as the score', async () => {
    const text = 'i invested $3,000 and got $32,200 thanks to @finance.with.ava_';
    const normalisedText = normalise(text);
    const result = await classifier.classify({ text, normalisedText });
    const { score, contributions } = builtinModel().scoreExplained(normalisedText);
    expect(score).toBeCloseTo(builtinModel().score(normalisedText).score, 10);
    expect(result.contributions).toEqual(contributions);
    expect(contributions).toHaveLength(5);
    const sizes = contributions.map((c) => Math.abs(c.weight));
    expect(sizes).toEqual([...sizes].sort((a, b) => b - a));
    expect(contributions.map((c) => c.feature)).toEqual(
      builtinModel()
        .explain(normalisedText, 5)
        .map((c) => c.feature),
    );
  });

  it('explains a score with the features that pushed it', () => {
    const top = builtinModel().explain(normalise(SCAMS[0]!), 5);
    expect(top).toHaveLength(5);
    expect(top.some((c) => c.weight > 0)).toBe(true);
  });

  it('flags profanity from the obscenity lexicon as a separate category', async () => {
    expect(hasProfanity(normalise('what a fucking joke'))).toBe(true);
    expect(hasProfanity(normalise('what a f u c k i n g joke'))).toBe(true);
    expect(hasProfanity(normalise('what a lovely day'))).toBe(false);
    const r = await classifier.classify({
      text: 'you piece of shit',
      normalisedText: normalise('you piece of shit'),
    });
    expect(r.scores.profanity).toBe(1);
  });
});

describe('features', () => {
  it('are deterministic and computed on the normalised text, so evasion maps to the same features', () => {
    const plain = extractFeatures(normalise('contact her on whatsapp'));
    expect(extractFeatures(normalise('contact her on whatsapp'))).toEqual(plain);
    expect(extractFeatures(normalise('ｃｏｎｔａｃｔ h\u200Ber оn whаtsаpp'))).toEqual(plain);
  });

  it('include structural signals: handle at the end, money, phone numbers, links', () => {
    const f = extractFeatures(normalise('made $30k thanks to @anna_fx__'));
    expect(f).toEqual(
      expect.arrayContaining(['s:ends_with_mention', 's:money', 's:handle_trailing_underscore', 'h:fx']),
    );
    expect(extractFeatures('call +44 7700 900123 or visit www.example.com')).toEqual(
      expect.arrayContaining(['s:phone', 's:url']),
    );
  });

  it('read pointer and self-promotion words after the normaliser squeezed repeated letters', () => {
    // "channel" reaches the features as "chanel", "follow" as "folow", "message" as "mesage".
    expect(extractFeatures(normalise('Sub to my channel, I sub back'))).toEqual(
      expect.arrayContaining(['s:self_promo', 's:pointer']),
    );
    expect(extractFeatures(normalise('follow me on instagram'))).toContain('s:pointer');
    expect(extractFeatures(normalise('send me a message'))).toContain('s:pointer');
    expect(extractFeatures(normalise('like this comment if you are watching in 2015'))).toContain(
      's:like_bait',
    );
    expect(extractFeatures(normalise('marketglory . com/game earn real money'))).toContain('s:spaced_url');
    expect(extractFeatures(normalise('i love this channel so much'))).not.toContain('s:self_promo');
  });
});
