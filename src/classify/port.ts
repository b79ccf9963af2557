/**
 * The Classifier port. Rules ask for a score through this interface; adapters (builtin model,
 * OpenAI moderation, OpenAI policy questions) implement it. Pure types: no I/O here.
 */

export interface ClassifierUsage {
  readonly inputTokens?: number;
  readonly outputTokens?: number;
  /** Estimated cost of the call in US dollars, when the provider charges. */
  readonly costUsd?: number;
}

export interface ClassifyRequest {
  /** The comment as written. */
  readonly text: string;
  /** The same text after modbot's evasion-resistant normalisation (what the rules match on). */
  readonly normalisedText: string;
  /** For policy classifiers: the natural-language question a rule asks. */
  readonly question?: string;
}

export interface ClassifierResult {
  readonly provider: string;
  readonly model: string;
  readonly version: string;
  /** Calibrated scores in 0..1 per category (e.g. spam, scam, toxic, harassment, yes). */
  readonly scores: Readonly<Record<string, number>>;
  readonly latencyMs: number;
  readonly usage?: ClassifierUsage;
  readonly cached: boolean;
  /** A short human-readable reason, when the classifier gives one (policy questions). */
  readonly reason?: string;
}

export interface Classifier {
  /** The name rules use to refer to this classifier, e.g. "builtin". */
  readonly name: string;
  classify(request: ClassifyRequest): Promise<ClassifierResult>;
}

/** Thrown by adapters for failures a rule's fallback should handle (timeout, outage, budget). */
export class ClassifierError extends Error {
  constructor(
    readonly classifier: string,
    message: string,
    readonly code: 'timeout' | 'unavailable' | 'budget_exhausted' | 'invalid_response',
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ClassifierError';
  }
}
