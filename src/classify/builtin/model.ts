/**
 * The builtin model at run time: a linear (logistic) model over named features
 * (see features.ts), with Platt calibration. Runtime-neutral: the weights arrive as a module
 * (weights.generated.ts), never read from disk, so the same code runs on Node and Workers.
 */
import { extractFeatures, FEATURE_VERSION } from './features.js';

/** The serialised model, as written by scripts/train.ts. */
export interface BuiltinModelData {
  readonly format: 'modbot-linear-v1';
  readonly featureVersion: number;
  /** Content hash of the weights: recorded on every decision as the model version. */
  readonly version: string;
  /** What the model was trained on (files, columns, row counts), for the audit trail. */
  readonly trainedOn: string;
  readonly bias: number;
  /** Platt scaling fitted on out-of-fold margins: p = 1 / (1 + exp(-(a * margin + b))). */
  readonly calibration: { readonly a: number; readonly b: number };
  /** Suggested thresholds on the calibrated score, chosen on held-out folds (see docs/classifiers.md). */
  readonly thresholds: { readonly hide: number; readonly review: number };
  /** Feature names joined by "\n" (one string keeps the module small and fast to type-check). */
  readonly features: string;
  /** Little-endian float32 weights, base64, aligned with `features`. */
  readonly weights: string;
}

export interface FeatureContribution {
  readonly feature: string;
  readonly weight: number;
}

export interface ModelScore {
  /** Calibrated probability of spam/scam, 0..1. */
  readonly score: number;
  /** The raw linear margin before calibration. */
  readonly margin: number;
}

/** The base64 form of little-endian float32 weights (decodeFloat32 reads it back). */
export function encodeFloat32(weights: Float32Array): string {
  const bytes = new Uint8Array(weights.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < weights.length; i++) view.setFloat32(i * 4, weights[i]!, true);
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000)
    bin += String.fromCharCode(...bytes.subarray(i, Math.min(i + 0x8000, bytes.length)));
  return btoa(bin);
}

/** Little-endian float32 weights from their base64 form (as the weights module stores them). */
export function decodeFloat32(base64: string): Float32Array {
  const bin = atob(base64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  const view = new DataView(bytes.buffer);
  const out = new Float32Array(bytes.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}

export function sigmoid(x: number): number {
  return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
}

/**
 * Feature values of one comment: binary features, scaled per channel (the prefix before ":")
 * so each channel has unit length and a long comment's many character n-grams do not drown
 * its few word and structural features. Structural ("s:") features keep a fixed value.
 * Training uses this same function.
 */
export function featureValues(features: readonly string[]): Float64Array {
  // Channel counts by the feature's first letter (s, w/b, h, k, c): a small array, no Map.
  const counts = new Int32Array(128);
  for (const f of features) counts[channelOf(f)]!++;
  const out = new Float64Array(features.length);
  for (let i = 0; i < features.length; i++) {
    const ch = channelOf(features[i]!);
    out[i] = ch === S ? STRUCTURAL_VALUE : 1 / Math.sqrt(counts[ch]!);
  }
  return out;
}

const STRUCTURAL_VALUE = 0.5;
const S = 's'.charCodeAt(0);
const W = 'w'.charCodeAt(0);
const B = 'b'.charCodeAt(0);

function channelOf(feature: string): number {
  const c = feature.charCodeAt(0) & 127;
  // Word unigrams and bigrams share one channel.
  return c === B ? W : c;
}

export class LinearModel {
  private constructor(
    readonly data: BuiltinModelData,
    private readonly index: Map<string, number>,
  ) {}

  static fromData(data: BuiltinModelData): LinearModel {
    if (data.format !== 'modbot-linear-v1' || data.featureVersion !== FEATURE_VERSION) {
      throw new Error(
        `builtin model has format ${data.format} v${data.featureVersion}, this code expects modbot-linear-v1 v${FEATURE_VERSION}: retrain with npm run train`,
      );
    }
    const names = data.features.length > 0 ? data.features.split('\n') : [];
    const weights = decodeFloat32(data.weights);
    if (names.length !== weights.length) {
      throw new Error(`builtin model is corrupt: ${names.length} features but ${weights.length} weights`);
    }
    const index = new Map<string, number>();
    names.forEach((name, i) => {
      index.set(name, weights[i] ?? 0);
    });
    return new LinearModel(data, index);
  }

  marginOf(features: readonly string[]): number {
    const values = featureValues(features);
    let m = this.data.bias;
    for (let i = 0; i < features.length; i++) {
      const w = this.index.get(features[i]!);
      if (w !== undefined) m += w * values[i]!;
    }
    return m;
  }

  calibrate(margin: number): number {
    return sigmoid(this.data.calibration.a * margin + this.data.calibration.b);
  }

  score(normalisedText: string): ModelScore {
    const margin = this.marginOf(extractFeatures(normalisedText));
    return { margin, score: this.calibrate(margin) };
  }

  /**
   * The score and, in the same pass, the `top` features that moved the margin most (by absolute
   * contribution, weight x value, rounded to 2 decimals): what a moderator reads to see why.
   */
  scoreExplained(normalisedText: string, top = 5): ModelScore & { contributions: FeatureContribution[] } {
    const features = extractFeatures(normalisedText);
    const values = featureValues(features);
    let margin = this.data.bias;
    // A small sorted buffer instead of sorting every feature: top is 5, features are hundreds.
    const best: FeatureContribution[] = [];
    for (let i = 0; i < features.length; i++) {
      const w = this.index.get(features[i]!);
      if (w === undefined) continue;
      const c = w * values[i]!;
      margin += c;
      const size = Math.abs(c);
      if (best.length === top && size <= Math.abs(best[top - 1]!.weight)) continue;
      let j = best.length < top ? best.length : top - 1;
      while (j > 0 && Math.abs(best[j - 1]!.weight) < size) {
        if (j < top) best[j] = best[j - 1]!;
        j--;
      }
      best[j] = { feature: features[i]!, weight: c };
    }
    const contributions = best.map((b) => ({ feature: b.feature, weight: Math.round(b.weight * 100) / 100 }));
    return { margin, score: this.calibrate(margin), contributions };
  }

  /** The features that pushed this comment's score most, for `modbot explain`. */
  explain(normalisedText: string, top = 8): FeatureContribution[] {
    const features = extractFeatures(normalisedText);
    const values = featureValues(features);
    const out: FeatureContribution[] = [];
    features.forEach((f, i) => {
      const w = this.index.get(f);
      if (w !== undefined) out.push({ feature: f, weight: w * (values[i] ?? 0) });
    });
    return out.sort((x, y) => Math.abs(y.weight) - Math.abs(x.weight)).slice(0, top);
  }
}
