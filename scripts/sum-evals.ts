/**
 * Add up the JSON lines of scripts/measure-heldout.sh into one table: Instagram folds summed,
 * YouTube videos each and summed.   npx tsx scripts/sum-evals.ts < results.jsonl
 */
import { readFileSync } from 'node:fs';

interface Line {
  split: string;
  variant: string;
  path: string;
  result: { n: number; tp: number; fp: number; fn: number; tn: number; review: number };
}
const lines = readFileSync(0, 'utf8')
  .split('\n')
  .filter((l) => l.startsWith('{'))
  .map((l) => JSON.parse(l) as Line);
const groups = new Map<string, Line['result']>();
const add = (key: string, r: Line['result']) => {
  const g = groups.get(key) ?? { n: 0, tp: 0, fp: 0, fn: 0, tn: 0, review: 0 };
  for (const k of ['n', 'tp', 'fp', 'fn', 'tn', 'review'] as const) g[k] += r[k];
  groups.set(key, g);
};
for (const l of lines) {
  const dataset = l.split.startsWith('ig')
    ? 'instagram (4 folds by account)'
    : 'youtube (leave one video out)';
  add(`${dataset} | ${l.variant} | ${l.path}`, l.result);
  if (!l.split.startsWith('ig')) add(`${l.split} | ${l.variant} | ${l.path}`, l.result);
}
const r3 = (x: number) => x.toFixed(3);
console.log('| data | variant | decision path | n | tp | fp | fn | tn | review | precision | recall | F1 |');
console.log('|---|---|---|---|---|---|---|---|---|---|---|---|');
for (const [key, g] of [...groups.entries()].sort()) {
  const p = g.tp / Math.max(1, g.tp + g.fp);
  const r = g.tp / Math.max(1, g.tp + g.fn);
  const f1 = p + r === 0 ? 0 : (2 * p * r) / (p + r);
  console.log(
    `| ${key.split(' | ').join(' | ')} | ${g.n} | ${g.tp} | ${g.fp} | ${g.fn} | ${g.tn} | ${g.review} | ${r3(p)} | ${r3(r)} | ${r3(f1)} |`,
  );
}
