/**
 * What `modbot eval` measures: every row through a decision function, counted against its label
 * (hide and delete are the positive decisions; review is counted apart), and printed as one
 * report per file, one table for several, and the worst errors with what decided them.
 */
import { basename } from 'node:path';
import type { LabelledRow } from '../../classify/labelled-csv.js';
import { type FeatureContribution, formatContributions } from '../../moderation/index.js';

/** What the decision path did with one comment. `hide` and `delete` count as positive. */
export interface EvalDecision {
  readonly action: 'allow' | 'review' | 'hide' | 'delete' | (string & {});
  /** Which rule (or classifier) decided, for the breakdown. */
  readonly decidedBy?: string;
  /** The builtin score being measured (spam, or the one `--score` names), when known. */
  readonly spam?: number;
  readonly contributions?: readonly FeatureContribution[];
  /** What drove a non-spam score (the builtin abuse terms and features), for `--errors`. */
  readonly reason?: string;
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
  readonly reason?: string;
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
  /** Which builtin score the labels stand for (`--score`; default spam). */
  readonly score?: string;
}

const POSITIVE_ACTIONS = new Set(['hide', 'delete']);

export async function evaluateRows(
  rows: readonly LabelledRow[],
  decide: Decider,
  options: {
    concurrency?: number;
    name?: string;
    file?: string;
    errors?: number;
    labelled?: boolean;
    score?: string;
  } = {},
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
          ...(decision.reason === undefined ? {} : { reason: decision.reason }),
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
    ...(options.score === undefined || options.score === 'spam' ? {} : { score: options.score }),
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

export function formatReport(r: EvalReport): string {
  const pct = (x: number) => x.toFixed(3);
  return [
    `${r.file}: ${r.n} rows, decided by ${r.decider}`,
    `  tp ${r.tp}  fp ${r.fp}  fn ${r.fn}  tn ${r.tn}   (positive decision = automatic hide or delete)`,
    `  precision ${pct(r.precision)}  recall ${pct(r.recall)}  F1 ${pct(r.f1)}`,
    `  review ${r.review} (${r.reviewPositive} labelled positive, ${r.reviewNegative} negative)`,
    ...(r.labelled === false || r.tp + r.fn === 0
      ? []
      : [
          `  positives hidden or held for review ${pct((r.tp + r.reviewPositive) / (r.tp + r.fn))}; hides ${r.tp + r.fp}, of which wrong ${r.fp}`,
        ]),
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
    labels: r.labelled === false ? 'none (all harmless)' : `${r.tp + r.fn} ${r.score ?? 'spam'}`,
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
    const score = w.spam === null ? '' : ` ${r.score ?? 'spam'} ${w.spam.toFixed(3)}`;
    const by = w.decidedBy ? `rule ${w.decidedBy}` : 'no rule';
    out.push(
      `  ${w.kind.padEnd(10)} line ${w.line} ${w.action} (${by})${score}: ${JSON.stringify(w.text.slice(0, 140))}`,
    );
    if (w.reason) out.push(`               ${w.reason}`);
    const moved = w.reason ? '' : formatContributions(w.contributions);
    if (moved) out.push(`               moved by: ${moved}`);
  }
  return out.length > 0 ? [`${basename(r.file)}:`, ...out].join('\n') : '';
}
