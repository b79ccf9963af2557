/**
 * What learning from moderators buys, measured on the labelled datasets (docs/classifiers.md,
 * "Learning from this deployment's moderators"). A simulated deployment: its history is half the
 * brand-page customer posts (fb, evaluation-only for the shipped model) and half the Instagram
 * accounts; its moderators approve every customer post the shipped model hid or held (reversals)
 * and hide every scam it left up (manual hides), as `modbot train --from-audit` would read them
 * from the audit log. The model fine-tuned on those labels (the same fineTune, same options) is
 * then scored against the shipped one on the OTHER half, which no label came from, and on the
 * @SpotifyCares replies, which neither saw.
 *
 *   npx tsx scripts/learn-eval.ts [<datasets dir>] [--l2 1]
 *
 * Prints one JSON object. Deterministic (fixed split by row position / account name).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_FINE_TUNE, fineTune, type TrainingLabel } from '../src/classify/builtin/fine-tune.js';
import { builtinModel, LinearModel } from '../src/classify/builtin/index.js';
import { BUILTIN_MODEL } from '../src/classify/builtin/weights.generated.js';
import { parseCsvRecords, readLabelledCsv } from '../src/classify/labelled-csv.js';
import { normalise } from './lib/normalise.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    l2: { type: 'string', default: String(DEFAULT_FINE_TUNE.l2) },
    'anchor-weight': { type: 'string', default: String(DEFAULT_FINE_TUNE.anchorWeight) },
    anchors: { type: 'string', default: '2000' },
    steps: { type: 'string', default: String(DEFAULT_FINE_TUNE.steps) },
  },
});
const dir = positionals[0] ?? '../shared/datasets';
const l2 = Number(values.l2);
const anchorWeight = Number(values['anchor-weight']);
const anchorLimit = Number(values.anchors);
const steps = Number(values.steps);
const { hide, review } = BUILTIN_MODEL.thresholds;

const texts = (file: string, column: string) =>
  parseCsvRecords(readFileSync(join(dir, file), 'utf8'))
    .map((r) => r[column] ?? '')
    .filter((t) => t.trim().length > 0)
    .map((t) => normalise(t));

const fb = texts('customer-messages/fb-brand-page-posts.csv', 'text');
const twcs = texts('customer-messages/twcs-spotifycares.csv', 'text');
const ig = readLabelledCsv(join(dir, 'instagram-scam/instagram-scam-comments.dev.csv'), {
  text: 'text',
  label: 'label_spam',
  positive: ['1'],
}).map((r) => ({ text: normalise(r.text), positive: r.positive, account: r.columns.account ?? '' }));

// History and future: fb by row position, Instagram by account (a campaign stays on one side).
const accounts = [...new Set(ig.map((r) => r.account))].sort();
const historyAccounts = new Set(accounts.filter((_, i) => i % 2 === 0));
const fbHistory = fb.filter((_, i) => i % 2 === 0);
const fbFuture = fb.filter((_, i) => i % 2 === 1);
const igHistory = ig.filter((r) => historyAccounts.has(r.account));
const igFuture = ig.filter((r) => !historyAccounts.has(r.account));

const shipped = builtinModel();
const score = (m: LinearModel, t: string) => m.score(t).score;

// The moderators' labels on the history: reversals/approvals of what the shipped model hid or
// held among customers and genuine Instagram comments; manual hides of the scams it left up.
const labels: TrainingLabel[] = [];
for (const t of fbHistory)
  if (score(shipped, t) >= review) labels.push({ normalisedText: t, positive: false });
for (const r of igHistory) {
  const s = score(shipped, r.text);
  if (!r.positive && s >= review) labels.push({ normalisedText: r.text, positive: false });
  if (r.positive && s < hide) labels.push({ normalisedText: r.text, positive: true });
}

// Anchors: the history's other comments (what `modbot train` takes from the stored decisions),
// evenly spaced, at most --anchors.
const labelled = new Set(labels.map((l) => l.normalisedText));
const others = [...fbHistory, ...igHistory.map((r) => r.text)].filter((t) => !labelled.has(t));
const every = Math.max(1, Math.ceil(others.length / Math.max(1, anchorLimit)));
const anchors = anchorLimit > 0 ? others.filter((_, i) => i % every === 0) : [];

const started = performance.now();
const tuned = fineTune(BUILTIN_MODEL, labels, { ...DEFAULT_FINE_TUNE, l2, anchorWeight, steps }, anchors);
const trainSeconds = (performance.now() - started) / 1000;
const learned = LinearModel.fromData(tuned.model);

function customers(rows: readonly string[]) {
  const out = (m: LinearModel) => {
    let hidden = 0;
    let held = 0;
    for (const t of rows) {
      const s = score(m, t);
      if (s >= hide) hidden++;
      else if (s >= review) held++;
    }
    return {
      n: rows.length,
      hidden,
      held,
      hiddenRate: round(hidden / rows.length),
      heldRate: round(held / rows.length),
    };
  };
  return { shipped: out(shipped), learned: out(learned) };
}

function scams(rows: readonly { text: string; positive: boolean }[]) {
  const out = (m: LinearModel) => {
    let tp = 0;
    let fp = 0;
    let fn = 0;
    let heldSpam = 0;
    for (const r of rows) {
      const s = score(m, r.text);
      if (r.positive && s >= hide) tp++;
      else if (r.positive) {
        fn++;
        if (s >= review) heldSpam++;
      } else if (s >= hide) fp++;
    }
    return {
      n: rows.length,
      tp,
      fp,
      fn,
      heldSpam,
      precision: round(tp / Math.max(1, tp + fp)),
      recall: round(tp / Math.max(1, tp + fn)),
    };
  };
  return { shipped: out(shipped), learned: out(learned) };
}

function round(x: number): number {
  return Math.round(x * 10_000) / 10_000;
}

console.log(
  JSON.stringify({
    bench: 'learn-from-moderators',
    thresholds: { hide, review },
    l2,
    anchorWeight,
    steps,
    anchors: anchors.length,
    labels: {
      total: labels.length,
      positive: labels.filter((l) => l.positive).length,
      negative: labels.filter((l) => !l.positive).length,
    },
    trainSeconds: round(trainSeconds),
    version: tuned.model.version,
    changedFeatures: tuned.changedFeatures,
    newFeatures: tuned.newFeatures,
    future: {
      fbCustomers: customers(fbFuture),
      instagramAccounts: scams(igFuture),
    },
    unseen: { twcsSpotifyCares: customers(twcs) },
    history: { fbCustomers: customers(fbHistory), instagramAccounts: scams(igHistory) },
  }),
);
