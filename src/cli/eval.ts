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
  type ClassifierResult,
  evaluate,
  loadRuleSet,
  normalise,
} from '../moderation/index.js';
import { readRuleFiles } from '../rules-source/files.js';
import { classifierConfigFromEnv } from '../runtime/create-runtime.js';
import type { InstagramEvent } from '../webhook/events.js';
import { envOrExit } from './env.js';
import {
  type Decider,
  type EvalDecision,
  type EvalReport,
  evaluateRows,
  formatErrors,
  formatReport,
  formatTable,
} from './eval/measure.js';

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
export function rulesDeciderFactory(dir: string, score = 'spam'): DeciderFactory {
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
        ...(builtin ? scoreOf(builtin, score) : {}),
      };
    };
    return { decide, name: `rules in ${dir} + classifiers (${[...classifiers.keys()].join(', ')})` };
  };
}

/** The measured builtin score and what drove it: spam's features, or the abuse reason. */
function scoreOf(result: ClassifierResult, score: string): Partial<EvalDecision> {
  const value = result.scores[score];
  return {
    ...(value === undefined ? {} : { spam: value }),
    ...(score === 'spam'
      ? result.contributions
        ? { contributions: result.contributions }
        : {}
      : result.reason
        ? { reason: result.reason }
        : {}),
  };
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
  score: string;
  abuseModel?: string;
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
    .option(
      '--suite [dir]',
      'the standard sets under the labelled datasets folder (what they are, where they come from and the layout: docs/datasets.md; default ../shared/datasets)',
    )
    .option(
      '--score <name>',
      'which builtin score the labels stand for, for --errors and the table (spam, or abuse: e.g. --label class --positive 0,1)',
      'spam',
    )
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
    .option(
      '--abuse-model <file.json>',
      'use these abuse weights (from npm run train -- ... --export ABUSE_MODEL --out x.json)',
    )
    .action(async (fileArgs: string[], options: EvalOptions) => {
      let files = fileArgs;
      const inSample = new Set<string>();
      if (options.suite !== undefined) {
        const dir = typeof options.suite === 'string' ? options.suite : '../shared/datasets';
        if (!existsSync(dir)) {
          console.error(
            `No datasets folder at ${dir}: the standard suite needs the labelled datasets (docs/datasets.md says what they are and where they come from). Pass their folder: npm run eval -- <dir>`,
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
      if (options.builtinModel || options.abuseModel) {
        const read = (f: string) => JSON.parse(readFileSync(f, 'utf8')) as BuiltinModelData;
        const data = options.builtinModel ? read(options.builtinModel) : undefined;
        const abuse = options.abuseModel ? read(options.abuseModel) : undefined;
        classifiers.set(
          'builtin',
          createBuiltinClassifier({
            ...(data ? { model: data } : {}),
            ...(abuse ? { abuseModel: abuse } : {}),
          }),
        );
        if (data) builtinThresholds = data.thresholds;
      }
      const factory =
        makeDecider ??
        (options.classifierOnly ? classifierOnlyFactory : rulesDeciderFactory(options.rules, options.score));
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
              return { ...d, ...scoreOf(r, options.score) };
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
          score: options.score,
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
