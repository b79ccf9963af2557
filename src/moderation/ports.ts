/**
 * What the rule engine needs from the outside world: classifiers, a repetition counter backed
 * by the database, and a clock. Pure types and in-memory versions (for tests and the CLI): no I/O.
 *
 * The Classifier port: rules ask for a score through this interface; adapters in src/classify
 * (builtin model, OpenAI moderation, OpenAI policy questions) implement it.
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
  /**
   * A reason per score, when a classifier with several scores can say what drove each (the
   * builtin: the terms behind `abuse`). A rule on one score is explained by that score's reason.
   */
  readonly reasons?: Readonly<Record<string, string>>;
  /**
   * The features that moved the score most, largest first, when the classifier can say
   * (the builtin model: e.g. `{feature: "b:mesage me", weight: 1.8}`, in log-odds of its margin).
   */
  readonly contributions?: readonly FeatureContribution[];
}

/** One feature's push on a linear model's margin: positive towards the category, negative away. */
export interface FeatureContribution {
  readonly feature: string;
  readonly weight: number;
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

// ---------------------------------------------------------------------------------------------
// repetition counting and the clock

export interface RepetitionQuery {
  readonly accountId: string;
  /** Count only this author's comments; null counts everyone's on the account. */
  readonly authorId: string | null;
  /** `textHash(normalisedText)` of the current comment. */
  readonly textHash: string;
  readonly windowSeconds: number;
  readonly now: Date;
  /**
   * The condition only needs to know whether there were at least this many: a counter may stop
   * counting there (a flood of ten thousand copies costs a few index entries, not ten thousand).
   */
  readonly enough?: number;
}

export interface RepetitionCounter {
  /**
   * How many EARLIER comments (not counting the one being judged) had this text hash within
   * the window. A condition `times: 3` matches when this returns 2 or more.
   */
  count(query: RepetitionQuery): Promise<number>;
}

export interface EvaluatePorts {
  /** Classifiers by the name rules use (`builtin`, `openai-moderation`, `openai-policy`). */
  readonly classifiers?: ReadonlyMap<string, Classifier> | Readonly<Record<string, Classifier>>;
  readonly repetition?: RepetitionCounter;
  readonly now?: () => Date;
}

export function getClassifier(ports: EvaluatePorts, name: string): Classifier | undefined {
  const c = ports.classifiers;
  if (!c) return undefined;
  if (c instanceof Map) return c.get(name);
  return Object.hasOwn(c, name) ? (c as Readonly<Record<string, Classifier>>)[name] : undefined;
}

interface Seen {
  readonly accountId: string;
  readonly authorId: string | null;
  readonly textHash: string;
  readonly at: number;
}

/** An in-memory RepetitionCounter: `record` each judged comment, `count` earlier ones. */
export class InMemoryRepetitionCounter implements RepetitionCounter {
  private readonly seen: Seen[] = [];

  record(entry: { accountId: string; authorId: string | null; textHash: string; at: Date }): void {
    this.seen.push({
      accountId: entry.accountId,
      authorId: entry.authorId,
      textHash: entry.textHash,
      at: entry.at.getTime(),
    });
  }

  async count(query: RepetitionQuery): Promise<number> {
    const since = query.now.getTime() - query.windowSeconds * 1000;
    let n = 0;
    for (const s of this.seen) {
      if (s.accountId !== query.accountId || s.textHash !== query.textHash) continue;
      if (query.authorId !== null && s.authorId !== query.authorId) continue;
      if (s.at >= since && s.at <= query.now.getTime()) n++;
    }
    return n;
  }
}

/** A counter that answers the same number for every query (rule examples use it). */
export class FixedRepetitionCounter implements RepetitionCounter {
  constructor(private readonly previous: number) {}
  async count(): Promise<number> {
    return this.previous;
  }
}
