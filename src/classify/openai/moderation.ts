/**
 * `openai-moderation`: OpenAI's omni-moderation model through the official SDK. Harm categories
 * (harassment, hate, violence, sexual, self-harm, illicit, ...) come back as scores 0..1, plus
 * `flagged` (1/0). Texts waiting at the same moment are sent as one array input (the endpoint
 * takes many inputs per call), so a burst costs a few calls, not one per comment.
 */
import OpenAI from 'openai';
import type { Classifier, ClassifierResult, ClassifyRequest } from '../../moderation/index.js';
import { MicroBatcher } from '../batcher.js';
import { toClassifierError } from './errors.js';

export interface OpenAIModerationOptions {
  /** A ready client (tests); otherwise one is built from apiKey/baseURL. */
  readonly client?: OpenAI;
  readonly apiKey?: string;
  /** OPENAI_BASE_URL, e.g. a proxy or a fake server in tests. Undefined = the SDK's default. */
  readonly baseURL?: string;
  readonly model?: string;
  /** Per request, including the SDK's retries of it. The SDK's default is ten minutes: far too long for a moderation queue. */
  readonly timeoutMs?: number;
  /** SDK retries on 408/409/429/5xx and connection errors, honouring retry-after. */
  readonly maxRetries?: number;
  /** Most inputs per call. */
  readonly maxBatch?: number;
  /** How long a text waits for others to share its call. */
  readonly batchWindowMs?: number;
  /** Calls in flight at once; while all are busy, texts queue into the next batch. */
  readonly maxInFlight?: number;
}

export const OPENAI_MODERATION_DEFAULTS = {
  model: 'omni-moderation-latest',
  timeoutMs: 10_000,
  maxRetries: 2,
  maxBatch: 32,
  batchWindowMs: 5,
  maxInFlight: 4,
} as const;

export interface OpenAIModerationClassifier extends Classifier {
  /** Provider calls made so far (a batch counts once). */
  readonly calls: () => number;
}

interface ModerationOutput {
  readonly scores: Record<string, number>;
  readonly model: string;
  readonly latencyMs: number;
  readonly batchSize: number;
}

export function createOpenAIModerationClassifier(
  options: OpenAIModerationOptions = {},
): OpenAIModerationClassifier {
  const name = 'openai-moderation';
  const model = options.model ?? OPENAI_MODERATION_DEFAULTS.model;
  const client =
    options.client ??
    new OpenAI({
      ...(options.apiKey !== undefined ? { apiKey: options.apiKey } : {}),
      ...(options.baseURL !== undefined ? { baseURL: options.baseURL } : {}),
      timeout: options.timeoutMs ?? OPENAI_MODERATION_DEFAULTS.timeoutMs,
      maxRetries: options.maxRetries ?? OPENAI_MODERATION_DEFAULTS.maxRetries,
    });
  const batcher = new MicroBatcher<string, ModerationOutput>({
    maxBatch: options.maxBatch ?? OPENAI_MODERATION_DEFAULTS.maxBatch,
    windowMs: options.batchWindowMs ?? OPENAI_MODERATION_DEFAULTS.batchWindowMs,
    maxInFlight: options.maxInFlight ?? OPENAI_MODERATION_DEFAULTS.maxInFlight,
    run: async (inputs) => {
      const started = performance.now();
      const response = await client.moderations.create({ model, input: [...inputs] });
      if (!Array.isArray(response.results) || response.results.length !== inputs.length) {
        throw new Error(
          `moderation returned ${response.results?.length ?? 0} results for ${inputs.length} inputs`,
        );
      }
      const latencyMs = performance.now() - started;
      return response.results.map((r) => {
        const scores: Record<string, number> = { flagged: r.flagged ? 1 : 0 };
        for (const [category, score] of Object.entries(r.category_scores ?? {})) {
          if (typeof score === 'number' && Number.isFinite(score))
            scores[category] = Math.min(1, Math.max(0, score));
        }
        return { scores, model: response.model ?? model, latencyMs, batchSize: inputs.length };
      });
    },
  });
  return {
    name,
    calls: () => batcher.calls,
    async classify(request: ClassifyRequest): Promise<ClassifierResult> {
      const started = performance.now();
      try {
        // The model reads the comment as written: it handles obfuscation itself, and the
        // normalised form (leet folded, letters squeezed) would read worse to it.
        const out = await batcher.add(request.text);
        return {
          provider: 'openai',
          model,
          version: out.model,
          scores: out.scores,
          latencyMs: performance.now() - started,
          // The moderation endpoint is free of charge.
          usage: { costUsd: 0 },
          cached: false,
        };
      } catch (error) {
        throw toClassifierError(name, error);
      }
    },
  };
}
