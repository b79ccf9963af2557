/**
 * Hold out whole groups (accounts, videos), never random rows: bot campaigns repeat the same
 * text, so a random split puts one campaign on both sides and flatters the model.
 *
 *   tsx scripts/split.ts <csv> --group account --fold 1/4 --out-dir .modbot/split
 *
 * Groups are dealt to folds largest first, each to the smallest fold so far (deterministic);
 * fold i/k goes to <name>.test.csv, the rest to <name>.train.csv. `--test a,b` names the test
 * groups instead. `--clean-test` prepares the test file's tweets as the customer messages were
 * prepared (Twitter's t.co link wrappers and a leading "RT @x:" removed: an Instagram comment
 * has neither), so a held-out tweet is not hidden for a link it would not carry.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseCsvRecords } from '../src/classify/labelled-csv.js';
import { toCsv } from './lib/csv-write.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    group: { type: 'string' },
    fold: { type: 'string' },
    test: { type: 'string' },
    'out-dir': { type: 'string', default: '.modbot/split' },
    'clean-test': { type: 'boolean', default: false },
  },
});
const file = positionals[0];
if (!file || !values.group || (!values.fold && !values.test)) {
  console.error(
    'usage: tsx scripts/split.ts <csv> --group <col> (--fold i/k | --test g1,g2) [--out-dir dir]',
  );
  process.exit(2);
}
const records = parseCsvRecords(readFileSync(file, 'utf8'));
const header = Object.keys(records[0] ?? {});
const group = values.group;
let testGroups: Set<string>;
if (values.test) testGroups = new Set(values.test.split(','));
else {
  const [i, k] = values.fold!.split('/').map(Number) as [number, number];
  const sizes = new Map<string, number>();
  for (const r of records) sizes.set(r[group] ?? '', (sizes.get(r[group] ?? '') ?? 0) + 1);
  const load = new Array<number>(k).fill(0);
  testGroups = new Set();
  for (const [g, n] of [...sizes.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))) {
    let best = 0;
    for (let j = 1; j < k; j++) if (load[j]! < load[best]!) best = j;
    load[best] = load[best]! + n;
    if (best === i - 1) testGroups.add(g);
  }
}
const clean = (v: string) =>
  v
    .replace(/https?:\/\/t\.co\/\S*/gu, ' ')
    .replace(/^[\s!.]*rt\b:?(?:\s*@\S+:?)?/iu, '')
    .trim();
const test = records
  .filter((r) => testGroups.has(r[group] ?? ''))
  .map((r) =>
    values['clean-test'] ? Object.fromEntries(Object.entries(r).map(([k, v]) => [k, clean(v)])) : r,
  );
const train = records.filter((r) => !testGroups.has(r[group] ?? ''));
mkdirSync(values['out-dir'], { recursive: true });
const stem = basename(file).replace(/\.csv$/i, '');
writeFileSync(join(values['out-dir'], `${stem}.train.csv`), toCsv(header, train));
writeFileSync(join(values['out-dir'], `${stem}.test.csv`), toCsv(header, test));
console.log(JSON.stringify({ train: train.length, test: test.length, testGroups: [...testGroups].sort() }));
