/**
 * Classifier result cache, keyed by a hash of the normalised text (bot campaigns repeat the same
 * comment hundreds of times, so this is where most model calls are saved). The port is tiny so
 * the Postgres adapter (table classifier_cache, owned by src/db/) and the in-memory one here are
 * interchangeable. Runtime-neutral: no node: imports.
 */
import {
  type Classifier,
  type ClassifierResult,
  type ClassifyRequest,
  textHash,
} from '../moderation/index.js';

export interface ClassifierCache {
  get(key: string): Promise<ClassifierResult | undefined>;
  /** Store a result for `ttlMs` milliseconds. */
  set(key: string, value: ClassifierResult, ttlMs: number): Promise<void>;
}

/** In-process cache with TTL and a size cap (oldest inserted evicted first). */
export class MemoryClassifierCache implements ClassifierCache {
  private readonly entries = new Map<string, { value: ClassifierResult; expiresAt: number }>();
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(options: { maxEntries?: number; now?: () => number } = {}) {
    this.maxEntries = options.maxEntries ?? 10_000;
    this.now = options.now ?? Date.now;
  }

  async get(key: string): Promise<ClassifierResult | undefined> {
    const hit = this.entries.get(key);
    if (hit === undefined) return undefined;
    if (hit.expiresAt <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return hit.value;
  }

  async set(key: string, value: ClassifierResult, ttlMs: number): Promise<void> {
    this.entries.delete(key);
    this.entries.set(key, { value, expiresAt: this.now() + ttlMs });
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done) break;
      this.entries.delete(oldest.value);
    }
  }

  get size(): number {
    return this.entries.size;
  }
}

/**
 * The cache key: classifier name, a namespace (model and settings whose change must miss the
 * cache), the policy question if any, and the normalised-text hash the rules also use.
 */
export function classifierCacheKey(classifier: string, namespace: string, request: ClassifyRequest): string {
  const question = request.question === undefined ? '' : `:${textHash(request.question).slice(0, 16)}`;
  return `${classifier}:${namespace}${question}:${textHash(request.normalisedText)}`;
}

export interface CachingOptions {
  readonly ttlMs: number;
  /** Part of the key; change it when the model or prompt changes. Defaults to "v1". */
  readonly namespace?: string;
  /** Called when the cache itself fails; the classifier is then called as if it missed. */
  readonly onCacheError?: (error: unknown) => void;
}

/**
 * Wrap any classifier with a cache. Concurrent requests for the same key share one call
 * (single flight), so a burst of one campaign's comments costs one model call, not one each.
 * Failures are never cached: the rule's fallback applies and the next comment tries again.
 */
export function withCache(
  classifier: Classifier,
  cache: ClassifierCache,
  options: CachingOptions,
): Classifier {
  const inFlight = new Map<string, Promise<ClassifierResult>>();
  const namespace = options.namespace ?? 'v1';
  return {
    name: classifier.name,
    async classify(request: ClassifyRequest): Promise<ClassifierResult> {
      const started = performance.now();
      const key = classifierCacheKey(classifier.name, namespace, request);
      const pending = inFlight.get(key);
      if (pending !== undefined) return asCached(await pending, started);
      let hit: ClassifierResult | undefined;
      try {
        hit = await cache.get(key);
      } catch (error) {
        options.onCacheError?.(error);
      }
      if (hit !== undefined) return asCached(hit, started);
      // Re-check: another request may have started the call while we awaited the cache.
      const raced = inFlight.get(key);
      if (raced !== undefined) return asCached(await raced, started);
      const call = classifier.classify(request);
      inFlight.set(key, call);
      try {
        const result = await call;
        try {
          await cache.set(key, { ...result, cached: false }, options.ttlMs);
        } catch (error) {
          options.onCacheError?.(error);
        }
        return result;
      } finally {
        inFlight.delete(key);
      }
    },
  };
}

/** A cached answer cost nothing now: no usage, the lookup's latency, `cached: true`. */
function asCached(result: ClassifierResult, started: number): ClassifierResult {
  const { usage: _usage, ...rest } = result;
  return { ...rest, latencyMs: performance.now() - started, cached: true };
}
