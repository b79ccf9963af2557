/**
 * Benchmark: OpenAI calls per comment and decision latency under a burst.
 *
 *   npm run bench -- classify [--seconds 5] [--rate 200] [--repeat 0.3] [--latency 300]
 *
 * A fake OpenAI (test/fakes/openai.ts) answers after 300 ms. Comments arrive at 200 per second,
 * 30% of them repeating an earlier comment (bot campaigns), and each goes through the classifier
 * part of the decision path as wired in production: the builtin model first (in-process), then
 * openai-moderation for every comment (a harassment rule that applies to all comments: the
 * worst case), and openai-policy only when the builtin spam score is undecided (between its
 * review and hide thresholds), the way a rule asks a paid question only after cheaper conditions
 * matched. Both OpenAI classifiers sit behind the normalised-text cache with single flight.
 * Prints one JSON object. Targets (issue 4): at most 0.2 calls per comment, p95 at most 1 s.
 */
import { parseArgs } from 'node:util';
import { builtinModel, createBuiltinClassifier } from '../src/classify/builtin/index.js';
import { MemoryClassifierCache } from '../src/classify/cache.js';
import { createClassifiers } from '../src/classify/registry.js';
import { normalise } from '../src/moderation/index.js';
import { startFakeOpenAI } from '../test/fakes/openai.js';
import { seededRandom } from '../test/support/random.js';

const NAMES = ['ava', 'sophie', 'maria', 'julie', 'kate', 'olivia', 'emma', 'grace', 'lily', 'nina'];
const SPAM = [
  (r: () => number) =>
    `i invested $${Math.ceil(r() * 9)},000 and got $${Math.ceil(r() * 90)},000 in ${Math.ceil(r() * 14)} days thanks to @${pick(r, NAMES)}_fx_${Math.floor(r() * 100)}`,
  (r: () => number) =>
    `all thanks to #${pick(r, NAMES)}_trades__ she is legit, my profit this week was $${Math.ceil(r() * 50)}k`,
  (r: () => number) => `first ${Math.ceil(r() * 20)} people to dm me "help" get $${Math.ceil(r() * 9)}000 🙏`,
  (r: () => number) =>
    `message me on whatsapp +44 7700 ${Math.floor(900000 + r() * 99999)} for crypto recovery`,
];
const HAM = [
  (r: () => number) =>
    `${pick(r, ['great', 'love', 'useful', 'helpful', 'nice'])} post, thanks for the ${pick(r, ['tips', 'breakdown', 'chart', 'video'])} ${pick(r, ['🙌', '🔥', '', '👏'])}`,
  (r: () => number) =>
    `does this ${pick(r, ['apply to', 'work for', 'include'])} ${pick(r, ['roth accounts', 'index funds', 'students', 'the uk'])}?`,
  (r: () => number) =>
    `@${pick(r, NAMES)}${Math.floor(r() * 1000)} look at this, we talked about it ${pick(r, ['yesterday', 'last week', 'at dinner'])}`,
  (r: () => number) =>
    `${pick(r, ['this is terrible advice', 'you are an idiot', 'i disagree with point', 'not sure about number'])} ${Math.ceil(r() * 5)}`,
  (r: () => number) =>
    `bought my first house at ${20 + Math.floor(r() * 20)} following this, ${pick(r, ['thank you', 'no regrets', 'still paying it off'])}`,
];

function pick<T>(r: () => number, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)] as T;
}

function percentile(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? 0;
}

export default async function bench(argv: readonly string[] = []): Promise<void> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      seconds: { type: 'string', default: '5' },
      rate: { type: 'string', default: '200' },
      repeat: { type: 'string', default: '0.3' },
      latency: { type: 'string', default: '300' },
    },
  });
  const seconds = Number(values.seconds);
  const rate = Number(values.rate);
  const repeat = Number(values.repeat);
  const fake = await startFakeOpenAI({ latencyMs: Number(values.latency) });
  const classifiers = createClassifiers({
    openai: { apiKey: 'bench', baseURL: fake.baseURL },
    cache: new MemoryClassifierCache(),
  });
  const builtin = createBuiltinClassifier();
  const moderation = classifiers.get('openai-moderation')!;
  const policy = classifiers.get('openai-policy')!;
  const { hide, review } = builtinModel().data.thresholds;
  const question =
    'Is this comment offering investment returns or asking people to contact an account manager?';

  const r = seededRandom(7);
  const total = Math.round(seconds * rate);
  const texts: string[] = [];
  for (let i = 0; i < total; i++) {
    if (i > 0 && r() < repeat) texts.push(texts[Math.floor(r() * i)]!);
    else texts.push(r() < 0.35 ? pick(r, SPAM)(r) : pick(r, HAM)(r));
  }

  // The builtin classifier's own cost per comment, offline and alone: with the abuse score (as
  // shipped) and without it (the spam model only, as before), side by side.
  const costOf = async (c: typeof builtin) => {
    const requests = texts.map((text) => ({ text, normalisedText: normalise(text) }));
    for (const q of requests.slice(0, 200)) await c.classify(q); // warm-up
    const t0 = performance.now();
    for (let round = 0; round < 3; round++) for (const q of requests) await c.classify(q);
    return Math.round(((performance.now() - t0) / (3 * requests.length)) * 1000) / 1000;
  };
  const builtinCost = {
    msPerComment: await costOf(builtin),
    spamOnlyMsPerComment: await costOf(createBuiltinClassifier({ abuse: false })),
  };

  const latencies: number[] = [];
  let decisions = 0;
  let policyAsked = 0;
  const decide = async (text: string) => {
    const started = performance.now();
    const request = { text, normalisedText: normalise(text), question };
    const local = await builtin.classify(request);
    const spam = local.scores.spam ?? 0;
    const asks: Promise<unknown>[] = [moderation.classify(request)];
    if (spam >= review && spam < hide) {
      policyAsked++;
      asks.push(policy.classify(request));
    }
    await Promise.all(asks);
    latencies.push(performance.now() - started);
    decisions++;
  };

  const started = performance.now();
  const pending: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((res) => setTimeout(res, wait));
    pending.push(decide(texts[i]!));
  }
  await Promise.all(pending);
  const wallMs = performance.now() - started;
  const moderationCalls = fake.count('/v1/moderations');
  const policyCalls = fake.count('/v1/chat/completions');
  await fake.close();
  const result = {
    bench: 'classify',
    comments: decisions,
    ratePerSecond: rate,
    repeatShare: repeat,
    fakeOpenAILatencyMs: Number(values.latency),
    openaiCalls: moderationCalls + policyCalls,
    moderationCalls,
    policyCalls,
    policyAsked,
    callsPerComment: Math.round(((moderationCalls + policyCalls) / decisions) * 1000) / 1000,
    latencyMs: {
      p50: Math.round(percentile(latencies, 50)),
      p95: Math.round(percentile(latencies, 95)),
      p99: Math.round(percentile(latencies, 99)),
      max: Math.round(percentile(latencies, 100)),
    },
    wallSeconds: Math.round(wallMs / 100) / 10,
    builtin: builtinCost,
    targets: { callsPerComment: 0.2, p95Ms: 1000 },
  };
  console.log(JSON.stringify(result));
}
