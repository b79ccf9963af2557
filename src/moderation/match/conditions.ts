/**
 * A rule's condition tree evaluated in three-valued logic: true, false, or unknown while a dearer
 * condition has not been asked yet. With a trace, every condition is recorded with what it found.
 */
import type { ConditionTrace } from '../decision.js';
import type { CNode } from '../rules/model.js';
import type { Fallback } from '../rules/schema.js';
import { bool, evalCheapLeaf, type LeafResult, R_FALSE, R_TRUE, R_UNKNOWN } from './cheap-leaves.js';
import { type Context, FALSE, TRUE, UNSET } from './context.js';
import { isAnyOfTerms } from './plan.js';

function evalLeaf(node: Extract<CNode, { t: 'leaf' }>, ctx: Context, want: boolean): LeafResult {
  const leaf = node.leaf;
  if (leaf.kind === 'repetition' || leaf.kind === 'classifier') {
    const r = ctx.resolved.get(node.id);
    if (r) {
      if (!want) return bool(r.value);
      return { value: r.value, detail: typeof r.detail === 'string' ? r.detail : r.detail() };
    }
    if (ctx.pending && !ctx.pending.includes(node)) ctx.pending.push(node);
    return R_UNKNOWN;
  }
  if (want) return evalCheapLeaf(leaf, ctx, true);
  // Cheap leaves are pure for one comment: each is computed once, whatever the passes.
  const cached = ctx.leafValues[node.id];
  if (cached !== UNSET && cached !== undefined) return bool(cached === TRUE);
  if (leaf.kind === 'terms' && isAnyOfTerms(leaf)) {
    // Scanning the text marks every "any of" term condition a hit satisfies (Context.search).
    ctx.hits(leaf.raw);
    if (ctx.leafValues[node.id] === TRUE) return R_TRUE;
    ctx.leafValues[node.id] = FALSE;
    return R_FALSE;
  }
  const r = evalCheapLeaf(leaf, ctx, false);
  ctx.leafValues[node.id] = r.value ? TRUE : FALSE;
  return r;
}

export interface Trace {
  readonly conditions: ConditionTrace[];
  readonly matched: string[];
  readonly fallbacks: Array<{ classifier: string; fallback: Fallback; error: string }>;
}

/** Three-valued: true, false, or undefined (depends on a dearer condition not asked yet). */
export function evalNode(node: CNode, ctx: Context, trace: Trace | null, depth: number): boolean | undefined {
  switch (node.t) {
    case 'leaf': {
      if (trace === null) {
        // Known already (cheap leaves are computed once per comment).
        const known = ctx.leafValues[node.id];
        if (known === TRUE) return true;
        if (known === FALSE) return false;
      }
      const r = evalLeaf(node, ctx, trace !== null);
      if (trace) {
        trace.conditions.push({
          condition: node.key,
          result: r.value === undefined ? 'not evaluated' : r.value ? 'matched' : 'not matched',
          detail: r.value === undefined ? notEvaluatedReason(ctx.tracing) : r.detail,
          depth,
        });
        if (r.value === true && r.matched) trace.matched.push(...r.matched);
        const fb = ctx.resolved.get(node.id)?.fallback;
        if (fb && r.value === true) trace.fallbacks.push(fb);
      }
      return r.value;
    }
    case 'all': {
      if (trace && depth > 0)
        trace.conditions.push({ condition: 'all', result: 'not evaluated', detail: '', depth });
      const at = trace ? trace.conditions.length - 1 : -1;
      let unknown = false;
      let result: boolean | undefined = true;
      for (const child of node.children) {
        const v = evalNode(child, ctx, trace, depth === 0 ? 0 : depth + 1);
        if (v === false) {
          result = false;
          if (!trace) break;
        } else if (v === undefined) unknown = true;
      }
      if (result !== false && unknown) result = undefined;
      if (trace && depth > 0) setGroupResult(trace, at, result);
      return result;
    }
    case 'any': {
      if (trace) trace.conditions.push({ condition: 'any', result: 'not evaluated', detail: '', depth });
      const at = trace ? trace.conditions.length - 1 : -1;
      let unknown = false;
      let result: boolean | undefined = false;
      for (const child of node.children) {
        const v = evalNode(child, ctx, trace, depth + 1);
        if (v === true) {
          result = true;
          if (!trace) break;
        } else if (v === undefined) unknown = true;
      }
      if (result !== true && unknown) result = undefined;
      if (trace) setGroupResult(trace, at, result);
      return result;
    }
    case 'not': {
      if (trace) trace.conditions.push({ condition: 'not', result: 'not evaluated', detail: '', depth });
      const at = trace ? trace.conditions.length - 1 : -1;
      // Terms found under "not" are not what made the rule fire.
      const inner: Trace | null = trace
        ? { conditions: trace.conditions, matched: [], fallbacks: trace.fallbacks }
        : null;
      const v = evalNode(node.child, ctx, inner, depth + 1);
      const result = v === undefined ? undefined : !v;
      if (trace) setGroupResult(trace, at, result);
      return result;
    }
  }
}

function setGroupResult(trace: Trace, at: number, result: boolean | undefined): void {
  const entry = trace.conditions[at];
  if (entry)
    trace.conditions[at] = {
      ...entry,
      result: result === undefined ? 'not evaluated' : result ? 'matched' : 'not matched',
    };
}

function notEvaluatedReason(ruleStatus: boolean | undefined): string {
  return ruleStatus === undefined
    ? 'not evaluated: the rule could not change the decision'
    : 'not evaluated: not needed, the cheaper conditions decided';
}
