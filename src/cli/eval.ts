/**
 * `modbot eval <file.csv> --text <col> --label <col> --positive <value> [--json]`
 *
 * Runs every row through the decision path (the rules in rules/ plus the classifiers as
 * configured; no Graph API calls, nothing written to the audit log) and prints precision and
 * recall of automatic hide/delete decisions against the label, plus how many went to review.
 * With --json the last line is one JSON object.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { type BuiltinModelData, builtinModel, createBuiltinClassifier } from '../classify/builtin/index.js';
import { MemoryClassifierCache } from '../classify/cache.js';
import { type LabelledRow, readLabelledCsv } from '../classify/labelled-csv.js';
import { type ClassifierConfig, createClassifiers } from '../classify/registry.js';
import type { Env } from '../env.js';
import { type Classifier, evaluate, loadRuleSet, normalise } from '../moderation/index.js';
import { readRuleFiles } from '../rules-source/files.js';
import { classifierConfigFromEnv } from '../runtime/create-runtime.js';
import type { InstagramEvent } from '../webhook/events.js';
import { envOrExit } from './env.js';

/** What the decision path did with one comment. `hide` and `delete` count as positive. */
export interface EvalDecision {
  readonly action: 'allow' | 'review' | 'hide' | 'delete' | (string & {});
  /** Which rule (or classifier) decided, for the breakdown. */
  readonly decidedBy?: string;
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
}

const POSITIVE_ACTIONS = new Set(['hide', 'delete']);

export async function evaluateRows(
  rows: readonly LabelledRow[],
  decide: Decider,
  options: { concurrency?: number; name?: string; file?: string } = {},
): Promise<EvalReport> {
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
  };
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
    if (spam >= thresholds.hide)
      return { action: 'hide', decidedBy: `${classifier.name}.spam>=${thresholds.hide}` };
    if (spam >= thresholds.review)
      return { action: 'review', decidedBy: `${classifier.name}.spam>=${thresholds.review}` };
    return { action: 'allow' };
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
      return d.decidingRule === null ? { action: d.action } : { action: d.action, decidedBy: d.decidingRule };
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
    ...(r.errors ? [`  ERRORS ${r.errors} (counted as allow), first: ${r.firstError ?? ''}`] : []),
    `  ${r.msPerComment} ms per comment`,
  ].join('\n');
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
}

/** Same settings as the running bot (src/runtime/create-runtime.ts), with an in-memory cache: eval writes nothing. */
export function classifierConfigOf(env: Env): ClassifierConfig {
  return classifierConfigFromEnv(env, new MemoryClassifierCache());
}

export function registerEval(program: Command, makeDecider?: DeciderFactory): void {
  program
    .command('eval')
    .description(
      'measure the decision path on a labelled CSV: precision/recall of automatic hide/delete, and review counts',
    )
    .argument('<file>', 'a CSV file with a header row (BOM, quoted newlines and HTML entities are fine)')
    .requiredOption('--text <column>', 'the column holding the comment text')
    .requiredOption('--label <column>', 'the column holding the label')
    // One value (comma-separated for several), so the file may come before or after the options.
    .requiredOption('--positive <value>', 'label value meaning "should be hidden" (several: 1,spam)')
    .option('--json', 'print one JSON object on the last line')
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
    .action(async (file: string, options: EvalOptions) => {
      let rows: LabelledRow[];
      try {
        rows = readLabelledCsv(file, {
          text: options.text,
          label: options.label,
          positive: options.positive.split(','),
        });
      } catch (error) {
        console.error(`Cannot read ${file}: ${(error as Error).message}`);
        process.exit(1);
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
      const { decide, name } = made;
      const report = await evaluateRows(rows, decide, {
        concurrency: Number(options.concurrency),
        name,
        file,
      });
      console.log(formatReport(report));
      if (options.json) console.log(JSON.stringify(report));
    });
}
