import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createOpenAIModerationClassifier,
  OPENAI_MODERATION_DEFAULTS,
} from '../../src/classify/openai/moderation.js';
import { ClassifierError } from '../../src/moderation/index.js';
import { type FakeOpenAI, startFakeOpenAI } from '../fakes/openai.js';

const req = (text: string) => ({ text, normalisedText: text.toLowerCase() });

describe('openai-moderation against a fake OpenAI on loopback (real SDK)', () => {
  let fake: FakeOpenAI;
  beforeEach(async () => {
    fake = await startFakeOpenAI();
  });
  afterEach(async () => {
    await fake.close();
  });

  it('batches texts that arrive together into one array-input call and maps each result back', async () => {
    const c = createOpenAIModerationClassifier({
      apiKey: 'sk-test',
      baseURL: fake.baseURL,
      batchWindowMs: 5,
    });
    const texts = [
      'what a lovely photo',
      'I will kill you',
      'you absolute idiot',
      'nice',
      'see you at the show',
    ];
    const results = await Promise.all(texts.map((t) => c.classify(req(t))));
    expect(fake.count('/v1/moderations')).toBe(1);
    const body = fake.requests[0]!.body as { model: string; input: string[] };
    expect(body).toEqual({ model: 'omni-moderation-latest', input: texts });
    expect(fake.requests[0]!.headers.authorization).toBe('Bearer sk-test');
    expect(results[1]!.scores.violence).toBeGreaterThan(0.9);
    expect(results[1]!.scores.flagged).toBe(1);
    expect(results[2]!.scores.harassment).toBeGreaterThan(0.9);
    expect(results[0]!.scores.flagged).toBe(0);
    expect(results[0]!.scores.violence).toBeLessThan(0.01);
    expect(results[0]).toMatchObject({
      provider: 'openai',
      model: 'omni-moderation-latest',
      version: 'omni-moderation-2024-09-26',
      cached: false,
    });
    expect(c.calls()).toBe(1);
  });

  it('splits a burst larger than maxBatch into several calls', async () => {
    const c = createOpenAIModerationClassifier({ apiKey: 'k', baseURL: fake.baseURL, maxBatch: 4 });
    await Promise.all(Array.from({ length: 10 }, (_, i) => c.classify(req(`comment ${i}`))));
    expect(fake.count('/v1/moderations')).toBe(3);
    expect(fake.requests.map((r) => (r.body as { input: string[] }).input.length)).toEqual([4, 4, 2]);
  });

  it('retries a 429 after its retry-after and a 500, then answers', async () => {
    fake.enqueue(
      { kind: 'status', status: 429, retryAfterMs: 20 },
      { kind: 'status', status: 500, retryAfterMs: 10 },
    );
    const c = createOpenAIModerationClassifier({ apiKey: 'k', baseURL: fake.baseURL, maxRetries: 2 });
    const r = await c.classify(req('hello'));
    expect(r.scores.flagged).toBe(0);
    expect(fake.count('/v1/moderations')).toBe(3);
    expect(fake.requests.map((q) => q.headers['x-stainless-retry-count'])).toEqual(['0', '1', '2']);
  });

  it('gives up after maxRetries with code "unavailable"', async () => {
    fake.enqueue(
      ...Array.from({ length: 3 }, () => ({ kind: 'status' as const, status: 500, retryAfterMs: 1 })),
    );
    const c = createOpenAIModerationClassifier({ apiKey: 'k', baseURL: fake.baseURL, maxRetries: 1 });
    const error = await c.classify(req('hello')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClassifierError);
    expect(error).toMatchObject({ code: 'unavailable', classifier: 'openai-moderation' });
    expect(fake.count('/v1/moderations')).toBe(2);
  });

  it('turns a hang into code "timeout" within the configured timeout', async () => {
    fake.enqueue({ kind: 'hang' });
    const c = createOpenAIModerationClassifier({
      apiKey: 'k',
      baseURL: fake.baseURL,
      timeoutMs: 150,
      maxRetries: 0,
    });
    const started = Date.now();
    const error = await c.classify(req('hello')).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'timeout' });
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('rejects every text of a batch whose answer has the wrong number of results', async () => {
    fake.enqueue({ kind: 'wrong-count' });
    const c = createOpenAIModerationClassifier({ apiKey: 'k', baseURL: fake.baseURL });
    const errors = await Promise.all(
      [c.classify(req('a')), c.classify(req('b'))].map((p) => p.catch((e: unknown) => e)),
    );
    for (const e of errors) expect(e).toMatchObject({ code: 'invalid_response' });
  });

  it('honours OPENAI_BASE_URL when no baseURL is passed', async () => {
    const previous = process.env.OPENAI_BASE_URL;
    process.env.OPENAI_BASE_URL = fake.baseURL;
    try {
      const c = createOpenAIModerationClassifier({ apiKey: 'k' });
      await c.classify(req('hi'));
      expect(fake.count('/v1/moderations')).toBe(1);
    } finally {
      if (previous === undefined) delete process.env.OPENAI_BASE_URL;
      else process.env.OPENAI_BASE_URL = previous;
    }
  });

  it('defaults to a timeout of seconds (the SDK default is ten minutes) and bounded retries', () => {
    expect(OPENAI_MODERATION_DEFAULTS.timeoutMs).toBeLessThanOrEqual(30_000);
    expect(OPENAI_MODERATION_DEFAULTS.maxRetries).toBeLessThanOrEqual(3);
    expect(OPENAI_MODERATION_DEFAULTS.batchWindowMs).toBeLessThanOrEqual(10);
  });
});
