/**
 * Fine-tuning the shipped spam model on a deployment's labels (src/classify/builtin/fine-tune.ts):
 * deterministic, moves the labelled texts the labels' way, keeps the rest of the model close to
 * the shipped one, and what it returns loads and classifies like the shipped model.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_FINE_TUNE, fineTune } from '../../src/classify/builtin/fine-tune.js';
import {
  builtinModel,
  createLearnedBuiltinClassifier,
  LEARNED_MODEL_NAME,
  LinearModel,
} from '../../src/classify/builtin/index.js';
import { BUILTIN_MODEL } from '../../src/classify/builtin/weights.generated.js';
import { normalise } from '../../src/moderation/index.js';

const label = (text: string, positive: boolean) => ({ normalisedText: normalise(text), positive });
const LABELS = [
  label('check out my etsy shop for handmade candles', false),
  label('visit my page for handmade soap', false),
  label('check my page, handmade mugs', false),
  label('first', true),
  label('me first', true),
];
/** Ordinary comments and known scams the labels say nothing about. */
const UNRELATED = [
  'love this colour',
  'where is my order? it has been two weeks',
  'great post',
  'I invested $3,000 and got $32,200 thanks to @finance.with.ava_',
  'Contact @sarah_fx_trades__ on whatsapp for the best returns',
];

describe('fineTune', () => {
  const result = fineTune(BUILTIN_MODEL, LABELS);
  const learned = LinearModel.fromData(result.model);
  const shipped = builtinModel();

  it('is deterministic: the same labels give the same bytes and version', () => {
    const again = fineTune(BUILTIN_MODEL, LABELS);
    expect(again.model.version).toBe(result.model.version);
    expect(again.model.weights).toBe(result.model.weights);
    expect(result.model.version).not.toBe(BUILTIN_MODEL.version);
    expect(result.model.calibration).toEqual(BUILTIN_MODEL.calibration);
  });

  it('moves each labelled text the way its label says', () => {
    for (const l of LABELS) {
      const before = shipped.score(l.normalisedText).score;
      const after = learned.score(l.normalisedText).score;
      if (l.positive) expect(after).toBeGreaterThan(before);
      else expect(after).toBeLessThan(before - 0.3);
    }
    expect(result.logLossAfter).toBeLessThan(result.logLossBefore);
  });

  it('leaves what the labels say nothing about close to the shipped model', () => {
    expect(learned.marginOf([])).toBe(shipped.marginOf([])); // the bias is kept
    for (const text of UNRELATED) {
      const t = normalise(text);
      expect(Math.abs(learned.score(t).score - shipped.score(t).score)).toBeLessThan(0.05);
    }
  });

  it('a stronger pull changes less', () => {
    const firm = LinearModel.fromData(
      fineTune(BUILTIN_MODEL, LABELS, { ...DEFAULT_FINE_TUNE, l2: 20 }).model,
    );
    const t = LABELS[0]!.normalisedText;
    expect(firm.score(t).score).toBeGreaterThan(learned.score(t).score);
    expect(firm.score(t).score).toBeLessThan(shipped.score(t).score);
  });

  it("anchors hold the deployment's other comments at their shipped scores", () => {
    // Other shop links the moderators said nothing about: without anchors the approvals drag them down too.
    const others = [
      'check out my shop for cheap followers',
      'visit my page for free iphones',
      'check my page, crypto signals daily',
    ].map((t) => normalise(t));
    const loose = LinearModel.fromData(
      fineTune(BUILTIN_MODEL, LABELS, { ...DEFAULT_FINE_TUNE, anchorWeight: 0 }).model,
    );
    const held = LinearModel.fromData(fineTune(BUILTIN_MODEL, LABELS, DEFAULT_FINE_TUNE, others).model);
    const drift = (m: LinearModel) =>
      others.reduce((sum, t) => sum + Math.abs(m.score(t).score - shipped.score(t).score), 0);
    expect(drift(held)).toBeLessThan(drift(loose) * 0.7);
    // ...while the labelled texts still move the labels' way.
    const t = LABELS[0]!.normalisedText;
    expect(held.score(t).score).toBeLessThan(shipped.score(t).score - 0.1);
  });

  it('no labels: the shipped weights', () => {
    const none = LinearModel.fromData(fineTune(BUILTIN_MODEL, []).model);
    for (const text of [...UNRELATED, 'check my page, handmade mugs'])
      expect(none.score(normalise(text)).score).toBeCloseTo(shipped.score(normalise(text)).score, 6);
  });

  it('serves as a candidate classifier named builtin-learned with its version', async () => {
    const classifier = createLearnedBuiltinClassifier(result.model);
    const text = 'check out my etsy shop for handmade candles';
    const r = await classifier.classify({ text, normalisedText: normalise(text) });
    expect(r.model).toBe(LEARNED_MODEL_NAME);
    expect(r.version).toMatch(new RegExp(`^${result.model.version}\\+abuse-`));
    expect(r.scores.spam).toBeCloseTo(learned.score(normalise(text)).score, 9);
  });
});
