/**
 * Deterministic training for the builtin linear model: L2-regularised logistic regression fitted
 * with AdaGrad over a seeded shuffle (same data + same options = the same bytes), and Platt
 * scaling for calibration. Node-side only (scripts/train.ts).
 */
import { featureValues, sigmoid } from '../../src/classify/builtin/model.js';
import { rng } from './evasion.js';

export interface LogRegOptions {
  readonly epochs: number;
  readonly learningRate: number;
  readonly l2: number;
  /** Features seen in fewer training documents are dropped (memorising one comment does not generalise). */
  readonly minDf: number;
  readonly seed: number;
  /** Weight on positive examples (>1 favours recall before calibration). */
  readonly positiveWeight: number;
  /**
   * Naive-Bayes feature scaling (Wang & Manning 2012, "NBSVM"): each feature is scaled by its
   * smoothed log-count ratio before the regression, and the ratio is folded into the exported
   * weights, so the run-time model is unchanged. Strong on small text datasets. 0 = off.
   */
  readonly nbAlpha: number;
}

export const DEFAULT_LOGREG: LogRegOptions = {
  epochs: 12,
  learningRate: 0.3,
  l2: 1e-5,
  minDf: 2,
  seed: 42,
  positiveWeight: 1,
  nbAlpha: 0,
};

export interface LinearWeights {
  readonly features: string[];
  readonly weights: Float32Array;
  readonly bias: number;
}

export function trainLogReg(
  docs: readonly (readonly string[])[],
  labels: readonly boolean[],
  options: LogRegOptions = DEFAULT_LOGREG,
): LinearWeights {
  const df = new Map<string, number>();
  for (const doc of docs) for (const f of doc) df.set(f, (df.get(f) ?? 0) + 1);
  const features = [...df.entries()]
    .filter(([, n]) => n >= options.minDf)
    .map(([f]) => f)
    .sort();
  const index = new Map(features.map((f, i) => [f, i]));
  const scale = new Float64Array(features.length).fill(1);
  if (options.nbAlpha > 0) {
    const pos = new Float64Array(features.length).fill(options.nbAlpha);
    const neg = new Float64Array(features.length).fill(options.nbAlpha);
    docs.forEach((doc, d) => {
      const counts = labels[d] ? pos : neg;
      for (const f of doc) {
        const i = index.get(f);
        if (i !== undefined) counts[i] = counts[i]! + 1;
      }
    });
    let sumPos = 0;
    let sumNeg = 0;
    for (let i = 0; i < features.length; i++) {
      sumPos += pos[i]!;
      sumNeg += neg[i]!;
    }
    for (let i = 0; i < features.length; i++) scale[i] = Math.log(pos[i]! / sumPos / (neg[i]! / sumNeg));
  }
  const encoded = docs.map((doc) => {
    const all = featureValues(doc);
    const idx: number[] = [];
    const vals: number[] = [];
    doc.forEach((f, j) => {
      const i = index.get(f);
      if (i !== undefined) {
        idx.push(i);
        vals.push(all[j]!);
      }
    });
    return { idx: Int32Array.from(idx), vals: Float64Array.from(vals) };
  });
  const w = new Float64Array(features.length);
  const g2 = new Float64Array(features.length).fill(1e-8);
  let bias = 0;
  let biasG2 = 1e-8;
  const order = docs.map((_, i) => i);
  const random = rng(options.seed);
  for (let epoch = 0; epoch < options.epochs; epoch++) {
    // Fisher-Yates with the seeded generator: deterministic, yet no fixed class ordering.
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      const t = order[i]!;
      order[i] = order[j]!;
      order[j] = t;
    }
    for (const d of order) {
      const { idx, vals } = encoded[d]!;
      let m = bias;
      for (let k = 0; k < idx.length; k++) m += w[idx[k]!]! * scale[idx[k]!]! * vals[k]!;
      const y = labels[d] ? 1 : 0;
      const cw = y === 1 ? options.positiveWeight : 1;
      const g = (sigmoid(m) - y) * cw;
      for (let k = 0; k < idx.length; k++) {
        const i = idx[k]!;
        const grad = g * scale[i]! * vals[k]! + options.l2 * w[i]!;
        g2[i] = g2[i]! + grad * grad;
        w[i] = w[i]! - (options.learningRate * grad) / Math.sqrt(g2[i]!);
      }
      biasG2 += g * g;
      bias -= (options.learningRate * g) / Math.sqrt(biasG2);
    }
  }
  return { features, weights: Float32Array.from(w, (x, i) => x * scale[i]!), bias };
}

export function marginOf(model: LinearWeights, index: Map<string, number>, doc: readonly string[]): number {
  const values = featureValues(doc);
  let m = model.bias;
  doc.forEach((f, j) => {
    const i = index.get(f);
    if (i !== undefined) m += model.weights[i]! * values[j]!;
  });
  return m;
}

export function indexOf(model: LinearWeights): Map<string, number> {
  return new Map(model.features.map((f, i) => [f, i]));
}

/**
 * Platt scaling: fit p = sigmoid(a*m + b) to (margin, label) pairs by Newton's method, with
 * Platt's smoothed targets so a separable fold does not push a to infinity.
 */
export function fitPlatt(margins: readonly number[], labels: readonly boolean[]): { a: number; b: number } {
  const nPos = labels.filter(Boolean).length;
  const nNeg = labels.length - nPos;
  const hi = (nPos + 1) / (nPos + 2);
  const lo = 1 / (nNeg + 2);
  let a = 1;
  let b = 0;
  for (let iter = 0; iter < 100; iter++) {
    let gA = 0;
    let gB = 0;
    let hAA = 1e-9;
    let hAB = 0;
    let hBB = 1e-9;
    for (let i = 0; i < margins.length; i++) {
      const m = margins[i]!;
      const t = labels[i] ? hi : lo;
      const p = sigmoid(a * m + b);
      const d = p - t;
      const s = p * (1 - p);
      gA += d * m;
      gB += d;
      hAA += s * m * m;
      hAB += s * m;
      hBB += s;
    }
    const det = hAA * hBB - hAB * hAB;
    if (Math.abs(det) < 1e-12) break;
    const dA = (hBB * gA - hAB * gB) / det;
    const dB = (hAA * gB - hAB * gA) / det;
    a -= dA;
    b -= dB;
    if (Math.abs(dA) < 1e-9 && Math.abs(dB) < 1e-9) break;
  }
  return { a, b };
}

/**
 * Keep the `max` features with the largest |weight| (ties by name, so deterministic), to keep the
 * committed module small. Applied to cross-validation models too, so reported figures are the
 * pruned model's.
 */
export function pruneModel(model: LinearWeights, max: number): LinearWeights {
  if (model.features.length <= max) return model;
  const order = model.features
    .map((_, i) => i)
    .sort(
      (a, b) =>
        Math.abs(model.weights[b]!) - Math.abs(model.weights[a]!) ||
        (model.features[a]! < model.features[b]! ? -1 : 1),
    )
    .slice(0, max)
    .sort((a, b) => a - b);
  return {
    features: order.map((i) => model.features[i]!),
    weights: Float32Array.from(order, (i) => model.weights[i]!),
    bias: model.bias,
  };
}
