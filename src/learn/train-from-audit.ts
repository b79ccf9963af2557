/**
 * Learn from this deployment's moderators (`modbot train --from-audit`):
 *
 *  1. Labels from the audit log: per comment, the moderators' last word since `--since`. A
 *     moderator hide or delete = spam (positive); an approval, or an unhide, = not spam
 *     (negative; after an automatic hide it is a reversal). A hide of a comment the builtin
 *     names as abuse (a slur, threat, insult: abuse ≥ 0.9) is not a spam label: the abuse
 *     rules decide those. Erased comments have no text and are skipped.
 *  2. Fine-tune the shipped spam model on them (src/classify/builtin/fine-tune.ts: warm start,
 *     strong pull towards the shipped weights, the window's other stored comments held at their
 *     shipped scores; no datasets needed, deterministic).
 *  3. Show what it would change: how many labels the shipped and the new model get right at the
 *     spam thresholds (on the labels themselves, and out of fold: five models each trained
 *     without a fifth of the labels), and how many stored comments of the last 30 days would
 *     newly reach or no longer reach the hide / review thresholds, with examples.
 *  4. Nothing is applied here: `applyLearnedModel` stores it and puts it in force (`--apply`),
 *     `revertLearnedModel` goes back (`--revert`). Nothing is learned silently.
 */
import { parseTime } from '../audit/filters.js';
import { FEATURE_VERSION } from '../classify/builtin/features.js';
import { DEFAULT_FINE_TUNE, fineTune, type TrainingLabel } from '../classify/builtin/fine-tune.js';
import { builtinModel, createBuiltinClassifier, LinearModel } from '../classify/builtin/index.js';
import type { BuiltinModelData } from '../classify/builtin/model.js';
import { BUILTIN_MODEL } from '../classify/builtin/weights.generated.js';
import type { Database } from '../db/client.js';
import { createLearnedModelsRepo, type LearnedModelSummary } from '../db/repos/learned-models.js';

export type { LearnedModelSummary };

/** Fewer labels than this teach noise, not the deployment's taste. */
export const MIN_LABELS = 10;
/** How far back the "what it would change" summary looks at stored comments. */
export const CHANGE_WINDOW_DAYS = 30;
/** At most this many distinct recent texts are scored for the summary (most frequent first). */
export const CHANGE_TEXTS_LIMIT = 50_000;
/** At most this many of the window's other comments hold their shipped scores (fine-tune anchors). */
export const ANCHOR_LIMIT = 2000;
const ABUSE_LABEL = 0.9;
const EXAMPLES = 5;

/** Input the caller must fix (the CLI exits 2 with the message). */
export class LearnInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LearnInputError';
  }
}

export interface LabelCounts {
  /** Used for training. */
  positive: number;
  negative: number;
  /** By what the moderator did. */
  hides: number;
  deletes: number;
  unhides: number;
  approvals: number;
  /** Unhides and approvals of comments modbot had hidden. */
  reversals: number;
  /** Not used: hides of comments named abuse, comments erased or never decided. */
  skippedAbuse: number;
  skippedNoText: number;
}

export interface Agreement {
  /** Positives at or above the hide threshold / between review and hide / below review. */
  positivesHidden: number;
  positivesHeld: number;
  positivesMissed: number;
  /** Negatives below review / held / hidden. */
  negativesLeft: number;
  negativesHeld: number;
  negativesHidden: number;
  /** Right = a positive hidden, a negative below review. */
  right: number;
  total: number;
}

export interface ChangeExample {
  readonly commentId: string | null;
  readonly text: string;
  readonly comments: number;
  readonly shipped: number;
  readonly learned: number;
}

export interface Crossing {
  /** Stored comments (not distinct texts) that cross. */
  readonly comments: number;
  readonly examples: ChangeExample[];
}

export interface TrainReport {
  readonly since: string;
  readonly labels: LabelCounts;
  readonly thresholds: { readonly hide: number; readonly review: number };
  readonly shippedVersion: string;
  readonly model: BuiltinModelData;
  readonly training: {
    readonly l2: number;
    readonly steps: number;
    readonly anchorWeight: number;
    /** The window's other comments held at their shipped scores. */
    readonly anchors: number;
    readonly changedFeatures: number;
    readonly newFeatures: number;
    readonly logLossBefore: number;
    readonly logLossAfter: number;
  };
  /** On the labels the model was trained on (in-sample). */
  readonly onLabels: { readonly shipped: Agreement; readonly learned: Agreement };
  /** Out of fold (each label scored by a model trained without it); null under 20 labels. */
  readonly outOfFold: { readonly shipped: Agreement; readonly learned: Agreement } | null;
  /** Where the time went, in seconds. */
  readonly seconds: {
    readonly labels: number;
    readonly fit: number;
    readonly outOfFold: number;
    readonly recent: number;
  };
  readonly recent: {
    readonly since: string;
    readonly comments: number;
    readonly distinctTexts: number;
    readonly newlyHidden: Crossing;
    readonly noLongerHidden: Crossing;
    readonly newlyReview: Crossing;
    readonly noLongerReview: Crossing;
  };
}

export interface TrainRequest {
  /** "90d", "12w", an ISO date. */
  readonly since: string;
  readonly l2?: number | undefined;
  readonly now?: Date;
}

function emptyAgreement(): Agreement {
  return {
    positivesHidden: 0,
    positivesHeld: 0,
    positivesMissed: 0,
    negativesLeft: 0,
    negativesHeld: 0,
    negativesHidden: 0,
    right: 0,
    total: 0,
  };
}

function tally(a: Agreement, positive: boolean, score: number, t: { hide: number; review: number }): void {
  a.total++;
  const band = score >= t.hide ? 'hide' : score >= t.review ? 'review' : 'none';
  if (positive) {
    if (band === 'hide') a.positivesHidden++;
    else if (band === 'review') a.positivesHeld++;
    else a.positivesMissed++;
    if (band === 'hide') a.right++;
  } else {
    if (band === 'none') a.negativesLeft++;
    else if (band === 'review') a.negativesHeld++;
    else a.negativesHidden++;
    if (band === 'none') a.right++;
  }
}

interface Labelled extends TrainingLabel {
  readonly key: string;
}

/** The labels of the audit log since `since` (step 1). */
export async function collectLabels(
  db: Database,
  since: Date,
): Promise<{ labels: Labelled[]; counts: LabelCounts }> {
  const rows = await createLearnedModelsRepo(db).moderatorLabels(since);
  const counts: LabelCounts = {
    positive: 0,
    negative: 0,
    hides: 0,
    deletes: 0,
    unhides: 0,
    approvals: 0,
    reversals: 0,
    skippedAbuse: 0,
    skippedNoText: 0,
  };
  // The abuse score only, from the builtin classifier as the bot runs it (on the normalised text:
  // the text as written is not needed for the named terms).
  const builtin = createBuiltinClassifier();
  const labels: Labelled[] = [];
  for (const r of rows) {
    if (r.type === 'hide') counts.hides++;
    else if (r.type === 'delete') counts.deletes++;
    else if (r.type === 'unhide') counts.unhides++;
    else counts.approvals++;
    const positive = r.type === 'hide' || r.type === 'delete';
    if (!positive && r.autoHidden) counts.reversals++;
    if (r.normalisedText === null) {
      counts.skippedNoText++;
      continue;
    }
    if (positive) {
      const result = await builtin.classify({ text: r.normalisedText, normalisedText: r.normalisedText });
      if ((result.scores.abuse ?? 0) >= ABUSE_LABEL) {
        counts.skippedAbuse++;
        continue;
      }
    }
    if (positive) counts.positive++;
    else counts.negative++;
    labels.push({ key: `${r.accountId}/${r.commentId}`, normalisedText: r.normalisedText, positive });
  }
  // A stable order: the same audit log gives the same model bytes.
  labels.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return { labels, counts };
}

function agreementOn(
  model: LinearModel,
  labels: readonly TrainingLabel[],
  t: { hide: number; review: number },
): Agreement {
  const a = emptyAgreement();
  for (const l of labels) tally(a, l.positive, model.score(l.normalisedText).score, t);
  return a;
}

/** Fold of a label: by a hash of its key, so a label keeps its fold as others are added. */
function foldOf(key: string, k: number): number {
  let h = 2166136261;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 16777619);
  return (h >>> 0) % k;
}

/** Steps 1–3: labels, the fine-tuned model, and what it would change. Stores nothing. */
export async function trainFromAudit(db: Database, request: TrainRequest): Promise<TrainReport> {
  const now = request.now ?? new Date();
  const since = parseTime(request.since, now);
  if (!since)
    throw new LearnInputError(
      `--since ${request.since}: expected a relative time like 90d, 12w, 24h or an ISO date like 2026-09-01`,
    );
  const l2 = request.l2 ?? DEFAULT_FINE_TUNE.l2;
  if (!(l2 > 0 && l2 <= 1000))
    throw new LearnInputError(`--l2 ${request.l2}: expected a number above 0, at most 1000`);
  if (BUILTIN_MODEL.featureVersion !== FEATURE_VERSION)
    throw new LearnInputError(
      'the shipped model does not match this code (feature version): retrain it first',
    );

  let clock = performance.now();
  const lap = () => {
    const now = performance.now();
    const seconds = Math.round(now - clock) / 1000;
    clock = now;
    return seconds;
  };
  const { labels, counts } = await collectLabels(db, since);
  if (labels.length < MIN_LABELS)
    throw new LearnInputError(
      `too few moderator labels since ${since.toISOString()}: ${labels.length} usable (${counts.positive} hides/deletes, ${counts.negative} approvals/unhides${counts.skippedAbuse + counts.skippedNoText > 0 ? `; ${counts.skippedAbuse} abuse hides and ${counts.skippedNoText} erased comments not usable` : ''}), at least ${MIN_LABELS} needed: moderate more comments, or look further back with --since`,
    );

  const labelsSeconds = lap();
  // The window's other comments, held at their shipped scores (anchors: see fine-tune.ts).
  const repo = createLearnedModelsRepo(db);
  const labelled = new Set(labels.map((l) => l.normalisedText));
  const anchors = (await repo.storedTexts(since, ANCHOR_LIMIT + labels.length))
    .map((r) => r.normalisedText)
    .filter((t) => !labelled.has(t))
    .slice(0, ANCHOR_LIMIT);

  const options = { ...DEFAULT_FINE_TUNE, l2 };
  const tuned = fineTune(BUILTIN_MODEL, labels, options, anchors);
  const shipped = builtinModel();
  const learned = LinearModel.fromData(tuned.model);
  const t = BUILTIN_MODEL.thresholds;
  const fitSeconds = lap();

  let outOfFold: TrainReport['outOfFold'] = null;
  if (labels.length >= 20) {
    const k = 5;
    const oof = { shipped: emptyAgreement(), learned: emptyAgreement() };
    for (let fold = 0; fold < k; fold++) {
      const held = labels.filter((l) => foldOf(l.key, k) === fold);
      if (held.length === 0) continue;
      const rest = labels.filter((l) => foldOf(l.key, k) !== fold);
      const foldModel = LinearModel.fromData(fineTune(BUILTIN_MODEL, rest, options, anchors).model);
      for (const l of held) {
        tally(oof.shipped, l.positive, shipped.score(l.normalisedText).score, t);
        tally(oof.learned, l.positive, foldModel.score(l.normalisedText).score, t);
      }
    }
    outOfFold = oof;
  }

  const outOfFoldSeconds = lap();
  const recentSince = new Date(now.getTime() - CHANGE_WINDOW_DAYS * 86_400_000);
  const texts = await repo.storedTexts(recentSince, CHANGE_TEXTS_LIMIT);
  const crossing = () => ({ comments: 0, examples: [] as ChangeExample[] });
  const recent = {
    newlyHidden: crossing(),
    noLongerHidden: crossing(),
    newlyReview: crossing(),
    noLongerReview: crossing(),
  };
  let comments = 0;
  for (const row of texts) {
    comments += row.comments;
    const before = shipped.score(row.normalisedText).score;
    const after = learned.score(row.normalisedText).score;
    const add = (c: Crossing & { comments: number }) => {
      c.comments += row.comments;
      if (c.examples.length < EXAMPLES)
        c.examples.push({
          commentId: row.commentId,
          text: row.text.length > 100 ? `${row.text.slice(0, 99)}…` : row.text,
          comments: row.comments,
          shipped: round(before),
          learned: round(after),
        });
    };
    if (before < t.hide && after >= t.hide) add(recent.newlyHidden);
    if (before >= t.hide && after < t.hide) add(recent.noLongerHidden);
    const reviewBand = (s: number) => s >= t.review && s < t.hide;
    if (!reviewBand(before) && reviewBand(after)) add(recent.newlyReview);
    if (reviewBand(before) && !reviewBand(after)) add(recent.noLongerReview);
  }

  return {
    since: since.toISOString(),
    labels: counts,
    thresholds: t,
    shippedVersion: BUILTIN_MODEL.version,
    model: tuned.model,
    training: {
      l2,
      steps: options.steps,
      anchorWeight: options.anchorWeight,
      anchors: anchors.length,
      changedFeatures: tuned.changedFeatures,
      newFeatures: tuned.newFeatures,
      logLossBefore: round(tuned.logLossBefore),
      logLossAfter: round(tuned.logLossAfter),
    },
    onLabels: { shipped: agreementOn(shipped, labels, t), learned: agreementOn(learned, labels, t) },
    outOfFold,
    seconds: { labels: labelsSeconds, fit: fitSeconds, outOfFold: outOfFoldSeconds, recent: lap() },
    recent: { since: recentSince.toISOString(), comments, distinctTexts: texts.length, ...recent },
  };
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/** `--apply`: stores the model the report shows and puts it in force (step 4). */
export async function applyLearnedModel(
  db: Database,
  report: TrainReport,
  appliedBy: string,
): Promise<LearnedModelSummary> {
  const { model, labels, ...rest } = report;
  return createLearnedModelsRepo(db).apply({
    model,
    baseVersion: report.shippedVersion,
    labels: { ...labels },
    figures: {
      training: rest.training,
      thresholds: rest.thresholds,
      onLabels: rest.onLabels,
      outOfFold: rest.outOfFold,
      recent: {
        since: rest.recent.since,
        comments: rest.recent.comments,
        newlyHidden: rest.recent.newlyHidden.comments,
        noLongerHidden: rest.recent.noLongerHidden.comments,
        newlyReview: rest.recent.newlyReview.comments,
        noLongerReview: rest.recent.noLongerReview.comments,
      },
    },
    labelsSince: new Date(report.since),
    appliedBy,
  });
}

/** `--revert`: back to the model applied before, or the shipped one. */
export async function revertLearnedModel(
  db: Database,
  revertedBy: string,
): Promise<{ reverted: LearnedModelSummary; restored: LearnedModelSummary | null }> {
  const result = await createLearnedModelsRepo(db).revert(revertedBy);
  if (!result)
    throw new LearnInputError(
      `no learned model is in force: the shipped model (${BUILTIN_MODEL.version}) already is; nothing to revert`,
    );
  return result;
}

export interface LearnedStatus {
  readonly shippedVersion: string;
  readonly featureVersion: number;
  /** What a process running this code serves. */
  readonly inForce: string;
  readonly warning: string | null;
  readonly models: (LearnedModelSummary & { readonly usable: boolean })[];
}

/** `--status`: every learned model, which is active, and whether this code can serve it. */
export async function learnedModelStatus(db: Database): Promise<LearnedStatus> {
  const models = (await createLearnedModelsRepo(db).list()).map((m) => ({
    ...m,
    usable: m.featureVersion === FEATURE_VERSION,
  }));
  const active = models.find((m) => m.active);
  const warning =
    active && !active.usable
      ? `learned model #${active.id} (${active.version}) has feature version ${active.featureVersion}, this code ${FEATURE_VERSION}: the shipped model is served instead`
      : null;
  return {
    shippedVersion: BUILTIN_MODEL.version,
    featureVersion: FEATURE_VERSION,
    inForce: active?.usable
      ? `learned model #${active.id} (${active.version})`
      : `shipped model (${BUILTIN_MODEL.version})`,
    warning,
    models,
  };
}
