import { describe, expect, it } from 'vitest';
import { MicroBatcher } from '../../src/classify/batcher.js';
import { classifierCacheKey, MemoryClassifierCache, withCache } from '../../src/classify/cache.js';
import { type Classifier, ClassifierError, type ClassifyRequest } from '../../src/moderation/index.js';

function counting(delayMs = 5): Classifier & { calls: number; fail: boolean } {
  const c = {
    name: 'fake',
    calls: 0,
    fail: false,
    async classify(r: ClassifyRequest) {
      c.calls++;
      await new Promise((res) => setTimeout(res, delayMs));
      if (c.fail) throw new ClassifierError('fake', 'down', 'unavailable');
      return {
        provider: 'p',
        model: 'm',
        version: '1',
        scores: { spam: r.normalisedText.length / 100 },
        latencyMs: delayMs,
        usage: { costUsd: 0.001 },
        cached: false,
      };
    },
  };
  return c;
}
const req = (t: string, question?: string) => ({
  text: t,
  normalisedText: t,
  ...(question ? { question } : {}),
});

describe('classifier cache', () => {
  it('answers a repeated normalised text from the cache, marked cached and free', async () => {
    const inner = counting();
    const c = withCache(inner, new MemoryClassifierCache(), { ttlMs: 60_000 });
    const first = await c.classify(req('dm me'));
    const second = await c.classify(req('dm me'));
    expect(inner.calls).toBe(1);
    expect(first.cached).toBe(false);
    expect(second).toMatchObject({ cached: true, scores: first.scores });
    expect(second.usage).toBeUndefined();
  });

  it('shares one call among concurrent identical requests (single flight)', async () => {
    const inner = counting(20);
    const c = withCache(inner, new MemoryClassifierCache(), { ttlMs: 60_000 });
    const results = await Promise.all(Array.from({ length: 10 }, () => c.classify(req('same text'))));
    expect(inner.calls).toBe(1);
    expect(results.filter((r) => r.cached)).toHaveLength(9);
  });

  it('expires entries after the TTL', async () => {
    let now = 0;
    const inner = counting(0);
    const c = withCache(inner, new MemoryClassifierCache({ now: () => now }), { ttlMs: 1000 });
    await c.classify(req('x'));
    now = 999;
    await c.classify(req('x'));
    expect(inner.calls).toBe(1);
    now = 1000;
    await c.classify(req('x'));
    expect(inner.calls).toBe(2);
  });

  it('never caches a failure', async () => {
    const inner = counting(0);
    const c = withCache(inner, new MemoryClassifierCache(), { ttlMs: 60_000 });
    inner.fail = true;
    await expect(c.classify(req('x'))).rejects.toMatchObject({ code: 'unavailable' });
    inner.fail = false;
    await expect(c.classify(req('x'))).resolves.toMatchObject({ cached: false });
    expect(inner.calls).toBe(2);
  });

  it('keys by classifier, namespace, question and normalised-text hash', () => {
    const a = classifierCacheKey('openai-policy', 'gpt-4o-mini', req('hello', 'Is it a scam?'));
    expect(a).not.toBe(classifierCacheKey('openai-policy', 'gpt-4o-mini', req('hello', 'Is it rude?')));
    expect(a).not.toBe(classifierCacheKey('openai-policy', 'gpt-4.1', req('hello', 'Is it a scam?')));
    expect(classifierCacheKey('builtin', 'v1', req('hello'))).toMatch(/^builtin:v1:[0-9a-f]{64}$/);
  });

  it('still classifies when the cache store fails', async () => {
    const inner = counting(0);
    const broken = {
      get: async () => Promise.reject(new Error('db down')),
      set: async () => Promise.reject(new Error('db down')),
    };
    const errors: unknown[] = [];
    const c = withCache(inner, broken, { ttlMs: 1, onCacheError: (e) => errors.push(e) });
    await expect(c.classify(req('x'))).resolves.toMatchObject({ cached: false });
    expect(errors).toHaveLength(2);
  });

  it('evicts the oldest entries beyond maxEntries', async () => {
    const cache = new MemoryClassifierCache({ maxEntries: 2 });
    const r = { provider: 'p', model: 'm', version: '1', scores: {}, latencyMs: 0, cached: false };
    await cache.set('a', r, 1000);
    await cache.set('b', r, 1000);
    await cache.set('c', r, 1000);
    expect(await cache.get('a')).toBeUndefined();
    expect(cache.size).toBe(2);
  });
});

describe('micro-batcher', () => {
  it('flushes after the window, or at once when full', async () => {
    const seen: number[][] = [];
    const b = new MicroBatcher<number, number>({
      maxBatch: 3,
      windowMs: 5,
      run: async (xs) => {
        seen.push([...xs]);
        return xs.map((x) => x * 2);
      },
    });
    const out = await Promise.all([1, 2, 3, 4].map((x) => b.add(x)));
    expect(out).toEqual([2, 4, 6, 8]);
    expect(seen).toEqual([[1, 2, 3], [4]]);
    expect(b.calls).toBe(2);
  });
});

describe('micro-batcher under load', () => {
  it('queues while maxInFlight calls are busy, then sends the queue as one batch', async () => {
    const sizes: number[] = [];
    const b = new MicroBatcher<number, number>({
      maxBatch: 100,
      windowMs: 1,
      maxInFlight: 1,
      run: async (xs) => {
        sizes.push(xs.length);
        await new Promise((r) => setTimeout(r, 30));
        return xs;
      },
    });
    const first = b.add(0);
    await new Promise((r) => setTimeout(r, 5));
    const rest = Array.from({ length: 20 }, (_, i) => b.add(i + 1));
    expect(await Promise.all([first, ...rest])).toEqual(Array.from({ length: 21 }, (_, i) => i));
    expect(sizes).toEqual([1, 20]);
  });
});
