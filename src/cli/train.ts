/**
 * `modbot train`: learn the builtin spam model from this deployment's moderators (docs/classifiers.md).
 *   modbot train --from-audit [--since 90d] [--l2 1]      fit, and show what it would change (stores nothing)
 *   modbot train --from-audit --apply [--as alice]         the same, then store it and put it in force
 *   modbot train --revert [--as alice]                     back to the model applied before, or the shipped one
 *   modbot train --status                                  the learned models, which is in force
 * All take --format json. The running modbot picks up an apply or a revert within a minute.
 * (`npm run train` is the other trainer: it retrains the shipped model from the datasets.)
 */
import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { formatBacktest } from '../audit/backtest/format.js';
import {
  type Agreement,
  CHANGE_WINDOW_DAYS,
  type Crossing,
  type LearnedModelSummary,
  type LearnedStatus,
  LearnInputError,
  type TrainReport,
} from '../learn/train-from-audit.js';
import { type LearningConnection, openLearning } from '../runtime/commands.js';
import { envOrExit } from './env.js';
import { load as loadRules } from './rules.js';

function defaultModerator(): string {
  try {
    return userInfo().username;
  } catch {
    return 'cli';
  }
}

export interface TrainOptions {
  fromAudit?: boolean;
  since: string;
  apply?: boolean;
  revert?: boolean;
  status?: boolean;
  as: string;
  l2?: string;
  format: string;
  /** The rules the backtest of the fitted model uses (default: the working copy, rules/). */
  rules?: string;
}

let openConnection: () => Promise<LearningConnection> = () => openLearning(envOrExit());

/** Tests: use their own database. */
export function setLearningOpener(open: () => Promise<LearningConnection>): void {
  openConnection = open;
}

export function registerTrain(program: Command): void {
  program
    .command('train')
    .description(
      "learn the builtin spam model from this deployment's moderators (hides = spam; approvals, unhides = not spam)",
    )
    .option('--from-audit', "fit a model on the audit log's moderator labels and show what it would change")
    .option('--since <when>', 'labels from moderator actions since (e.g. 90d, 12w, 2026-09-01)', '90d')
    .option('--apply', 'store the fitted model and put it in force (with --from-audit)')
    .option('--revert', 'take the learned model in force out: back to the one before, or the shipped one')
    .option('--status', 'list the learned models and which is in force')
    .option('--as <moderator>', 'your name, recorded as who applied or reverted', defaultModerator())
    .option('--rules <dir>', 'the rules the backtest of the fitted model decides with', 'rules')
    .option('--l2 <n>', 'pull towards the shipped weights (larger = closer to the shipped model)', '1')
    .option('--format <format>', 'text or json', 'text')
    .action(async (o: TrainOptions) => {
      await runTrain(o);
    });
}

export async function runTrain(o: TrainOptions): Promise<void> {
  const modes = [o.fromAudit, o.revert, o.status].filter(Boolean).length;
  if (modes !== 1 || (o.apply && !o.fromAudit)) {
    console.error(
      'modbot train: give one of --from-audit (optionally with --apply), --revert or --status (npm run train retrains the shipped model from datasets)',
    );
    process.exitCode = 2;
    return;
  }
  if (!/^[A-Za-z0-9._@-]{1,64}$/.test(o.as)) {
    console.error(
      'modbot train: --as is a name of letters, digits, ".", "_", "@" or "-" (at most 64), e.g. alice',
    );
    process.exitCode = 2;
    return;
  }
  const json = o.format === 'json';
  const by = `moderator:${o.as}`;
  let connection: LearningConnection | undefined;
  try {
    connection = await openConnection();
    if (o.status) {
      const status = await connection.status();
      console.log(json ? JSON.stringify(status, null, 2) : formatStatus(status));
      return;
    }
    if (o.revert) {
      const r = await connection.revert(by);
      if (json) console.log(JSON.stringify(r, null, 2));
      else {
        console.log(`reverted learned model #${r.reverted.id} (${r.reverted.version}) as ${by}`);
        console.log(
          r.restored
            ? `in force now: learned model #${r.restored.id} (${r.restored.version}), applied ${r.restored.appliedAt.toISOString()} by ${r.restored.appliedBy}`
            : 'in force now: the shipped model',
        );
        console.log('the running modbot switches within a minute');
      }
      return;
    }
    const l2 = o.l2 === undefined ? undefined : Number(o.l2);
    if (l2 !== undefined && !Number.isFinite(l2))
      throw new LearnInputError(`--l2 ${o.l2}: expected a number`);
    const report = await connection.train({ since: o.since, l2 });
    // What the rules would then do, per rule: the same backtest as `modbot rules backtest`,
    // with the fitted model as the candidate builtin classifier.
    const rulesDir = o.rules ?? 'rules';
    const rules = await loadRules(rulesDir);
    const backtestSince = new Date(Date.now() - CHANGE_WINDOW_DAYS * 86_400_000);
    const backtest = rules.ok ? await connection.backtest(report.model, rules.ruleSet, backtestSince) : null;
    const backtestSkipped = rules.ok
      ? null
      : `the rules in ${rulesDir} do not load (${rules.errors.length} error(s); modbot rules check --dir ${rulesDir}): no backtest`;
    const applied = o.apply ? await connection.apply(report, by) : null;
    if (json) {
      const { model, ...rest } = report;
      console.log(
        JSON.stringify(
          {
            ...rest,
            version: model.version,
            trainedOn: model.trainedOn,
            backtest: backtest ?? { skipped: backtestSkipped },
            applied: applied ?? null,
          },
          null,
          2,
        ),
      );
    } else {
      console.log(formatReport(report));
      console.log(
        backtest
          ? `
what the rules in ${rulesDir} would have done with this model, on the last ${CHANGE_WINDOW_DAYS} days' comments (rules backtest):
${formatBacktest(backtest)}`
          : `
${backtestSkipped}`,
      );
      console.log(
        applied
          ? `\napplied: learned model #${applied.id} (${applied.version}) is in force, as ${by}; the running modbot switches within a minute; undo: modbot train --revert`
          : '\nnothing stored: apply with modbot train --from-audit --apply (same labels, same model)',
      );
    }
  } catch (error) {
    if (error instanceof LearnInputError) {
      console.error(`modbot train: ${error.message}`);
      process.exitCode = 2;
    } else throw error;
  } finally {
    await connection?.close();
  }
}

function pct(n: number, of: number): string {
  return of === 0 ? '-' : `${((100 * n) / of).toFixed(1)}%`;
}

function agreementLine(name: string, a: Agreement): string {
  const pos = a.positivesHidden + a.positivesHeld + a.positivesMissed;
  const neg = a.negativesLeft + a.negativesHeld + a.negativesHidden;
  return `  ${name.padEnd(9)} right ${String(a.right).padStart(5)}/${a.total} (${pct(a.right, a.total)})   spam hidden ${a.positivesHidden}/${pos}, held ${a.positivesHeld}   not-spam left alone ${a.negativesLeft}/${neg}, held ${a.negativesHeld}, hidden ${a.negativesHidden}`;
}

function crossingLines(name: string, c: Crossing): string[] {
  const out = [`  ${name}: ${c.comments} comments`];
  for (const e of c.examples)
    out.push(
      `    ${e.commentId ?? '-'}  ${e.shipped.toFixed(3)} -> ${e.learned.toFixed(3)}${e.comments > 1 ? ` (x${e.comments})` : ''}  ${JSON.stringify(e.text)}`,
    );
  return out;
}

export function formatReport(r: TrainReport): string {
  const l = r.labels;
  const lines = [
    `labels since ${r.since}: ${l.positive + l.negative} used: ${l.positive} spam (moderator hides ${l.hides}, deletes ${l.deletes}), ${l.negative} not spam (approvals ${l.approvals}, unhides ${l.unhides}; ${l.reversals} of them reversed an automatic hide)`,
  ];
  if (l.skippedAbuse + l.skippedNoText > 0)
    lines.push(
      `  not used: ${l.skippedAbuse} hides of comments named abuse (the abuse rules decide those), ${l.skippedNoText} erased or never decided`,
    );
  lines.push(
    `model: ${r.model.version}, fine-tuned from the shipped ${r.shippedVersion} (l2 ${r.training.l2}, ${r.training.anchors} other comments held at their shipped scores, ${r.training.steps} steps; ${r.training.changedFeatures} features moved, ${r.training.newFeatures} new; label log loss ${r.training.logLossBefore} -> ${r.training.logLossAfter})`,
    `\nmoderator labels at the spam thresholds (hide >= ${r.thresholds.hide}, review >= ${r.thresholds.review}); right = spam hidden, not-spam below review`,
    ' on the labels it learned from:',
    agreementLine('shipped', r.onLabels.shipped),
    agreementLine('learned', r.onLabels.learned),
  );
  if (r.outOfFold)
    lines.push(
      ' out of fold (each label scored by a model that did not learn from it, 5 folds):',
      agreementLine('shipped', r.outOfFold.shipped),
      agreementLine('learned', r.outOfFold.learned),
    );
  else lines.push(' (out-of-fold figures from 20 labels on)');
  lines.push(
    `\nstored comments since ${r.recent.since}: ${r.recent.comments} (${r.recent.distinctTexts} distinct texts) scored by both`,
    ...crossingLines('newly at or above hide', r.recent.newlyHidden),
    ...crossingLines('no longer at or above hide', r.recent.noLongerHidden),
    ...crossingLines('newly in review band', r.recent.newlyReview),
    ...crossingLines('no longer in review band', r.recent.noLongerReview),
    '  (the spam score alone; what the rules then do, per rule, is the backtest below)',
  );
  return lines.join('\n');
}

function modelLine(m: LearnedModelSummary & { usable: boolean }): string {
  const state = m.active
    ? m.usable
      ? 'IN FORCE'
      : 'ACTIVE, NOT USED (feature version)'
    : m.revertedAt
      ? 'reverted'
      : 'superseded';
  const labels = `${m.labels.positive ?? 0} spam / ${m.labels.negative ?? 0} not-spam labels since ${m.labelsSince.toISOString().slice(0, 10)}`;
  const reverted = m.revertedAt ? `; reverted ${m.revertedAt.toISOString()} by ${m.revertedBy}` : '';
  return `#${String(m.id).padEnd(4)} ${m.version}  ${state.padEnd(10)} applied ${m.appliedAt.toISOString()} by ${m.appliedBy}${reverted}; ${labels}; features v${m.featureVersion}`;
}

export function formatStatus(s: LearnedStatus): string {
  const lines = [`in force: ${s.inForce}; this code has feature version ${s.featureVersion}`];
  if (s.warning) lines.push(`warning: ${s.warning}`);
  if (s.models.length === 0) lines.push('no learned model yet: modbot train --from-audit');
  for (const m of s.models) lines.push(modelLine(m));
  return lines.join('\n');
}
