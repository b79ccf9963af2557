import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DailyBudget } from '../../src/classify/openai/budget.js';
import { createOpenAIPolicyClassifier } from '../../src/classify/openai/policy.js';
import { ClassifierError } from '../../src/moderation/index.js';
import { type FakeOpenAI, startFakeOpenAI } from '../fakes/openai.js';

const QUESTION =
  'Is this comment offering investment returns or asking people to contact an account manager?';
const req = (text: string, question: string | undefined = QUESTION) => ({
  text,
  normalisedText: text.toLowerCase(),
  ...(question === undefined ? {} : { question }),
});

describe('openai-policy against a fake OpenAI on loopback (real SDK)', () => {
  let fake: FakeOpenAI;
  beforeEach(async () => {
    fake = await startFakeOpenAI();
  });
  afterEach(async () => {
    await fake.close();
  });

  it('asks with a strict JSON schema and turns the validated answer into a yes score, reason and cost', async () => {
    const c = createOpenAIPolicyClassifier({ apiKey: 'k', baseURL: fake.baseURL, model: 'gpt-4o-mini' });
    const yes = await c.classify(req('I invested $500 and got $6,000, contact her on WhatsApp'));
    expect(yes.scores.yes).toBeCloseTo(0.93);
    expect(yes.reason).toMatch(/investment/);
    expect(yes.usage?.inputTokens).toBeGreaterThan(50);
    expect(yes.usage?.costUsd).toBeGreaterThan(0);
    expect(yes.version).toBe('gpt-4o-mini-2024-07-18');
    const no = await c.classify(req('Great post, thanks for sharing'));
    expect(no.scores.yes).toBeCloseTo(0.12);
    const body = fake.requests[0]!.body as {
      model: string;
      response_format: { type: string; json_schema: { strict: boolean } };
      messages: Array<{ content: string }>;
    };
    expect(body.model).toBe('gpt-4o-mini');
    expect(body.response_format.type).toBe('json_schema');
    expect(body.response_format.json_schema.strict).toBe(true);
    expect(body.messages[1]!.content).toContain(QUESTION);
  });

  it('uses the configured model', async () => {
    const c = createOpenAIPolicyClassifier({ apiKey: 'k', baseURL: fake.baseURL, model: 'gpt-4.1-nano' });
    await c.classify(req('hello'));
    expect((fake.requests[0]!.body as { model: string }).model).toBe('gpt-4.1-nano');
  });

  it('rejects answers that are not JSON or break the schema (code invalid_response)', async () => {
    const c = createOpenAIPolicyClassifier({ apiKey: 'k', baseURL: fake.baseURL });
    fake.enqueue({ kind: 'content', content: 'Yes, definitely a scam.' });
    await expect(c.classify(req('x'))).rejects.toMatchObject({ code: 'invalid_response' });
    fake.enqueue({
      kind: 'content',
      content: JSON.stringify({ answer: 'maybe', confidence: 2, reason: '' }),
    });
    await expect(c.classify(req('x'))).rejects.toMatchObject({ code: 'invalid_response' });
  });

  it('retries a 429 with retry-after, and reports a hang as a timeout', async () => {
    const c = createOpenAIPolicyClassifier({
      apiKey: 'k',
      baseURL: fake.baseURL,
      timeoutMs: 200,
      maxRetries: 1,
    });
    fake.enqueue({ kind: 'status', status: 429, retryAfterSeconds: 0 });
    await expect(c.classify(req('hi'))).resolves.toMatchObject({ provider: 'openai' });
    fake.enqueue({ kind: 'hang' }, { kind: 'hang' });
    await expect(c.classify(req('hi'))).rejects.toMatchObject({ code: 'timeout' });
  });

  it('stops calling when the daily call budget is spent, and starts again the next UTC day', async () => {
    let now = Date.parse('2026-11-28T10:00:00Z');
    const budget = new DailyBudget({ maxCallsPerDay: 2, maxUsdPerDay: 100, now: () => now });
    const c = createOpenAIPolicyClassifier({ apiKey: 'k', baseURL: fake.baseURL, budget });
    await c.classify(req('one'));
    await c.classify(req('two'));
    const error = await c.classify(req('three')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClassifierError);
    expect(error).toMatchObject({ code: 'budget_exhausted', classifier: 'openai-policy' });
    expect(fake.count('/v1/chat/completions')).toBe(2);
    now = Date.parse('2026-11-29T00:00:01Z');
    await c.classify(req('four'));
    expect(fake.count('/v1/chat/completions')).toBe(3);
  });

  it('stops when the spend budget is spent, counting the real cost of each call', async () => {
    const budget = new DailyBudget({ maxCallsPerDay: 1000, maxUsdPerDay: 0.0002 });
    const c = createOpenAIPolicyClassifier({ apiKey: 'k', baseURL: fake.baseURL, budget });
    let calls = 0;
    for (let i = 0; i < 20; i++) {
      try {
        await c.classify(req(`comment number ${i}`));
        calls++;
      } catch (e) {
        expect(e).toMatchObject({ code: 'budget_exhausted' });
        break;
      }
    }
    expect(calls).toBeGreaterThan(0);
    expect(calls).toBeLessThan(20);
    expect(budget.usage().usd).toBeLessThanOrEqual(0.0002);
  });

  it('needs a question', async () => {
    const c = createOpenAIPolicyClassifier({ apiKey: 'k', baseURL: fake.baseURL });
    await expect(c.classify({ text: 'x', normalisedText: 'x' })).rejects.toThrow(/needs a question/);
  });
});
