/**
 * Benchmark: rule evaluation throughput (issue 3, Must 11).
 *
 *   npm run bench -- rules [--seconds 3] [--terms 5000]
 *
 * The compiled default rule set (rules/) plus a generated blocklist of 5,000 words and phrases
 * runs over a mixed corpus of spam, evasive spam and ordinary comments, through the full
 * `evaluate` (normalisation, one Aho–Corasick pass for all terms, every condition, conflict
 * resolution, decision). Against it, in the same run, a naive AutoModerator-style loop: one
 * case-insensitive whole-word regex per term (the same terms), tried in turn on the raw text
 * until one matches — without normalisation or any other condition, so the naive side does less.
 * Rates are per CPU second of this process (one core), so a busy machine does not skew them;
 * wall-clock rates are printed too. Prints one JSON object. Targets: at least 50,000 comments/s
 * on one core, at least 10x naive.
 */
import { parseArgs } from 'node:util';
import {
  type CNode,
  evaluate,
  InMemoryRepetitionCounter,
  loadRuleSet,
  type RuleSet,
} from '../src/moderation/index.js';
import { readRuleFiles } from '../src/rules-source/files.js';
import type { InstagramEvent } from '../src/webhook/events.js';
import { seededRandom } from '../test/support/random.js';

function pick<T>(r: () => number, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)] as T;
}

const SYLLABLES = [
  'ka',
  'zor',
  'mi',
  'plex',
  'tran',
  'vo',
  'quil',
  'ber',
  'nax',
  'dro',
  'sel',
  'fu',
  'gri',
  'lon',
  'tev',
  'yam',
  'osh',
  'rik',
  'pa',
  'wen',
];

/** Deterministic made-up words and two-word phrases (a brand's blocklist of slurs, rivals, scams). */
function blocklist(n: number): string[] {
  const r = seededRandom(42);
  const out = new Set<string>();
  while (out.size < n) {
    const word = () => Array.from({ length: 2 + Math.floor(r() * 2) }, () => pick(r, SYLLABLES)).join('');
    out.add(r() < 0.2 ? `${word()} ${word()}` : word());
  }
  return [...out];
}

const NAMES = ['ava', 'sophie', 'maria', 'julie', 'kate', 'olivia', 'emma', 'grace'];
const TEMPLATES: Array<(r: () => number) => string> = [
  (r) =>
    `i invested $${Math.ceil(r() * 9)},000 and got $${Math.ceil(r() * 90)},000 thanks to @${pick(r, NAMES)}_fx_${Math.floor(r() * 100)}`,
  (r) => `𝐃𝐌 𝐦𝐞 on @cash.flow_${pick(r, NAMES)} for passive income`,
  (r) => `d\u200bm me for a crypto opportunity ${pick(r, ['🔥', '💰', ''])}`,
  (r) => `first ${Math.ceil(r() * 20)} people to message me get 5 grand 🙏`,
  (r) => `join t(dot)me/signals${Math.floor(r() * 1000)} now`,
  (r) =>
    `${pick(r, ['great', 'love', 'useful', 'helpful', 'nice'])} post, thanks for the ${pick(r, ['tips', 'breakdown', 'chart', 'video'])} ${pick(r, ['🙌', '🔥', '', '👏'])}`,
  (r) =>
    `does this ${pick(r, ['apply to', 'work for', 'include'])} ${pick(r, ['roth accounts', 'index funds', 'students', 'the uk'])}?`,
  (r) =>
    `@${pick(r, NAMES)}${Math.floor(r() * 1000)} look at this, we talked about it ${pick(r, ['yesterday', 'last week', 'at dinner'])}`,
  (r) =>
    `bought my first house at ${20 + Math.floor(r() * 20)} following this, ${pick(r, ['thank you', 'no regrets', 'still paying it off'])}`,
  (r) =>
    `${pick(r, ['honestly', 'wow', 'so'])} the colours in this one are ${pick(r, ['amazing', 'stunning', 'a bit much'])}, where was it taken? ${pick(r, ['😍', '', '📸'])}`,
  (r) => `Nice pics! Send it to @featured_${pick(r, NAMES)} to get featured`,
  (r) =>
    `I have been following you for ${Math.ceil(r() * 9)} years and this is the best video you have made, keep going!`,
];

function event(text: string, i: number): InstagramEvent {
  return {
    kind: 'comment',
    accountId: 'bench',
    field: 'comments',
    commentId: `c${i}`,
    mediaId: 'm1',
    parentId: null,
    text,
    author: { id: `u${i % 500}`, username: `user${i % 500}` },
    fromSelf: false,
    mediaProductType: 'FEED',
    adId: null,
    sentAt: new Date(0),
    isTest: false,
  };
}

function termsOf(ruleSet: RuleSet): string[] {
  const out: string[] = [];
  const walk = (n: CNode): void => {
    if (n.t === 'leaf') {
      if (n.leaf.kind === 'terms') out.push(...n.leaf.terms.map((t) => t.display));
    } else if (n.t === 'not') walk(n.child);
    else for (const c of n.children) walk(c);
  };
  for (const r of ruleSet.rules) walk(r.when);
  return out;
}

function cpuSeconds(since: NodeJS.CpuUsage): number {
  const u = process.cpuUsage(since);
  return (u.user + u.system) / 1e6;
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export default async function bench(argv: readonly string[] = []): Promise<void> {
  const { values } = parseArgs({
    args: [...argv],
    options: { seconds: { type: 'string', default: '3' }, terms: { type: 'string', default: '5000' } },
  });
  const seconds = Number(values.seconds);
  const termCount = Number(values.terms);

  const files = await readRuleFiles('rules');
  const words = blocklist(termCount);
  files.push({
    path: 'rules/zz-bench-blocklist.yaml',
    content: `lists:\n  blocklist:\n${words.map((w) => `    - "${w}"`).join('\n')}\nrules:\n  - id: blocklist\n    when:\n      text contains any: {list: blocklist}\n    action: hide\n`,
  });
  const compileStarted = performance.now();
  const loaded = loadRuleSet(files);
  const compileMs = performance.now() - compileStarted;
  if (!loaded.ok) throw new Error(loaded.errors.map((e) => e.format()).join('\n'));
  const ruleSet = loaded.ruleSet;

  // Corpus: 4,000 distinct comments; 1 in 50 carries a blocklist word.
  const r = seededRandom(7);
  const corpus: InstagramEvent[] = [];
  for (let i = 0; i < 4000; i++) {
    let text = pick(r, TEMPLATES)(r);
    if (i % 50 === 0) text += ` ${pick(r, words)}`;
    corpus.push(event(text, i));
  }

  const ports = { repetition: new InMemoryRepetitionCounter() };
  // Warm-up (JIT), then timed.
  for (let i = 0; i < 4000; i++)
    await evaluate(ruleSet, { event: corpus[i % corpus.length] as InstagramEvent }, ports);
  let compiledCount = 0;
  let matched = 0;
  const cpuStarted = process.cpuUsage();
  const started = performance.now();
  const deadline = started + seconds * 1000;
  while (performance.now() < deadline) {
    for (let k = 0; k < 500; k++) {
      const d = await evaluate(
        ruleSet,
        { event: corpus[compiledCount % corpus.length] as InstagramEvent },
        ports,
      );
      if (d.outcome === 'matched') matched++;
      compiledCount++;
    }
  }
  const compiledSeconds = (performance.now() - started) / 1000;
  const compiledCpu = cpuSeconds(cpuStarted);

  // Naive: one case-insensitive whole-word regex per term, in turn, on the raw text.
  const terms = termsOf(ruleSet);
  const regexes = terms.map((t) => new RegExp(`\\b${escapeRegex(t)}\\b`, 'i'));
  let naiveCount = 0;
  let naiveMatched = 0;
  const naiveCpuStarted = process.cpuUsage();
  const naiveStarted = performance.now();
  const naiveDeadline = naiveStarted + seconds * 1000;
  while (performance.now() < naiveDeadline) {
    for (let k = 0; k < 50; k++) {
      const text = (corpus[naiveCount % corpus.length] as InstagramEvent).text ?? '';
      for (const re of regexes) {
        if (re.test(text)) {
          naiveMatched++;
          break;
        }
      }
      naiveCount++;
    }
  }
  const naiveSeconds = (performance.now() - naiveStarted) / 1000;
  const naiveCpu = cpuSeconds(naiveCpuStarted);

  // Rates per CPU second of this process (what one core does), robust to a busy machine; the
  // wall-clock rates are reported too.
  const compiledRate = compiledCount / compiledCpu;
  const naiveRate = naiveCount / naiveCpu;
  const result = {
    bench: 'rules',
    node: process.version,
    rules: ruleSet.rules.length,
    terms: terms.length,
    blocklistTerms: words.length,
    compileMs: Math.round(compileMs),
    corpus: corpus.length,
    compiled: {
      comments: compiledCount,
      commentsPerSecond: Math.round(compiledRate),
      microsecondsPerComment: Number((1e6 / compiledRate).toFixed(2)),
      wallCommentsPerSecond: Math.round(compiledCount / compiledSeconds),
      matchedShare: Number((matched / compiledCount).toFixed(3)),
    },
    naive: {
      comments: naiveCount,
      commentsPerSecond: Math.round(naiveRate),
      microsecondsPerComment: Number((1e6 / naiveRate).toFixed(2)),
      wallCommentsPerSecond: Math.round(naiveCount / naiveSeconds),
      matchedShare: Number((naiveMatched / naiveCount).toFixed(3)),
    },
    speedup: Number((compiledRate / naiveRate).toFixed(1)),
    targets: { commentsPerSecond: 50_000, speedup: 10 },
    pass: compiledRate >= 50_000 && compiledRate / naiveRate >= 10,
  };
  console.log(JSON.stringify(result));
}
