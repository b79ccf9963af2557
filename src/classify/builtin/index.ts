/**
 * The `builtin` classifier: offline, in-process, on Node and Workers, well under a millisecond per
 * comment. Categories:
 *  - `spam`: calibrated probability (0..1) that the comment is spam or a scam a brand would hide,
 *    from the linear model trained by scripts/train.ts (weights in weights.generated.ts), with the
 *    five features that moved it most (`contributions`, recorded with the decision);
 *  - `profanity`: 1 when the `obscenity` library's English dataset matches (slurs, sexual and
 *    profane terms, with its own leetspeak/confusable handling), else 0. A lexicon signal, not a
 *    probability: rules use it as a yes/no.
 * The classifier reads `normalisedText` (the rules' normalised form), never the raw text.
 */
import { englishDataset, englishRecommendedTransformers, RegExpMatcher } from 'obscenity';
import type { Classifier, ClassifierResult, ClassifyRequest } from '../../moderation/index.js';
import { type BuiltinModelData, LinearModel } from './model.js';
import { BUILTIN_MODEL } from './weights.generated.js';

export { type BuiltinModelData, type FeatureContribution, LinearModel } from './model.js';

let defaultModel: LinearModel | undefined;
let profanityMatcher: RegExpMatcher | undefined;

/** The committed model, decoded once per isolate/process on first use. */
export function builtinModel(): LinearModel {
  defaultModel ??= LinearModel.fromData(BUILTIN_MODEL);
  return defaultModel;
}

export function hasProfanity(normalisedText: string): boolean {
  profanityMatcher ??= new RegExpMatcher({ ...englishDataset.build(), ...englishRecommendedTransformers });
  return profanityMatcher.hasMatch(normalisedText);
}

export interface BuiltinClassifierOptions {
  /** Another trained model (tests, experiments); defaults to the committed one. */
  readonly model?: BuiltinModelData;
  /** Turn the profanity lexicon off (it is on by default). */
  readonly profanity?: boolean;
}

export function createBuiltinClassifier(options: BuiltinClassifierOptions = {}): Classifier {
  const model = options.model ? LinearModel.fromData(options.model) : builtinModel();
  const profanity = options.profanity ?? true;
  return {
    name: 'builtin',
    async classify(request: ClassifyRequest): Promise<ClassifierResult> {
      const started = performance.now();
      const { score, contributions } = model.scoreExplained(request.normalisedText);
      const scores: Record<string, number> = { spam: score };
      if (profanity) scores.profanity = hasProfanity(request.normalisedText) ? 1 : 0;
      return {
        provider: 'modbot',
        model: 'builtin-linear',
        version: model.data.version,
        scores,
        latencyMs: performance.now() - started,
        usage: { costUsd: 0 },
        cached: false,
        contributions,
      };
    },
  };
}
