/**
 * The `builtin` classifier: offline, in-process, on Node and Workers, well under a millisecond per
 * comment. Categories:
 *  - `spam`: calibrated probability (0..1) that the comment is spam or a scam a brand would hide,
 *    from the linear model trained by scripts/train.ts (weights in weights.generated.ts), with the
 *    five features that moved it most (`contributions`, recorded with the decision);
 *  - `abuse`: insults aimed at a person, slurs, threats, sexual harassment (abuse.ts): 0.9..1 with
 *    a named term of that kind, else the abuse model's probability capped at 0.89 (review at most);
 *    what drove it is in `reason` (terms and model features);
 *  - `profanity`: 1 when a swear word is present (the `obscenity` library's profane words, with
 *    its own leetspeak/confusable handling, or a censored "f***"), else 0. A yes/no: whether an
 *    untargeted swear is hidden, held or allowed is the brand's choice (rules/abuse.yaml).
 * The classifier reads `normalisedText` (the rules' normalised form); the raw text only tells it
 * which words were spaced out and how a word was spelt before repeated letters were squeezed.
 */
import { englishDataset, englishRecommendedTransformers, RegExpMatcher } from 'obscenity';
import type { Classifier, ClassifierResult, ClassifyRequest } from '../../moderation/index.js';
import { normaliseDetailed } from '../../moderation/text/normalise.js';
import { abuseModel, describeAbuse, scoreAbuse } from './abuse.js';
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

/**
 * The spam model a classifier reads at each call, with the name its results carry: the runtime
 * swaps a learned model in and out (src/learn/active-model.ts) without rebuilding the classifiers.
 */
export interface SpamModelSource {
  /** Resolves once the model in force is known (the first load at start). */
  ready(): Promise<void>;
  current(): { readonly model: LinearModel; readonly name: string };
}

/** The `model` name on results of the shipped weights, and of weights learned from moderators. */
export const SHIPPED_MODEL_NAME = 'builtin-linear';
export const LEARNED_MODEL_NAME = 'builtin-learned';

export interface BuiltinClassifierOptions {
  /** Another trained model (tests, experiments); defaults to the committed one. */
  readonly model?: BuiltinModelData;
  /** The name results carry for `model` (default builtin-linear). */
  readonly modelName?: string;
  /** Read the spam model at each call from here (the runtime's learned model); wins over `model`. */
  readonly spamModel?: SpamModelSource;
  /** Turn the profanity lexicon off (it is on by default). */
  readonly profanity?: boolean;
  /** Another abuse model (experiments, `modbot eval --abuse-model`); defaults to the committed one. */
  readonly abuseModel?: BuiltinModelData;
  /** Turn the abuse score off (the classify benchmark's spam-only baseline); on by default. */
  readonly abuse?: boolean;
}

/**
 * The builtin classifier with a model learned from this deployment's moderators (or any other
 * weights) as its spam model, its results named `builtin-learned` with the model's version: what
 * a backtest takes as the candidate classifier (`modbot train --from-audit` prints its own
 * summary with it; docs/classifiers.md).
 */
export function createLearnedBuiltinClassifier(model: BuiltinModelData): Classifier {
  return createBuiltinClassifier({ model, modelName: LEARNED_MODEL_NAME });
}

export function createBuiltinClassifier(options: BuiltinClassifierOptions = {}): Classifier {
  const fixed = {
    model: options.model ? LinearModel.fromData(options.model) : builtinModel(),
    name: options.modelName ?? SHIPPED_MODEL_NAME,
  };
  const source = options.spamModel;
  const profanity = options.profanity ?? true;
  const abuse = options.abuseModel ? LinearModel.fromData(options.abuseModel) : undefined;
  return {
    name: 'builtin',
    async classify(request: ClassifyRequest): Promise<ClassifierResult> {
      if (source) await source.ready();
      const { model, name } = source ? source.current() : fixed;
      const started = performance.now();
      const { score, contributions } = model.scoreExplained(request.normalisedText);
      if (options.abuse === false) {
        const scores: Record<string, number> = { spam: score };
        if (profanity) scores.profanity = hasProfanity(request.normalisedText) ? 1 : 0;
        return {
          provider: 'modbot',
          model: name,
          version: model.data.version,
          scores,
          latencyMs: performance.now() - started,
          usage: { costUsd: 0 },
          cached: false,
          contributions,
        };
      }
      const detail = normaliseDetailed(request.text);
      const a = scoreAbuse(
        request.normalisedText,
        {
          joinedWords: detail.joinedSpans.map(([from, to]) => detail.text.slice(from, to)),
          unsqueezed: detail.forRegex,
        },
        abuse,
      );
      const scores: Record<string, number> = { spam: score, abuse: a.score };
      if (profanity) scores.profanity = a.profanity ? 1 : 0;
      return {
        provider: 'modbot',
        model: name,
        // Both models' weights decide: a decision records which ones.
        version: `${model.data.version}+abuse-${(abuse ?? abuseModel()).data.version}`,
        scores,
        latencyMs: performance.now() - started,
        usage: { costUsd: 0 },
        cached: false,
        reasons: { abuse: describeAbuse(a) },
        contributions,
      };
    },
  };
}
