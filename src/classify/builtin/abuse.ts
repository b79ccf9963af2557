/**
 * The builtin `abuse` score: insults and harassment aimed at a person, slurs and hate, threats
 * and sexual harassment. Two halves, both on the rules' normalised text:
 *  - the lexicon (abuse-lexicon.ts): named terms by category; a slur, a threat, sexual harassment
 *    or an insult aimed at someone is clear abuse on its own;
 *  - a small linear model (the spam model's features and code, its own weights in
 *    abuse-weights.generated.ts, trained by scripts/train.ts on the Davidson tweets plus harmless
 *    comments and customer messages), which ranks what the lexicon cannot name.
 *
 * The score is built so that only named evidence reaches the hide band, and some named word the
 * review band:
 *  - a severe term (slur, threat, sexual harassment, insult aimed at someone): 0.9 + 0.1 x model;
 *  - a rude word or a swear with no target ("hoes", "pussy", "fuck"): the model's probability,
 *    capped at 0.89 (review at most);
 *  - no named word at all: half the model's probability (below 0.45). On customer messages the
 *    model alone was unreliable ("Still nothing..", "it's working now...!" scored 0.89: short
 *    texts unlike its training tweets), so on its own it ranks, it does not act.
 * Pure, runtime-neutral.
 */
import { type AbuseTerm, type AbuseTextContext, findAbuseTerms, SEVERE } from './abuse-lexicon.js';
import { ABUSE_MODEL } from './abuse-weights.generated.js';
import { type FeatureContribution, LinearModel } from './model.js';

/** Where named evidence puts the score: the shipped rules hide from here up. */
export const ABUSE_EVIDENCE_FLOOR = 0.9;
/** The highest score a rude word or swear with the model can give (just under the floor). */
export const ABUSE_MODEL_CAP = 0.89;
/** With no named word, the model's probability counts half. */
export const ABUSE_UNNAMED_WEIGHT = 0.5;

export interface AbuseScore {
  /** 0..1; 0.9 and up only with a slur, threat, sexual harassment or targeted insult; 0.45 and up only with a named word. */
  readonly score: number;
  /** The model's calibrated probability on its own. */
  readonly model: number;
  readonly terms: readonly AbuseTerm[];
  /** Whether a swear word (or a censored one) is present, whoever it is aimed at. */
  readonly profanity: boolean;
  /** The features that moved the model most. */
  readonly contributions: readonly FeatureContribution[];
}

let defaultAbuseModel: LinearModel | undefined;

/** The committed abuse model, decoded once per isolate/process on first use. */
export function abuseModel(): LinearModel {
  defaultAbuseModel ??= LinearModel.fromData(ABUSE_MODEL);
  return defaultAbuseModel;
}

export function scoreAbuse(
  normalisedText: string,
  context: AbuseTextContext = {},
  model: LinearModel = abuseModel(),
): AbuseScore {
  const terms = findAbuseTerms(normalisedText, context);
  const { score: p, contributions } = model.scoreExplained(normalisedText, 4);
  const severe = terms.some((t) => SEVERE.has(t.category));
  const score = severe
    ? ABUSE_EVIDENCE_FLOOR + (1 - ABUSE_EVIDENCE_FLOOR) * p
    : terms.length > 0
      ? Math.min(p, ABUSE_MODEL_CAP)
      : ABUSE_UNNAMED_WEIGHT * Math.min(p, ABUSE_MODEL_CAP);
  return {
    score,
    model: p,
    terms,
    profanity: terms.some((t) => t.category === 'profanity'),
    contributions,
  };
}

/**
 * One line for `rules explain`, `audit show` and `modbot eval --errors`: the named terms and
 * the model's strongest features, e.g.
 * `abuse 0.97: insult "you're an idiot", profanity "fuck"; model 0.71 (w:idiot +1.20, ...)`.
 */
export function describeAbuse(a: AbuseScore): string {
  const terms = a.terms.map((t) => `${t.category} ${JSON.stringify(t.term)}`).join(', ');
  const moved = a.contributions
    .map((c) => `${c.feature} ${c.weight >= 0 ? '+' : ''}${c.weight.toFixed(2)}`)
    .join(', ');
  return `abuse ${a.score.toFixed(2)}: ${terms || 'no abusive terms'}; model ${a.model.toFixed(2)}${moved ? ` (${moved})` : ''}`;
}
