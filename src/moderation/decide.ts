/**
 * Runs a compiled rule set over one comment and decides what to do (issue 3, Must 2).
 *
 * Cost order: every rule is first evaluated with only its cheap conditions (text, links, counts,
 * author, where, kind) in three-valued logic: a database or classifier condition not yet asked
 * is "unknown". Only rules whose cheap part leaves them undecided ask the dearer conditions, one
 * tier at a time (repetition counts, then the builtin model, then remote models), so no model is
 * paid for when cheap conditions decide. An enforce rule that could no longer change the
 * decision is not asked at all; shadow rules always are (recording them is their purpose).
 *
 * Conflicts: the highest priority wins; at equal priority the most severe action wins
 * (delete > hide > review > reply > allow); then the rule that comes first (files by path, rules
 * in file order). So an allow rule of higher priority exempts a comment from lower rules.
 * A reply is posted before hiding (Meta refuses replies under hidden comments).
 * Pure apart from the ports it is given.
 *
 * This file orders the tiers, resolves conflicts and plans the steps; match/ evaluates the
 * conditions (cheap ones from the comment, dear ones through the ports) and decision.ts holds
 * the result types.
 */
import type { InstagramEvent } from '../webhook/events.js';
import type {
  Decision,
  DecisionBase,
  EvaluateOptions,
  FallbackApplied,
  FinalAction,
  ModerationInput,
  PlannedStep,
  RuleOutcome,
} from './decision.js';
import { evalNode, type Trace } from './match/conditions.js';
import { Context } from './match/context.js';
import { askLeaf } from './match/dear-leaves.js';
import { planOf, scopedPlan } from './match/plan.js';
import type { EvaluatePorts } from './ports.js';
import { type CNode, type CompiledRule, type RuleSet, ruleSeverity, SEVERITY } from './rules/model.js';
import type { Fallback, RuleAction } from './rules/schema.js';
import { expandTemplate } from './rules/template.js';
import { textHash as hashText } from './text/hash.js';
import { normaliseDetailed } from './text/normalise.js';

// ---------------------------------------------------------------------------------------------
// conflicts and planned steps

function effectiveActions(rule: CompiledRule, fallbacks: Trace['fallbacks']): readonly RuleAction[] {
  if (fallbacks.length === 0) return rule.actions;
  // A failed classifier with fallback review/hide replaces the rule's action.
  const worst = fallbacks.reduce<Fallback>(
    (a, f) => (SEVERITY[f.fallback] > SEVERITY[a] ? f.fallback : a),
    'allow',
  );
  return [worst];
}

interface Rank {
  readonly priority: number;
  readonly severity: number;
  readonly order: number;
}

type Fired = { rule: CompiledRule; outcome: RuleOutcome };

function rankOf(f: Fired): Rank {
  return { priority: f.rule.priority, severity: ruleSeverity(f.outcome.actions), order: f.rule.order };
}

function compareFired(a: Fired, b: Fired): number {
  const ra = rankOf(a);
  const rb = rankOf(b);
  return outrank(ra, rb) ? -1 : outrank(rb, ra) ? 1 : 0;
}

function outcomeOf(f: Fired): RuleOutcome {
  return f.outcome;
}

function outrank(a: Rank, b: Rank): boolean {
  if (a.priority !== b.priority) return a.priority > b.priority;
  if (a.severity !== b.severity) return a.severity > b.severity;
  return a.order < b.order;
}

function plan(
  rule: CompiledRule,
  actions: readonly RuleAction[],
  outcome: RuleOutcome,
  event: InstagramEvent,
  notes: string[],
): { action: FinalAction; steps: PlannedStep[] } {
  const mention = event.kind === 'mention_comment' || event.kind === 'mention_caption';
  if (event.kind === 'live_comment') {
    // Meta supports no hide, delete, reply or comments off on live media: only a review is planned.
    const unsupported = actions.filter((a) => a !== 'allow' && a !== 'review');
    if (unsupported.length > 0)
      notes.push(
        `rule "${rule.id}": Meta supports no ${unsupported.join(', ')} on live media; recorded, not acted on`,
      );
    return actions.includes('review')
      ? { action: 'review', steps: [{ type: 'review' }] }
      : { action: 'allow', steps: [] };
  }
  const steps: PlannedStep[] = [];
  // Reply first: Meta refuses replies under a hidden comment.
  if (actions.includes('reply') && rule.reply) {
    const text = expandTemplate(rule.reply, {
      author: event.author?.username ?? null,
      matched: outcome.matchedTerms[0] ?? null,
    });
    steps.push({ type: 'reply', text, to: mention ? 'mention' : 'comment' });
  }
  let action: FinalAction = actions.includes('reply') ? 'reply' : 'allow';
  for (const a of actions) {
    if (a === 'reply' || a === 'allow' || a === 'lock_comments') continue;
    if (mention && (a === 'hide' || a === 'delete')) {
      notes.push(
        `rule "${rule.id}": a mention cannot be ${a === 'hide' ? 'hidden' : 'deleted'}; held for review instead`,
      );
      steps.push({ type: 'review' });
      action = 'review';
      continue;
    }
    steps.push({ type: a });
    action = a;
  }
  // The lockdown comes last: the comment's own action first, then the media's comments off.
  if (actions.includes('lock_comments') && rule.lockSeconds !== null) {
    if (mention || !event.mediaId)
      notes.push(`rule "${rule.id}": comments can be turned off only on the account's own media`);
    else steps.push({ type: 'lock_comments', forSeconds: rule.lockSeconds });
  }
  return { action, steps };
}

// ---------------------------------------------------------------------------------------------
// evaluating

/**
 * The key repetition conditions count by (`textHash` of the normalised text `evaluate` matches
 * on): lets a caller deciding several comments at once know which of them repeat each other.
 */
export function repetitionKey(input: ModerationInput): string {
  return hashText(normaliseDetailed(input.text ?? input.event.text ?? '').text);
}

/** Decides what to do with one comment. */
export function evaluate(
  ruleSet: RuleSet,
  input: ModerationInput,
  ports: EvaluatePorts = {},
  options: EvaluateOptions = {},
): Promise<Decision> {
  const event = input.event;
  const text = input.text ?? event.text ?? '';
  let plan = planOf(ruleSet);
  if (ruleSet.scoped) plan = scopedPlan(ruleSet, plan, event.accountId);
  const ctx = new Context(ruleSet, plan, event, text, ports);
  if (event.fromSelf || event.isTest)
    return Promise.resolve(skipped(ctx, event.fromSelf ? 'own_comment' : 'test_event'));

  const rules = ruleSet.scoped
    ? ruleSet.rules.filter((r) => r.accounts === null || r.accounts.has(event.accountId))
    : ruleSet.rules;
  // status[i]: rules[i] fired (true), did not (false), or depends on a dear condition (undefined).
  const status: Array<boolean | undefined> = new Array(rules.length);
  let undecided = 0;
  for (let i = 0; i < rules.length; i++) {
    const v = evalNode((rules[i] as CompiledRule).when, ctx, null, 0);
    if (v === undefined) undecided++;
    status[i] = v;
  }
  // The common case is fully synchronous: no database or classifier condition was needed.
  if (undecided === 0) return Promise.resolve(finish(ctx, rules, status, options));
  // Dear conditions: only what a port must answer asynchronously is awaited.
  try {
    const decided = resolveDear(ctx, rules, status, 1, () => finish(ctx, rules, status, options));
    return decided instanceof Promise ? decided : Promise.resolve(decided);
  } catch (e) {
    return Promise.reject(e);
  }
}

function skipped(ctx: Context, reason: 'own_comment' | 'test_event'): Decision {
  // Our own comments (and our replies coming back as webhooks) are never acted on.
  return {
    outcome: 'skipped',
    reason,
    action: 'allow',
    decidingRule: null,
    steps: [],
    ruleSetHash: ctx.ruleSet.hash,
    normalisedText: ctx.normalised.text,
    fired: [],
    shadow: null,
    classifierCalls: [],
    fallbacks: [],
    notes: [],
  };
}

/**
 * Asks dearer conditions tier by tier, only for rules still undecided that could matter, then
 * decides (`done`): at once when every answer came at once, else once the answers are in.
 */
function resolveDear(
  ctx: Context,
  rules: readonly CompiledRule[],
  status: Array<boolean | undefined>,
  fromTier: number,
  done: () => Decision,
): Decision | Promise<Decision> {
  const { severity, dearSeverity } = ctx.plan;
  for (let tier = fromTier; tier <= 3; tier++) {
    // The enforce rule that would win so far.
    let best = -1;
    for (let i = 0; i < rules.length; i++) {
      const r = rules[i] as CompiledRule;
      if (r.mode !== 'enforce' || status[i] !== true) continue;
      if (best < 0) {
        best = i;
        continue;
      }
      const b = rules[best] as CompiledRule;
      if (outranks(r.priority, severity[i] as number, r.order, b.priority, severity[best] as number, b.order))
        best = i;
    }
    const worth: number[] = [];
    for (let i = 0; i < rules.length; i++) {
      if (status[i] !== undefined) continue;
      const r = rules[i] as CompiledRule;
      if (r.mode === 'shadow' || best < 0) {
        worth.push(i);
        continue;
      }
      const b = rules[best] as CompiledRule;
      if (
        outranks(
          r.priority,
          dearSeverity[i] as number,
          r.order,
          b.priority,
          severity[best] as number,
          b.order,
        )
      )
        worth.push(i);
    }
    if (worth.length === 0) return done();
    const pending: Array<Extract<CNode, { t: 'leaf' }>> = [];
    ctx.pending = pending;
    for (const i of worth) evalNode((rules[i] as CompiledRule).when, ctx, null, 0);
    ctx.pending = null;
    const waits: Array<Promise<void>> = [];
    for (const node of pending) {
      if (node.tier !== tier) continue;
      let w: Promise<void> | null;
      try {
        w = askLeaf(node, ctx);
      } catch (e) {
        // A port that throws instead of rejecting: the other asks still go out, then it rejects.
        w = Promise.reject(e);
      }
      if (w !== null) waits.push(w);
    }
    if (waits.length > 0) {
      const next = tier + 1;
      const all = waits.length === 1 ? (waits[0] as Promise<void>) : Promise.all(waits);
      return all.then(() =>
        reevaluate(ctx, rules, status, worth) > 0 ? resolveDear(ctx, rules, status, next, done) : done(),
      );
    }
    if (reevaluate(ctx, rules, status, worth) === 0) return done();
  }
  return done();
}

/** Evaluates the given rules again with the answers so far; returns how many stay undecided. */
function reevaluate(
  ctx: Context,
  rules: readonly CompiledRule[],
  status: Array<boolean | undefined>,
  worth: readonly number[],
): number {
  let undecided = 0;
  for (const i of worth) {
    const v = evalNode((rules[i] as CompiledRule).when, ctx, null, 0);
    if (v === undefined) undecided++;
    status[i] = v;
  }
  return undecided;
}

function outranks(
  priority: number,
  severity: number,
  order: number,
  otherPriority: number,
  otherSeverity: number,
  otherOrder: number,
): boolean {
  if (priority !== otherPriority) return priority > otherPriority;
  if (severity !== otherSeverity) return severity > otherSeverity;
  return order < otherOrder;
}

function finish(
  ctx: Context,
  rules: readonly CompiledRule[],
  status: ReadonlyArray<boolean | undefined>,
  options: EvaluateOptions,
): Decision {
  const event = ctx.event;
  const ruleSet = ctx.ruleSet;
  // Outcomes: full traces for fired rules (and for every rule when explaining).
  const outcomes: RuleOutcome[] = [];
  const fired: Array<{ rule: CompiledRule; outcome: RuleOutcome }> = [];
  const fallbacks: FallbackApplied[] = [];
  for (let i = 0; i < rules.length; i++) {
    const rule = rules[i] as CompiledRule;
    const st = status[i];
    if (st !== true && !options.explain) continue;
    const trace: Trace = { conditions: [], matched: [], fallbacks: [] };
    ctx.tracing = st;
    evalNode(rule.when, ctx, trace, 0);
    const fb = st === true ? (trace.fallbacks[0] ?? null) : null;
    const outcome: RuleOutcome = {
      ruleId: rule.id,
      mode: rule.mode,
      priority: rule.priority,
      reason: rule.reason,
      matched: st === undefined ? null : st,
      actions: st === true ? effectiveActions(rule, trace.fallbacks) : rule.actions,
      conditions: trace.conditions,
      matchedTerms: trace.matched.length < 2 ? trace.matched : [...new Set(trace.matched)],
      fallback: fb ? { ruleId: rule.id, ...fb } : null,
    };
    if (outcome.fallback) fallbacks.push(outcome.fallback);
    outcomes.push(outcome);
    if (st === true) fired.push({ rule, outcome });
  }

  if (fired.length > 1) fired.sort(compareFired);
  let winner: { rule: CompiledRule; outcome: RuleOutcome } | undefined;
  let topShadow = false;
  for (const f of fired) {
    if (f.rule.mode === 'enforce') {
      winner ??= f;
    } else topShadow = true;
  }
  const notes = ctx.notes;

  let shadow: DecisionBase['shadow'] = null;
  const top = fired[0];
  if (topShadow && top && top.rule.mode === 'shadow') {
    // What would happen if shadow rules were enforced: the top of all fired rules.
    const p = plan(top.rule, top.outcome.actions, top.outcome, event, []);
    shadow = { ruleId: top.rule.id, action: p.action, steps: p.steps };
  }

  const firedOutcomes = fired.length === 0 ? [] : fired.map(outcomeOf);
  const explained = options.explain ? { rules: outcomes } : null;
  // What every decision records, whichever rule (if any) decided it.
  const record = {
    ruleSetHash: ruleSet.hash,
    normalisedText: ctx.normalised.text,
    fired: firedOutcomes,
    shadow,
    classifierCalls: ctx.classifierLog,
    fallbacks,
    notes,
  };
  let decision: Decision;
  if (!winner) {
    decision = { ...record, outcome: 'no_match', action: 'allow', decidingRule: null, steps: [] };
  } else {
    const p = plan(winner.rule, winner.outcome.actions, winner.outcome, event, notes);
    decision = {
      ...record,
      outcome: 'matched',
      action: p.action,
      decidingRule: winner.rule.id,
      steps: p.steps,
    };
  }
  return explained ? { ...decision, ...explained } : decision;
}
