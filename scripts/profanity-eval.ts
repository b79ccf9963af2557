/**
 * How the builtin `profanity` signal (the obscenity library's English lexicon, on normalised
 * text) agrees with human labels of offensive/hateful text.
 *
 *   npx tsx scripts/profanity-eval.ts <csv> --text tweet --label class --positive 0,1
 */
import { parseArgs } from 'node:util';
import { hasProfanity } from '../src/classify/builtin/index.js';
import { readLabelledCsv } from '../src/classify/labelled-csv.js';
import { normalise } from '../src/moderation/index.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { text: { type: 'string' }, label: { type: 'string' }, positive: { type: 'string' } },
});
if (!positionals[0] || !values.text || !values.label || !values.positive) {
  console.error(
    'usage: npx tsx scripts/profanity-eval.ts <csv> --text <col> --label <col> --positive <v[,v]>',
  );
  process.exit(2);
}
const rows = readLabelledCsv(positionals[0], {
  text: values.text,
  label: values.label,
  positive: values.positive.split(','),
});
const c = { tp: 0, fp: 0, fn: 0, tn: 0 };
const started = performance.now();
for (const r of rows) {
  const hit = hasProfanity(normalise(r.text));
  if (hit && r.positive) c.tp++;
  else if (hit) c.fp++;
  else if (r.positive) c.fn++;
  else c.tn++;
}
const r3 = (x: number) => Math.round(x * 1000) / 1000;
console.log(
  JSON.stringify({
    n: rows.length,
    ...c,
    precision: r3(c.tp / Math.max(1, c.tp + c.fp)),
    recall: r3(c.tp / Math.max(1, c.tp + c.fn)),
    msPerComment: r3((performance.now() - started) / rows.length),
  }),
);
