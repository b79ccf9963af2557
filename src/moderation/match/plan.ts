/**
 * The evaluation plan of a rule set: derived once and cached (never per comment), cut to one
 * account's rules when files are scoped. Also the term-hit flags that term conditions test.
 */
import { type CNode, type Leaf, type RuleSet, ruleSeverity } from '../rules/model.js';

/** Flags of a term hit: anywhere, as a whole word, at the start, at the end of the text. */
export const F_ANY = 1;
export const F_WORD = 2;
export const F_START = 4;
export const F_END = 8;

/**
 * What the evaluator derives once per rule set, never per comment: each rule's severity (and
 * with its classifier fallbacks) and, per automaton pattern, the "any of" term conditions a hit
 * of that pattern satisfies.
 */
export interface Plan {
  readonly severity: readonly number[];
  readonly dearSeverity: readonly number[];
  /** Pattern id → [leaf id, flag needed, leaf id, flag needed, ...]. */
  readonly patternLeaves: ReadonlyArray<readonly number[] | undefined>;
  readonly rawPatternLeaves: ReadonlyArray<readonly number[] | undefined>;
}

const plans = new WeakMap<RuleSet, Plan>();

/** `text contains any` (and starts/ends with, substring): true as soon as one term is found. */
export function isAnyOfTerms(leaf: Extract<Leaf, { kind: 'terms' }>): boolean {
  return !leaf.all && leaf.mode !== 'exact';
}

export function modeFlag(mode: 'word' | 'substring' | 'start' | 'end'): number {
  return mode === 'word' ? F_WORD : mode === 'substring' ? F_ANY : mode === 'start' ? F_START : F_END;
}

export function planOf(ruleSet: RuleSet): Plan {
  const cached = plans.get(ruleSet);
  if (cached) return cached;
  const patternLeaves: number[][] = [];
  const rawPatternLeaves: number[][] = [];
  const walk = (n: CNode): void => {
    if (n.t === 'leaf') {
      const leaf = n.leaf;
      if (leaf.kind !== 'terms' || leaf.all || leaf.mode === 'exact') return;
      const table = leaf.raw ? rawPatternLeaves : patternLeaves;
      const need = modeFlag(leaf.mode);
      for (const p of leaf.byPattern.keys()) {
        const list = table[p];
        if (list) list.push(n.id, need);
        else table[p] = [n.id, need];
      }
    } else if (n.t === 'not') walk(n.child);
    else for (const c of n.children) walk(c);
  };
  for (const r of ruleSet.rules) walk(r.when);
  const plan: Plan = {
    severity: ruleSet.rules.map((r) => ruleSeverity(r.actions)),
    dearSeverity: ruleSet.rules.map((r) => Math.max(ruleSeverity(r.actions), ruleSeverity(r.fallbacks))),
    patternLeaves,
    rawPatternLeaves,
  };
  plans.set(ruleSet, plan);
  return plan;
}

/** The plan's per-rule arrays for the rules that apply to one account (in rule-set order). */
export function scopedPlan(ruleSet: RuleSet, plan: Plan, accountId: string): Plan {
  const severity: number[] = [];
  const dearSeverity: number[] = [];
  ruleSet.rules.forEach((r, i) => {
    if (r.accounts !== null && !r.accounts.has(accountId)) return;
    severity.push(plan.severity[i] as number);
    dearSeverity.push(plan.dearSeverity[i] as number);
  });
  return { ...plan, severity, dearSeverity };
}
