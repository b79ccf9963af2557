/**
 * `modbot eval <file.csv>... [--text cols] [--label cols] [--positive v] [--errors N] [--json]`
 * `modbot eval --suite [datasets dir]` (npm run eval): the standard sets in one table.
 *
 * Runs every row through the decision path (the rules in rules/ plus the classifiers as
 * configured; no Graph API calls, nothing written to the audit log) and prints, per file, n,
 * hide rate, review rate, and precision and recall of automatic hide/delete decisions where the
 * file has labels (a file without a label column counts every row as harmless: customer
 * messages). With --errors N, the N worst false hides and misses with the rule or the model
 * features that decided them. With --json, one JSON object per file on its own line.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Command } from 'commander';
import { type BuiltinModelData, builtinModel, createBuiltinClassifier } from '../classify/builtin/index.js';
import { MemoryClassifierCache } from '../classify/cache.js';
import { type LabelledRow, parseCsvRecords, readLabelledCsv } from '../classify/labelled-csv.js';
import { type ClassifierConfig, createClassifiers } from '../classify/registry.js';
import type { Env } from '../env.js';
import {
  type Classifier,
  evaluate,
  type FeatureContribution,
  formatContributions,
  loadRuleSet,
  normalise,
} from '../moderation/index.js';
import { readRuleFiles } from '../rules-source/files.js';
import { classifierConfigFromEnv } from '../runtime/create-runtime.js';
import type { InstagramEvent } from '../webhook/events.js';
import { envOrExit } from './env.js';

/** What the decision path did with one comment. `hide` and `delete` count as positive. */
export interface EvalDecision {
  readonly action: 'allow' | 'review' | 'hide' | 'delete' | (string & {});
  /** Which rule (or classifier) decided, for the breakdown. */
  readonly decidedBy?: string;
  /** The builtin spam score, when the decision path asked for it. */
  readonly spam?: number;
  readonly contributions?: readonly FeatureContribution[];
}

/** A row the decision path got wrong, for `--errors`. */
export interface EvalError {
  readonly kind: 'false hide' | 'miss';
  readonly line: number;
  readonly text: string;
  readonly action: string;
  readonly decidedBy: string | null;
  readonly spam: number | null;
  readonly contributions: readonly FeatureContribution[];
}

export type Decider = (text: string) => Promise<EvalDecision>;

export interface EvalReport {
  readonly file: string;
  readonly n: number;
  readonly tp: number;
  readonly fp: number;
  readonly fn: number;
  readonly tn: number;
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
  /** Rows sent to human review (not counted as positive decisions). */
  readonly review: number;
  readonly reviewPositive: number;
  readonly reviewNegative: number;
  /** Rows whose decision threw; counted as "allow". */
  readonly errors: number;
  /** The first such error, so a broken rule set or classifier is not mistaken for a bad model. */
  readonly firstError?: string;
  readonly decider: string;
  readonly byDecider: Readonly<Record<string, number>>;
  readonly msPerComment: number;
  /** False: the file has no label column; every row is counted as harmless. */
  readonly labelled?: boolean;
  /** Share of rows hidden or deleted, and share sent to review. */
  readonly hideRate?: number;
  readonly reviewRate?: number;
  /** The worst false hides (highest spam score first) and misses (lowest first), with --errors. */
  readonly worst?: readonly EvalError[];
}

const POSITIVE_ACTIONS = new Set(['hide', 'delete']);

export async function evaluateRows(
  rows: readonly LabelledRow[],
  decide: Decider,
  options: { concurrency?: number; name?: string; file?: string; errors?: number; labelled?: boolean } = {},
): Promise<EvalReport> {
  const wrong: EvalError[] = [];
  const counts = { tp: 0, fp: 0, fn: 0, tn: 0, review: 0, reviewPositive: 0, reviewNegative: 0, errors: 0 };
  const byDecider: Record<string, number> = {};
  let firstError: string | undefined;
  const started = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < rows.length) {
      const row = rows[next++]!;
      let decision: EvalDecision;
      try {
        decision = await decide(row.text);
      } catch (error) {
        counts.errors++;
        firstError ??= error instanceof Error ? error.message : String(error);
        decision = { action: 'allow', decidedBy: 'error' };
      }
      const hidden = POSITIVE_ACTIONS.has(decision.action);
      if (decision.decidedBy !== undefined && decision.action !== 'allow') {
        byDecider[decision.decidedBy] = (byDecider[decision.decidedBy] ?? 0) + 1;
      }
      if (!hidden && decision.action === 'review') {
        counts.review++;
        if (row.positive) counts.reviewPositive++;
        else counts.reviewNegative++;
      }
      if (hidden && row.positive) counts.tp++;
      else if (hidden) counts.fp++;
      else if (row.positive) counts.fn++;
      else counts.tn++;
      if ((options.errors ?? 0) > 0 && hidden !== row.positive) {
        wrong.push({
          kind: hidden ? 'false hide' : 'miss',
          line: row.line,
          text: row.text,
          action: decision.action,
          decidedBy: decision.decidedBy ?? null,
          spam: decision.spam ?? null,
          contributions: decision.contributions ?? [],
        });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 16) }, worker));
  const precision = counts.tp + counts.fp === 0 ? 0 : counts.tp / (counts.tp + counts.fp);
  const recall = counts.tp + counts.fn === 0 ? 0 : counts.tp / (counts.tp + counts.fn);
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  const r4 = (x: number) => Math.round(x * 10_000) / 10_000;
  return {
    file: options.file ?? '',
    n: rows.length,
    ...counts,
    precision: r4(precision),
    recall: r4(recall),
    f1: r4(f1),
    decider: options.name ?? 'custom',
    byDecider,
    msPerComment: r4((performance.now() - started) / Math.max(1, rows.length)),
    ...(firstError === undefined ? {} : { firstError }),
    labelled: options.labelled ?? true,
    hideRate: r4((counts.tp + counts.fp) / Math.max(1, rows.length)),
    reviewRate: r4(counts.review / Math.max(1, rows.length)),
    ...((options.errors ?? 0) > 0 ? { worst: worstErrors(wrong, options.errors ?? 0) } : {}),
  };
}

/** The N most confident false hides and the N least suspected misses, in file order of ties. */
function worstErrors(wrong: readonly EvalError[], n: number): EvalError[] {
  const byLine = (a: EvalError, b: EvalError) => a.line - b.line;
  const fps = wrong
    .filter((w) => w.kind === 'false hide')
    .sort((a, b) => (b.spam ?? 1) - (a.spam ?? 1) || byLine(a, b))
    .slice(0, n);
  const fns = wrong
    .filter((w) => w.kind === 'miss')
    .sort((a, b) => (a.spam ?? 0) - (b.spam ?? 0) || byLine(a, b))
    .slice(0, n);
  return [...fps, ...fns];
}

/**
 * The classifier-only decision: the builtin spam score against the model's suggested thresholds
 * (hide at or above `hide`, review at or above `review`). Used when no rule set is loaded.
 */
export function classifierOnlyDecider(
  classifier: Classifier,
  thresholds = builtinModel().data.thresholds,
): Decider {
  return async (text) => {
    const result = await classifier.classify({ text, normalisedText: normalise(text) });
    const spam = result.scores.spam ?? 0;
    const why = { spam, ...(result.contributions ? { contributions: result.contributions } : {}) };
    if (spam >= thresholds.hide)
      return { action: 'hide', decidedBy: `${classifier.name}.spam>=${thresholds.hide}`, ...why };
    if (spam >= thresholds.review)
      return { action: 'review', decidedBy: `${classifier.name}.spam>=${thresholds.review}`, ...why };
    return { action: 'allow', ...why };
  };
}

/**
 * How `modbot eval` gets its decision function. Replaced by the rules-backed decider once the
 * rule engine exposes one (see registerEval's `makeDecider`).
 */
export type DeciderFactory = (
  classifiers: ReadonlyMap<string, Classifier>,
  context: { readonly builtinThresholds: BuiltinModelData['thresholds'] },
) => Promise<{ decide: Decider; name: string }>;

export const classifierOnlyFactory: DeciderFactory = async (classifiers, context) => {
  const builtin = classifiers.get('builtin');
  if (builtin === undefined) throw new Error('no builtin classifier configured');
  return {
    decide: classifierOnlyDecider(builtin, context.builtinThresholds),
    name: 'builtin classifier only',
  };
};

/** A plain top-level comment by a stranger on a feed post: what most labelled rows are. */
export function evalEvent(text: string, row = 0): InstagramEvent {
  return {
    kind: 'comment',
    accountId: 'eval-account',
    field: 'comments',
    commentId: `eval-${row}`,
    mediaId: 'eval-media',
    parentId: null,
    text,
    author: { id: `eval-author-${row}`, username: `eval_user_${row}` },
    fromSelf: false,
    mediaProductType: 'FEED',
    adId: null,
    sentAt: new Date(0),
    isTest: false,
  };
}

/**
 * The full decision path: the rule files in `dir` (the default rules/) evaluated by the rule
 * engine, with the classifiers as configured. No repetition counter (rows are independent), no
 * Graph API, nothing stored. Shadow rules are recorded by the engine but not acted on, so they
 * do not count, exactly as in production.
 */
export function rulesDeciderFactory(dir: string): DeciderFactory {
  return async (classifiers) => {
    const loaded = loadRuleSet(await readRuleFiles(dir));
    if (!loaded.ok) {
      throw new Error(`${dir}: ${loaded.errors.map((e) => JSON.stringify(e)).join('\n')}`);
    }
    let row = 0;
    const decide: Decider = async (text) => {
      const d = await evaluate(loaded.ruleSet, { event: evalEvent(text, row++), text }, { classifiers });
      const builtin = d.classifierCalls.find((c) => c.classifier === 'builtin')?.result;
      return {
        action: d.action,
        ...(d.decidingRule === null ? {} : { decidedBy: d.decidingRule }),
        ...(builtin?.scores.spam === undefined ? {} : { spam: builtin.scores.spam }),
        ...(builtin?.contributions ? { contributions: builtin.contributions } : {}),
      };
    };
    return { decide, name: `rules in ${dir} + classifiers (${[...classifiers.keys()].join(', ')})` };
  };
}

export function formatReport(r: EvalReport): string {
  const pct = (x: number) => x.toFixed(3);
  return [
    `${r.file}: ${r.n} rows, decided by ${r.decider}`,
    `  tp ${r.tp}  fp ${r.fp}  fn ${r.fn}  tn ${r.tn}   (positive decision = automatic hide or delete)`,
    `  precision ${pct(r.precision)}  recall ${pct(r.recall)}  F1 ${pct(r.f1)}`,
    `  review ${r.review} (${r.reviewPositive} labelled positive, ${r.reviewNegative} negative)`,
    `  hide rate ${((r.hideRate ?? 0) * 100).toFixed(2)}%  review rate ${((r.reviewRate ?? 0) * 100).toFixed(2)}%${r.labelled === false ? '  (no label column: every row counted as harmless)' : ''}`,
    ...(r.errors ? [`  ERRORS ${r.errors} (counted as allow), first: ${r.firstError ?? ''}`] : []),
    `  ${r.msPerComment} ms per comment`,
  ].join('\n');
}

/** One row of the eval table: `-` where the file has no labels (precision needs positives). */
export function formatTable(reports: readonly EvalReport[]): string {
  const pct = (x: number | undefined) => `${((x ?? 0) * 100).toFixed(2)}%`;
  const rows = reports.map((r) => ({
    set: basename(r.file),
    n: String(r.n),
    labels: r.labelled === false ? 'none (all harmless)' : `${r.tp + r.fn} spam`,
    hide: pct(r.hideRate),
    review: pct(r.reviewRate),
    tpfp: `${r.tp}/${r.fp}/${r.fn}`,
    precision: r.labelled === false || r.tp + r.fp === 0 ? '-' : r.precision.toFixed(3),
    recall: r.labelled === false || r.tp + r.fn === 0 ? '-' : r.recall.toFixed(3),
  }));
  const head = {
    set: 'set',
    n: 'n',
    labels: 'labels',
    hide: 'hide',
    review: 'review',
    tpfp: 'tp/fp/fn',
    precision: 'precision',
    recall: 'recall',
  };
  const keys = Object.keys(head) as (keyof typeof head)[];
  const all = [head, ...rows];
  const width = (k: keyof typeof head) => Math.max(...all.map((r) => r[k].length));
  const line = (r: typeof head) =>
    keys.map((k, i) => (i === 0 ? r[k].padEnd(width(k)) : r[k].padStart(width(k)))).join('  ');
  return [line(head), keys.map((k) => '-'.repeat(width(k))).join('  '), ...rows.map(line)].join('\n');
}

/** `--errors`: each wrong row with the rule that decided it or the model features behind it. */
export function formatErrors(r: EvalReport): string {
  const out: string[] = [];
  for (const w of r.worst ?? []) {
    const score = w.spam === null ? '' : ` spam ${w.spam.toFixed(3)}`;
    const by = w.decidedBy ? `rule ${w.decidedBy}` : 'no rule';
    out.push(
      `  ${w.kind.padEnd(10)} line ${w.line} ${w.action} (${by})${score}: ${JSON.stringify(w.text.slice(0, 140))}`,
    );
    const moved = formatContributions(w.contributions);
    if (moved) out.push(`               moved by: ${moved}`);
  }
  return out.length > 0 ? [`${basename(r.file)}:`, ...out].join('\n') : '';
}

/**
 * The standard suite under a datasets folder (its layout: see docs/classifiers.md). Sets the
 * committed model was trained on are marked: their rows are in-sample, so their figures are
 * optimistic; held-out figures come from `npm run train` (grouped CV) and measure-heldout.sh.
 */
export const SUITE: readonly { path: string; trainedOn: boolean }[] = [
  { path: 'instagram-scam/instagram-scam-comments.dev.csv', trainedOn: true },
  { path: 'youtube-spam/Youtube01-Psy.csv', trainedOn: true },
  { path: 'youtube-spam/Youtube02-KatyPerry.csv', trainedOn: true },
  { path: 'youtube-spam/Youtube03-LMFAO.csv', trainedOn: true },
  { path: 'customer-messages/ibm-twitter-customer-care.csv', trainedOn: true },
  { path: 'customer-messages/fb-brand-page-posts.csv', trainedOn: false },
  { path: 'customer-messages/twcs-spotifycares.csv', trainedOn: false },
];

/** Read one file, taking the first present of each comma-separated column list. */
export function readEvalFile(
  file: string,
  columns: { text: string; label: string; positive: string },
): { rows: LabelledRow[]; labelled: boolean } {
  const header = Object.keys(parseCsvRecords(readFileSync(file, 'utf8'))[0] ?? {});
  const pick = (list: string) => list.split(',').find((c) => header.includes(c));
  const text = pick(columns.text);
  if (text === undefined) throw new Error(`no text column (${columns.text}) among ${header.join(', ')}`);
  const label = pick(columns.label);
  // No label column: a file of harmless messages (customer-messages/): every row negative.
  const rows = readLabelledCsv(file, {
    text,
    label: label ?? text,
    positive: label === undefined ? [] : columns.positive.split(','),
  });
  return { rows, labelled: label !== undefined };
}

interface EvalOptions {
  text: string;
  label: string;
  positive: string;
  json?: boolean;
  concurrency: string;
  builtinModel?: string;
  rules: string;
  classifierOnly?: boolean;
  errors: string;
  suite?: string | boolean;
}

/** Same settings as the running bot (src/runtime/create-runtime.ts), with an in-memory cache: eval writes nothing. */
export function classifierConfigOf(env: Env): ClassifierConfig {
  return classifierConfigFromEnv(env, new MemoryClassifierCache());
}

export function registerEval(program: Command, makeDecider?: DeciderFactory): void {
  program
    .command('eval')
    .description(
      'measure the decision path on CSV files: per file n, hide and review rates, precision/recall of automatic hide/delete where labelled',
    )
    .argument('[files...]', 'CSV files with a header row (BOM, quoted newlines and HTML entities are fine)')
    .option(
      '--text <columns>',
      'the text column (comma-separated candidates: the first present wins)',
      'text,CONTENT,tweet',
    )
    .option(
      '--label <columns>',
      'the label column (candidates); a file with none of them counts every row as harmless',
      'label_spam,CLASS',
    )
    // One value (comma-separated for several), so the file may come before or after the options.
    .option('--positive <value>', 'label value meaning "should be hidden" (several: 1,spam)', '1')
    .option('--suite [dir]', 'the standard sets under a datasets folder (default ../shared/datasets)')
    .option('--errors <n>', 'list the n worst false hides and misses per file, with what decided them', '0')
    .option('--json', 'print one JSON object per file, each on its own line')
    .option('--concurrency <n>', 'comments in flight at once (lets OpenAI batching work)', '16')
    .option('--rules <dir>', 'the rule files to evaluate', 'rules')
    .option(
      '--classifier-only',
      'skip the rules: hide/review by the builtin spam score and its suggested thresholds',
    )
    .option(
      '--builtin-model <file.json>',
      'use these builtin weights (from npm run train -- ... --out x.json) instead of the committed ones',
    )
    .action(async (fileArgs: string[], options: EvalOptions) => {
      let files = fileArgs;
      const inSample = new Set<string>();
      if (options.suite !== undefined) {
        const dir = typeof options.suite === 'string' ? options.suite : '../shared/datasets';
        if (!existsSync(dir)) {
          console.error(
            `No datasets folder at ${dir}: the standard suite needs the labelled data (see docs/classifiers.md). Pass its path: npm run eval -- <dir>`,
          );
          process.exit(2);
        }
        const present = SUITE.filter((s) => existsSync(join(dir, s.path)));
        for (const s of SUITE) if (!present.includes(s)) console.error(`(missing from the suite: ${s.path})`);
        files = [...files, ...present.map((s) => join(dir, s.path))];
        for (const s of present) if (s.trainedOn && !options.builtinModel) inSample.add(join(dir, s.path));
      }
      if (files.length === 0) {
        console.error('modbot eval: give one or more CSV files, or --suite [datasets dir]');
        process.exit(2);
      }
      const loaded: { file: string; rows: LabelledRow[]; labelled: boolean }[] = [];
      for (const file of files) {
        try {
          loaded.push({ file, ...readEvalFile(file, options) });
        } catch (error) {
          console.error(`Cannot read ${file}: ${(error as Error).message}`);
          process.exit(1);
        }
      }
      // Classifiers as configured (OPENAI_API_KEY etc.); with no key, the builtin model only.
      // The cache is in memory: eval writes nothing to the database.
      const classifiers = createClassifiers(classifierConfigOf(envOrExit()));
      let builtinThresholds = builtinModel().data.thresholds;
      if (options.builtinModel) {
        const data = JSON.parse(readFileSync(options.builtinModel, 'utf8')) as BuiltinModelData;
        classifiers.set('builtin', createBuiltinClassifier({ model: data }));
        builtinThresholds = data.thresholds;
      }
      const factory =
        makeDecider ?? (options.classifierOnly ? classifierOnlyFactory : rulesDeciderFactory(options.rules));
      let made: { decide: Decider; name: string };
      try {
        made = await factory(classifiers, { builtinThresholds });
      } catch (error) {
        console.error(`Cannot load the decision path: ${(error as Error).message}`);
        process.exit(1);
      }
      const errors = Number(options.errors);
      const builtin = classifiers.get('builtin');
      // With --errors, a row the rules decided without asking the model still gets its score.
      const decide: Decider =
        errors > 0 && builtin
          ? async (text) => {
              const d = await made.decide(text);
              if (d.spam !== undefined) return d;
              const r = await builtin.classify({ text, normalisedText: normalise(text) });
              return {
                ...d,
                ...(r.scores.spam === undefined ? {} : { spam: r.scores.spam }),
                ...(r.contributions ? { contributions: r.contributions } : {}),
              };
            }
          : made.decide;
      const reports: EvalReport[] = [];
      for (const { file, rows, labelled } of loaded) {
        const report = await evaluateRows(rows, decide, {
          concurrency: Number(options.concurrency),
          name: made.name,
          file,
          errors,
          labelled,
        });
        reports.push(report);
      }
      if (reports.length === 1 && !options.suite) console.log(formatReport(reports[0]!));
      else {
        console.log(`decided by ${made.name}; hide = automatic hide or delete`);
        console.log(formatTable(reports));
        if (inSample.size > 0)
          console.log(
            `in-sample (the committed model was trained on them): ${[...inSample].map((f) => basename(f)).join(', ')}; held-out figures: docs/classifiers.md`,
          );
      }
      for (const r of reports) {
        const text = formatErrors(r);
        if (text) console.log(text);
      }
      if (options.json) for (const r of reports) console.log(JSON.stringify(r));
    });
}
