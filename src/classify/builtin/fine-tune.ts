/**
 * Fine-tuning the builtin spam model on one deployment's own labels (moderator hides, approvals,
 * unhides): a warm start from the shipped weights with a strong L2 pull back towards them.
 *
 * Why not retrain from the shipped CSVs plus the labels: a deployed server has no datasets (they
 * are not in the repository), and the shipped weights already are what those CSVs taught. The
 * objective below keeps the shipped model unless the deployment's labels pay for a change:
 *
 *   minimise  Σ_labels ℓ(y_i, σ(a·m_i(w) + b))  +  c · Σ_anchors ℓ(p₀_j, σ(a·m_j(w) + b))  +  (λ/2) · ‖w − w₀‖²
 *
 * where m_i is the linear margin of label i, (a, b) the shipped Platt calibration (kept: the
 * margin stays on the shipped scale, so the rules' thresholds keep their meaning), w₀ the
 * shipped weights, and the anchors the deployment's other comments with their shipped scores p₀
 * as soft targets (see `anchors` below). Only the features of the labelled comments can move
 * (the pull holds the rest at w₀), so the result is the shipped model plus a local correction;
 * features the shipped model never kept start at 0.
 *
 * Deterministic: full-batch accelerated gradient descent (Nesterov) with a fixed number of
 * steps, a step size from the problem's own curvature bound, the labels in a stable order and
 * the features sorted: the same labels give the same bytes and the same version hash.
 * Pure and runtime-neutral (no node: imports), but only the `modbot train` command runs it.
 */
import { extractFeatures, FEATURE_VERSION } from './features.js';
import {
  type BuiltinModelData,
  decodeFloat32,
  encodeFloat32,
  featureValues,
  LinearModel,
  sigmoid,
} from './model.js';

/** One label: a stored comment's normalised text and what a moderator said about it. */
export interface TrainingLabel {
  /** The normalised text (what the classifier reads), as recorded with the decision. */
  readonly normalisedText: string;
  /** true: a moderator hid or deleted it; false: a moderator approved it or undid a hide. */
  readonly positive: boolean;
}

export interface FineTuneOptions {
  /**
   * λ, the pull towards the shipped weights. Larger = closer to the shipped model. At 1 a
   * single label moves its own comment's calibrated log-odds by about 2–4 (a 0.98 spam score
   * falls below 0.7 when a moderator says "not spam"), while a feature shared with thousands of
   * other comments moves by a few hundredths.
   */
  readonly l2: number;
  /** Gradient steps (default 250: converged by 150 on the measured deployment; the problem is small: the labelled comments' features). */
  readonly steps: number;
  /**
   * Weight of each anchor (below): how hard the deployment's other comments hold their shipped
   * scores. 0 = anchors off.
   */
  readonly anchorWeight: number;
}

export const DEFAULT_FINE_TUNE: FineTuneOptions = { l2: 1, steps: 250, anchorWeight: 5 };

export interface FineTuneResult {
  readonly model: BuiltinModelData;
  /** Features whose weight changed by more than 1e-4, and those new to the model. */
  readonly changedFeatures: number;
  readonly newFeatures: number;
  /** The objective's data part (mean log loss on the labels) before and after. */
  readonly logLossBefore: number;
  readonly logLossAfter: number;
}

/** FNV-1a over the model's content, 12 hex digits: the learned model's version (runtime-neutral). */
export function contentHash(parts: readonly string[]): string {
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193 ^ 0x5bd1e995;
  for (const part of parts) {
    for (let i = 0; i < part.length; i++) {
      const c = part.charCodeAt(i);
      h1 = Math.imul(h1 ^ c, 0x01000193);
      h2 = Math.imul(h2 ^ c, 0x5bd1e995) ^ (h2 >>> 13);
    }
    h1 = Math.imul(h1 ^ 0x1f, 0x01000193);
  }
  return ((h1 >>> 0).toString(16).padStart(8, '0') + (h2 >>> 0).toString(16).padStart(8, '0')).slice(0, 12);
}

const logLoss = (p: number, y: number) => -Math.log(Math.max(1e-12, y === 1 ? p : 1 - p));

/**
 * The shipped model `base` corrected by `labels`. The labels must be in a stable order for the
 * result to be byte-identical (the caller sorts them); an empty list returns the base weights.
 */
export function fineTune(
  base: BuiltinModelData,
  labels: readonly TrainingLabel[],
  options: FineTuneOptions = DEFAULT_FINE_TUNE,
  /**
   * Normalised texts of the deployment's other (unlabelled) comments, each held towards its
   * shipped score (a soft target): the labels may change what they are about, but a feature
   * they share with the rest of the deployment's comments (a link, a mention, "check out")
   * cannot drift far, or these comments' scores would move with it. Without anchors, fifty
   * approvals of customer posts with links cost a third of the scam recall (docs/classifiers.md).
   */
  anchors: readonly string[] = [],
): FineTuneResult {
  if (base.featureVersion !== FEATURE_VERSION)
    throw new Error(
      `the shipped model has feature version ${base.featureVersion}, this code ${FEATURE_VERSION}: cannot fine-tune`,
    );
  const baseNames = base.features.length > 0 ? base.features.split('\n') : [];
  const baseWeights = decodeFloat32(base.weights);
  const baseIndex = new Map(baseNames.map((f, i) => [f, i]));

  // The features the labels touch: the only coordinates that can move.
  const docs = labels.map((l) => extractFeatures(l.normalisedText));
  const touched = [...new Set(docs.flat())].sort();
  const slot = new Map(touched.map((f, i) => [f, i]));
  const w0 = Float64Array.from(touched, (f) => {
    const i = baseIndex.get(f);
    return i === undefined ? 0 : baseWeights[i]!;
  });
  const { a, b } = base.calibration;
  // The bias stays the shipped one: a label corrects what its comment says, it does not move
  // every comment's score at once.
  const bias = base.bias;
  // Each row: the movable features with their values, the fixed part of its margin (the bias
  // and, for anchors, the features no label touches), its target and its weight.
  interface Row {
    idx: Int32Array;
    vals: Float64Array;
    offset: number;
    target: number;
    weight: number;
  }
  const rows: Row[] = docs.map((doc, i) => ({
    idx: Int32Array.from(doc, (f) => slot.get(f)!),
    vals: featureValues(doc),
    offset: bias,
    target: labels[i]!.positive ? 1 : 0,
    weight: 1,
  }));
  const labelRows = rows.length;
  if (options.anchorWeight > 0 && labelRows > 0) {
    const shippedModel = LinearModel.fromData(base);
    for (const text of anchors) {
      const doc = extractFeatures(text);
      const all = featureValues(doc);
      const idx: number[] = [];
      const vals: number[] = [];
      let offset = bias;
      doc.forEach((f, k) => {
        const j = slot.get(f);
        if (j !== undefined) {
          idx.push(j);
          vals.push(all[k]!);
        } else {
          const i = baseIndex.get(f);
          if (i !== undefined) offset += baseWeights[i]! * all[k]!;
        }
      });
      if (idx.length === 0) continue; // shares nothing with the labels: cannot move
      rows.push({
        idx: Int32Array.from(idx),
        vals: Float64Array.from(vals),
        offset,
        target: shippedModel.score(text).score,
        weight: options.anchorWeight,
      });
    }
  }
  const lambda = options.l2;

  // Step size 1/L with L = λ + (a²/4)·‖X‖², ‖X‖² (the largest eigenvalue of XᵀX) by power
  // iteration from the all-ones vector (X is non-negative, so it converges from there), with
  // a margin of safety: plain steps then never overshoot.
  let v = new Float64Array(touched.length).fill(1);
  let norm2 = 0;
  for (let it = 0; it < 30 && rows.length > 0; it++) {
    const next = new Float64Array(touched.length);
    for (const r of rows) {
      let xv = 0;
      for (let k = 0; k < r.idx.length; k++) xv += r.vals[k]! * v[r.idx[k]!]!;
      xv *= r.weight;
      for (let k = 0; k < r.idx.length; k++) next[r.idx[k]!] = next[r.idx[k]!]! + xv * r.vals[k]!;
    }
    let len = 0;
    for (const x of next) len += x * x;
    len = Math.sqrt(len);
    let vv = 0;
    for (const x of v) vv += x * x;
    norm2 = len / Math.sqrt(vv);
    if (len === 0) break;
    v = next.map((x) => x / len);
  }
  const L = lambda + ((a * a) / 4) * norm2 * 1.25;
  const step = 1 / L;

  // The labels' mean log loss (what the report shows; the anchors are not labels).
  const objective = (w: Float64Array) => {
    let loss = 0;
    for (let i = 0; i < labelRows; i++) {
      const r = rows[i]!;
      let m = r.offset;
      for (let k = 0; k < r.idx.length; k++) m += w[r.idx[k]!]! * r.vals[k]!;
      loss += logLoss(sigmoid(a * m + b), r.target);
    }
    return labelRows === 0 ? 0 : loss / labelRows;
  };

  // Nesterov's accelerated gradient for a strongly convex objective (constant momentum).
  const w = Float64Array.from(w0);
  const prevW = Float64Array.from(w0);
  const grad = new Float64Array(touched.length);
  const kappa = L / lambda;
  const momentum = (Math.sqrt(kappa) - 1) / (Math.sqrt(kappa) + 1);
  const lookW = new Float64Array(touched.length);
  const logLossBefore = objective(w);
  for (let t = 0; t < options.steps && labelRows > 0; t++) {
    for (let j = 0; j < w.length; j++) lookW[j] = w[j]! + momentum * (w[j]! - prevW[j]!);
    grad.fill(0);
    for (const r of rows) {
      let m = r.offset;
      for (let k = 0; k < r.idx.length; k++) m += lookW[r.idx[k]!]! * r.vals[k]!;
      const g = (sigmoid(a * m + b) - r.target) * a * r.weight;
      for (let k = 0; k < r.idx.length; k++) grad[r.idx[k]!] = grad[r.idx[k]!]! + g * r.vals[k]!;
    }
    prevW.set(w);
    for (let j = 0; j < w.length; j++) w[j] = lookW[j]! - step * (grad[j]! + lambda * (lookW[j]! - w0[j]!));
  }

  // The full model: every shipped feature, the moved ones replaced, new ones appended in order.
  const merged = new Map<string, number>();
  baseNames.forEach((f, i) => {
    merged.set(f, baseWeights[i]!);
  });
  let changedFeatures = 0;
  let newFeatures = 0;
  touched.forEach((f, j) => {
    const was = w0[j]!;
    const now = Math.fround(w[j]!);
    if (Math.abs(now - was) > 1e-4) changedFeatures++;
    if (!baseIndex.has(f)) {
      // A feature the shipped model never kept joins only if the labels gave it real weight.
      if (Math.abs(now) <= 1e-4) return;
      newFeatures++;
    }
    merged.set(f, now);
  });
  const names = [...merged.keys()].sort();
  const weights = Float32Array.from(names, (f) => merged.get(f)!);
  const features = names.join('\n');
  const encoded = encodeFloat32(weights);
  const version = `L${contentHash([base.version, String(bias), features, encoded])}`;
  const model: BuiltinModelData = {
    format: 'modbot-linear-v1',
    featureVersion: FEATURE_VERSION,
    version,
    trainedOn: `${base.version} fine-tuned on ${labels.length} moderator labels (${labels.filter((l) => l.positive).length} positive), ${rows.length - labelRows} anchors; l2 ${lambda}, anchor weight ${options.anchorWeight}, ${options.steps} steps`,
    bias,
    calibration: base.calibration,
    thresholds: base.thresholds,
    features,
    weights: encoded,
  };
  // Checked once through the run-time loader: what is stored is what will be served.
  LinearModel.fromData(model);
  return { model, changedFeatures, newFeatures, logLossBefore, logLossAfter: objective(w) };
}
