/**
 * Train the builtin spam/scam model and write its weights as a module.
 *
 *   npm run train -- <csv>... --text <col> --label <col> --positive <value> [options]
 *
 * Column flags take comma-separated candidates, the first present in each file wins, so files
 * with different headers train together:
 *   npm run train -- ig.csv yt1.csv yt2.csv --text text,CONTENT --label label_spam,CLASS --positive 1 \
 *     --group account,@file
 *
 * Options:
 *   --group <cols>     what to hold out together in cross-validation (default @file = the file name)
 *   --folds <k>        grouped k-fold report and calibration (default 5; 0 = no report, Platt a=1 b=0)
 *   --augment <n>      evasion-rewritten copies of each training row (default 1)
 *   --hide <p>         suggested hide threshold on the calibrated score (default 0.9)
 *   --review <p>       suggested review threshold (default 0.5)
 *   --epochs, --l2, --lr, --min-df, --seed, --pos-weight   optimiser settings (see scripts/lib/logreg.ts)
 *   --out <file>       default src/classify/builtin/weights.generated.ts; a .json file for
 *                      `modbot eval --builtin-model`; "-" = do not write
 *   --export <name>    the module's constant (default BUILTIN_MODEL; the abuse model: ABUSE_MODEL)
 *   --dedupe           learn each distinct (normalised) text once
 *   --max-features <n> keep the n largest weights (default 60000: a module well under 2 MB)
 *   --negatives <csv>:<text col>   extra genuine (negative) rows, e.g. customer messages and
 *                      ordinary tweets (rude is not spam); repeatable. Each row is its own group
 *                      in the cross-validation, so the report scores them out of fold too.
 *                      A leading "RT @x:" and t.co links are dropped.
 *   --negatives-limit <n>          at most n rows per file, evenly spaced (default 3000)
 *   --eval <csv>:<text col>        evaluation-only genuine rows (repeatable): scored by the final
 *                      model for the report and --sweep, never trained on
 *   --sweep            print precision/recall (out of fold) and hide/review rates per threshold
 *   --json             print the report as one JSON object on the last line
 *
 * Deterministic: the same files and flags produce the same bytes.
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { extractFeatures, FEATURE_VERSION } from '../src/classify/builtin/features.js';
import { type BuiltinModelData, sigmoid } from '../src/classify/builtin/model.js';
import { cleanCommentText, parseCsvRecords, readLabelledCsv } from '../src/classify/labelled-csv.js';
import { EVASION_KINDS, type EvasionKind, evade, evadeMixed } from './lib/evasion.js';
import {
  DEFAULT_LOGREG,
  fitPlatt,
  indexOf,
  type LogRegOptions,
  marginOf,
  pruneModel,
  trainLogReg,
} from './lib/logreg.js';
import { normalise } from './lib/normalise.js';

interface Row {
  readonly file: string;
  readonly group: string;
  readonly text: string;
  readonly positive: boolean;
  readonly features: string[];
}

interface Counts {
  n: number;
  tp: number;
  fp: number;
  fn: number;
  tn: number;
  review: number;
}

function pickColumn(candidates: string, columns: readonly string[], file: string, flag: string): string {
  for (const c of candidates.split(',')) if (c === '@file' || columns.includes(c)) return c;
  throw new Error(`${file}: none of --${flag} ${candidates} is a column (columns: ${columns.join(', ')})`);
}

export function loadRows(
  files: readonly string[],
  text: string,
  label: string,
  positive: string,
  group: string,
): Row[] {
  const rows: Row[] = [];
  for (const file of files) {
    // Resolve candidate columns against this file's header.
    const probe = Object.keys(parseCsvRecords(readFileSync(file, 'utf8'))[0] ?? {});
    const t = pickColumn(text, probe, file, 'text');
    const l = pickColumn(label, probe, file, 'label');
    const g = pickColumn(group, probe, file, 'group');
    for (const r of readLabelledCsv(file, { text: t, label: l, positive: positive.split(',') })) {
      const groupValue = g === '@file' ? basename(file) : `${basename(file)}:${r.columns[g] ?? ''}`;
      rows.push({
        file: basename(file),
        group: groupValue,
        text: r.text,
        positive: r.positive,
        features: extractFeatures(normalise(r.text)),
      });
    }
  }
  return rows;
}

/** Groups to folds: largest first, each to the currently smallest fold (deterministic, balanced). */
function assignFolds(rows: readonly Row[], k: number): Map<string, number> {
  const sizes = new Map<string, number>();
  for (const r of rows) sizes.set(r.group, (sizes.get(r.group) ?? 0) + 1);
  const groups = [...sizes.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  const load = new Array<number>(k).fill(0);
  const out = new Map<string, number>();
  for (const [g, n] of groups) {
    let best = 0;
    for (let i = 1; i < k; i++) if (load[i]! < load[best]!) best = i;
    out.set(g, best);
    load[best] = load[best]! + n;
  }
  return out;
}

function augmented(
  rows: readonly Row[],
  copies: number,
  dedupe = false,
): { docs: string[][]; labels: boolean[] } {
  const docs: string[][] = [];
  const labels: boolean[] = [];
  const seen = new Set<string>();
  rows.forEach((r, i) => {
    if (dedupe) {
      // A campaign posts one text hundreds of times; learning it once generalises better.
      const key = `${r.positive ? 1 : 0}:${r.features.join('\n')}`;
      if (seen.has(key)) return;
      seen.add(key);
    }
    docs.push(r.features);
    labels.push(r.positive);
    for (let c = 0; c < copies; c++) {
      docs.push(extractFeatures(normalise(evadeMixed(r.text, i * 31 + c + 1))));
      labels.push(r.positive);
    }
  });
  return { docs, labels };
}

function metrics(c: Counts) {
  const precision = c.tp + c.fp === 0 ? 1 : c.tp / (c.tp + c.fp);
  const recall = c.tp + c.fn === 0 ? 1 : c.tp / (c.tp + c.fn);
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  const r3 = (x: number) => Math.round(x * 1000) / 1000;
  return { ...c, precision: r3(precision), recall: r3(recall), f1: r3(f1) };
}

function count(scores: readonly number[], labels: readonly boolean[], hide: number, review: number): Counts {
  const c: Counts = { n: 0, tp: 0, fp: 0, fn: 0, tn: 0, review: 0 };
  scores.forEach((s, i) => {
    const y = labels[i]!;
    c.n++;
    const hidden = s >= hide;
    if (!hidden && s >= review) c.review++;
    if (hidden && y) c.tp++;
    else if (hidden) c.fp++;
    else if (y) c.fn++;
    else c.tn++;
  });
  return c;
}

/** Genuine rows from a `<csv>:<text col>` spec, at most `limit`, evenly spaced through the file. */
function loadNegatives(spec: string, limit: number): Row[] {
  const [file, col] = spec.split(/:(?=[^:]+$)/) as [string, string | undefined];
  const all = parseCsvRecords(readFileSync(file, 'utf8'));
  const n = Math.min(all.length, limit);
  const step = all.length / Math.max(1, n);
  const out: Row[] = [];
  for (let i = 0; i < n; i++) {
    const raw = cleanCommentText(all[Math.floor(i * step)]?.[col ?? 'text'] ?? '');
    // Twitter's t.co wrappers go, as in the customer-messages preparation (on Instagram there
    // are none); real links stay: genuine people link to news, products and their complaints.
    const text = raw
      .replace(/https?:\/\/t\.co\/\S*/gu, ' ')
      .replace(/^[\s!.]*rt\b:?(?:\s*@\S+:?)?/iu, '')
      .trim();
    if (!text) continue;
    out.push({
      file: basename(file),
      group: `${basename(file)}:${i}`,
      text,
      positive: false,
      features: extractFeatures(normalise(text)),
    });
  }
  return out;
}

/**
 * Per threshold: precision and recall out of fold on each labelled file (and recall under the
 * mixed evasion rewrite), and the share of genuine rows hidden in every all-genuine file.
 */
function printSweep(
  rows: readonly Row[],
  oof: readonly number[],
  evaded: readonly number[],
  evalScores: readonly { name: string; scores: readonly number[] }[],
  log: (s: string) => void,
): void {
  const files = [...new Set(rows.map((r) => r.file))];
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  log(`threshold | ${[...files, ...evalScores.map((e) => e.name)].join(' | ')}`);
  for (const t of [0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.93, 0.95, 0.97, 0.98, 0.99]) {
    const cells = files.map((file) => {
      let tp = 0;
      let fp = 0;
      let fn = 0;
      let ev = 0;
      let neg = 0;
      rows.forEach((r, i) => {
        if (r.file !== file) return;
        const hit = oof[i]! >= t;
        if (r.positive) {
          if (hit) tp++;
          else fn++;
          if ((evaded[i] ?? 0) >= t) ev++;
        } else {
          neg++;
          if (hit) fp++;
        }
      });
      if (tp + fn === 0) return `hide ${pct(fp / Math.max(1, neg))}`;
      return `P ${(tp / Math.max(1, tp + fp)).toFixed(3)} R ${(tp / (tp + fn)).toFixed(3)} ev ${(ev / (tp + fn)).toFixed(3)} fp ${fp}`;
    });
    for (const e of evalScores)
      cells.push(`hide ${pct(e.scores.filter((s) => s >= t).length / Math.max(1, e.scores.length))}`);
    log(`${t.toFixed(2)} | ${cells.join(' | ')}`);
  }
}

function main(): void {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      text: { type: 'string' },
      label: { type: 'string' },
      positive: { type: 'string' },
      group: { type: 'string', default: '@file' },
      folds: { type: 'string', default: '5' },
      augment: { type: 'string', default: '1' },
      hide: { type: 'string', default: '0.9' },
      review: { type: 'string', default: '0.5' },
      epochs: { type: 'string' },
      l2: { type: 'string' },
      lr: { type: 'string' },
      'min-df': { type: 'string' },
      seed: { type: 'string' },
      nb: { type: 'string' },
      'pos-weight': { type: 'string' },
      dedupe: { type: 'boolean', default: false },
      'max-features': { type: 'string', default: '60000' },
      negatives: { type: 'string', multiple: true },
      eval: { type: 'string', multiple: true },
      sweep: { type: 'boolean', default: false },
      'negatives-limit': { type: 'string', default: '3000' },
      out: { type: 'string', default: 'src/classify/builtin/weights.generated.ts' },
      export: { type: 'string', default: 'BUILTIN_MODEL' },
      json: { type: 'boolean', default: false },
      oof: { type: 'string' },
    },
  });
  if (positionals.length === 0 || !values.text || !values.label || !values.positive) {
    console.error(
      'usage: npm run train -- <csv>... --text <col> --label <col> --positive <value> [--group <col>] [--folds k]',
    );
    process.exit(2);
  }
  const opts: LogRegOptions = {
    ...DEFAULT_LOGREG,
    ...(values.epochs ? { epochs: Number(values.epochs) } : {}),
    ...(values.l2 ? { l2: Number(values.l2) } : {}),
    ...(values.lr ? { learningRate: Number(values.lr) } : {}),
    ...(values['min-df'] ? { minDf: Number(values['min-df']) } : {}),
    ...(values.seed ? { seed: Number(values.seed) } : {}),
    ...(values.nb ? { nbAlpha: Number(values.nb) } : {}),
    ...(values['pos-weight'] ? { positiveWeight: Number(values['pos-weight']) } : {}),
  };
  const copies = Number(values.augment);
  const maxFeatures = Number(values['max-features']);
  const hide = Number(values.hide);
  const review = Number(values.review);
  const started = performance.now();
  const rows = loadRows(positionals, values.text, values.label, values.positive, values.group);
  const log = (s: string) => console.error(s);
  // Extra genuine rows (customer messages, ordinary tweets): every row its own group, so they
  // take part in the grouped cross-validation (each is scored by a model that did not see it).
  for (const spec of values.negatives ?? []) {
    const extra = loadNegatives(spec, Number(values['negatives-limit']));
    rows.push(...extra);
    log(`${extra.length} extra negatives from ${spec}`);
  }
  // Evaluation-only files (licences that forbid training on them): scored by the final model,
  // never learnt from; they calibrate the thresholds, they never move a weight.
  const evalSets = (values.eval ?? []).map((spec) => ({
    name: basename(spec.split(/:(?=[^:]+$)/)[0] ?? spec),
    rows: loadNegatives(spec, Number.POSITIVE_INFINITY),
  }));
  log(
    `${rows.length} rows (${rows.filter((r) => r.positive).length} positive) from ${positionals.length} file(s)`,
  );

  const k = Number(values.folds);
  let calibration = { a: 1, b: 0 };
  const report: Record<string, unknown> = {};
  // Calibrated out-of-fold scores (plain, and the mixed evasion rewrite of positives), for --sweep.
  let oofScores: number[] | undefined;
  let oofEvaded: number[] | undefined;
  if (k > 1) {
    const folds = assignFolds(rows, k);
    const oof = new Array<number>(rows.length).fill(0);
    const evaded = new Map<EvasionKind | 'mixed', number[]>();
    for (let f = 0; f < k; f++) {
      const train = rows.filter((r) => folds.get(r.group) !== f);
      const { docs, labels } = augmented(train, copies, values.dedupe);
      const model = pruneModel(trainLogReg(docs, labels, opts), maxFeatures);
      const index = indexOf(model);
      rows.forEach((r, i) => {
        if (folds.get(r.group) !== f) return;
        oof[i] = marginOf(model, index, r.features);
        if (!r.positive) return;
        for (const kind of [...EVASION_KINDS, 'mixed'] as const) {
          const text = kind === 'mixed' ? evadeMixed(r.text, i + 1) : evade(r.text, kind, i + 1);
          const list = evaded.get(kind) ?? new Array<number>(rows.length).fill(Number.NaN);
          list[i] = marginOf(model, index, extractFeatures(normalise(text)));
          evaded.set(kind, list);
        }
      });
      log(`fold ${f + 1}/${k}: trained on ${train.length} rows, ${model.features.length} features`);
    }
    calibration = fitPlatt(
      oof,
      rows.map((r) => r.positive),
    );
    const cal = (m: number) => sigmoid(calibration.a * m + calibration.b);
    if (values.oof) {
      // Out-of-fold scores for threshold analysis: file, group, label, plain, then each evasion kind.
      const kinds = [...evaded.keys()];
      const lines = [['file', 'group', 'label', 'plain', ...kinds].join('\t')];
      rows.forEach((r, i) => {
        const ev = kinds.map((kd) => {
          const v = evaded.get(kd)?.[i];
          return v === undefined || Number.isNaN(v) ? '' : cal(v).toFixed(4);
        });
        lines.push([r.file, r.group, r.positive ? 1 : 0, cal(oof[i]!).toFixed(4), ...ev].join('\t'));
      });
      writeFileSync(values.oof, `${lines.join('\n')}\n`);
    }
    for (const file of [...new Set(rows.map((r) => r.file))]) {
      const ids = rows.map((r, i) => (r.file === file ? i : -1)).filter((i) => i >= 0);
      const plain = metrics(
        count(
          ids.map((i) => cal(oof[i]!)),
          ids.map((i) => rows[i]!.positive),
          hide,
          review,
        ),
      );
      const evasion: Record<string, number> = {};
      for (const [kind, list] of evaded) {
        const pos = ids.filter((i) => rows[i]!.positive);
        const hit = pos.filter((i) => cal(list[i]!) >= hide).length;
        evasion[kind] = Math.round((hit / Math.max(1, pos.length)) * 1000) / 1000;
      }
      report[file] = { heldOut: 'grouped k-fold', ...plain, evasionRecall: evasion };
      log(`${file}: ${JSON.stringify(report[file])}`);
    }
    oofScores = oof.map(cal);
    oofEvaded = (evaded.get('mixed') ?? []).map(cal);
  }

  const { docs, labels } = augmented(rows, copies, values.dedupe);
  const model = pruneModel(trainLogReg(docs, labels, opts), maxFeatures);
  const finalIndex = indexOf(model);
  const scoreOf = (r: Row) =>
    sigmoid(calibration.a * marginOf(model, finalIndex, r.features) + calibration.b);
  const evalScores = evalSets.map((set) => ({ name: set.name, scores: set.rows.map(scoreOf) }));
  for (const set of evalScores) {
    const c = count(
      set.scores,
      set.scores.map(() => false),
      hide,
      review,
    );
    report[set.name] = {
      heldOut: 'evaluation only (never trained on)',
      n: c.n,
      hide: c.fp,
      review: c.review,
      hideRate: Math.round((c.fp / Math.max(1, c.n)) * 10000) / 10000,
      reviewRate: Math.round((c.review / Math.max(1, c.n)) * 10000) / 10000,
    };
    log(`${set.name}: ${JSON.stringify(report[set.name])}`);
  }
  if (values.sweep && oofScores) printSweep(rows, oofScores, oofEvaded ?? [], evalScores, log);
  // Keep only features that carry weight: smaller module, same scores to float32 precision.
  const keep = model.features.map((_, i) => i).filter((i) => Math.abs(model.weights[i]!) >= 1e-4);
  const features = keep.map((i) => model.features[i]!);
  const weights = Float32Array.from(keep.map((i) => model.weights[i]!));
  const buf = Buffer.from(weights.buffer, weights.byteOffset, weights.byteLength);
  const version = createHash('sha256')
    .update(features.join('\n'))
    .update(buf)
    .update(JSON.stringify(calibration))
    .digest('hex')
    .slice(0, 12);
  const data: BuiltinModelData = {
    format: 'modbot-linear-v1',
    featureVersion: FEATURE_VERSION,
    version,
    trainedOn: `${[...positionals, ...(values.negatives ?? [])].map((p) => basename(p)).join(', ')}: ${rows.length} rows, ${rows.filter((r) => r.positive).length} positive; augment ${copies}; ${JSON.stringify(opts)}`,
    bias: model.bias,
    calibration,
    thresholds: { hide, review },
    features: features.join('\n'),
    weights: buf.toString('base64'),
  };
  if (values.out !== '-' && values.out.endsWith('.json')) {
    // For experiments and held-out measurement: `modbot eval --builtin-model <file.json>`.
    writeFileSync(values.out, JSON.stringify(data));
    log(`wrote ${values.out}: ${features.length} features, version ${version}`);
  } else if (values.out !== '-') {
    const body = `// Generated by scripts/train.ts: do not edit. Retrain with the command in docs/classifiers.md.\nimport type { BuiltinModelData } from './model.js';\n\n// biome-ignore format: generated, byte-identical to what scripts/train.ts writes\nexport const ${values.export}: BuiltinModelData = ${JSON.stringify(data, null, 1)};\n`;
    writeFileSync(values.out, body);
    log(
      `wrote ${values.out}: ${features.length} features, ${(body.length / 1024).toFixed(0)} KiB, version ${version}`,
    );
  }
  const summary = {
    version,
    features: features.length,
    calibration,
    thresholds: { hide, review },
    seconds: Math.round((performance.now() - started) / 100) / 10,
    report,
  };
  if (values.json) console.log(JSON.stringify(summary));
  else console.log(JSON.stringify(summary, null, 2));
}

main();
