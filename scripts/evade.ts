/**
 * Write the evasion variant of a labelled CSV: every positive row's text rewritten the way
 * spammers dodge filters (look-alike letters, zero-width characters, fancy-font letters,
 * spaced-out letters or leetspeak; one kind per row, chosen by a seed), negatives unchanged.
 *
 *   tsx scripts/evade.ts <csv> --text <col> --label <col> --positive <v> [--kind mixed] --out <file>
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { cleanCommentText, parseCsvRecords } from '../src/classify/labelled-csv.js';
import { toCsv } from './lib/csv-write.js';
import { EVASION_KINDS, type EvasionKind, evade, evadeMixed } from './lib/evasion.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    text: { type: 'string' },
    label: { type: 'string' },
    positive: { type: 'string' },
    kind: { type: 'string', default: 'mixed' },
    out: { type: 'string' },
  },
});
const file = positionals[0];
const kind = values.kind as EvasionKind | 'mixed';
if (
  !file ||
  !values.text ||
  !values.label ||
  !values.positive ||
  !values.out ||
  (kind !== 'mixed' && !EVASION_KINDS.includes(kind))
) {
  console.error(
    `usage: tsx scripts/evade.ts <csv> --text <col> --label <col> --positive <v> [--kind mixed|${EVASION_KINDS.join('|')}] --out <file>`,
  );
  process.exit(2);
}
const records = parseCsvRecords(readFileSync(file, 'utf8'));
const header = Object.keys(records[0] ?? {});
const positives = new Set(values.positive.split(','));
let changed = 0;
const out = records.map((r, i) => {
  if (!positives.has((r[values.label!] ?? '').trim())) return r;
  const text = cleanCommentText(r[values.text!] ?? '');
  changed++;
  return { ...r, [values.text!]: kind === 'mixed' ? evadeMixed(text, i + 1) : evade(text, kind, i + 1) };
});
writeFileSync(values.out, toCsv(header, out));
console.log(JSON.stringify({ rows: records.length, rewritten: changed, kind }));
