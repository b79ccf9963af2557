/**
 * Compiling a rule's `when:` → a condition tree (CNode) whose leaves carry their cost tier, so
 * the evaluator asks cheap conditions first and dear ones (database, models) only when needed.
 */
import { type CompileContext, resolveTerms, type TermsValue } from './compile-context.js';
import { compileRegexes, compileTerms } from './compile-text.js';
import {
  type CNode,
  type Leaf,
  TIER_CHEAP,
  TIER_DATABASE,
  TIER_LOCAL_MODEL,
  TIER_REMOTE_MODEL,
  type Tier,
} from './model.js';
import type { Path } from './parsed-file.js';
import type { ConditionInput } from './schema.js';

/** Seconds in "30s", "10m", "2h" or "1d"; NaN when it is none of these. */
export function parseDuration(text: string): number {
  const m = /^\s*(\d+)\s*([a-z]+)\s*$/i.exec(text);
  if (!m) return Number.NaN;
  const n = Number(m[1]);
  const unit = (m[2] ?? '').toLowerCase();
  if (unit.startsWith('s')) return n;
  if (unit.startsWith('m')) return n * 60;
  if (unit.startsWith('h')) return n * 3600;
  if (unit.startsWith('d')) return n * 86400;
  return Number.NaN;
}

function lowerHandle(s: string): string {
  return s.trim().replace(/^[@#]/, '').toLowerCase();
}

function leafNode(key: string, leaf: Leaf, ctx: CompileContext): CNode {
  let tier: Tier = TIER_CHEAP;
  if (leaf.kind === 'repetition') tier = TIER_DATABASE;
  if (leaf.kind === 'classifier') tier = leaf.use === 'builtin' ? TIER_LOCAL_MODEL : TIER_REMOTE_MODEL;
  return { t: 'leaf', key, leaf, tier, id: ctx.leafCount++ };
}

/**
 * A rough per-comment cost rank within a tier (0: free once the comment is scanned). A group
 * costs what it takes to turn most comments down: `all` stops at its first false child (its
 * cheapest, children being sorted), `any` asks every child of a comment that matches none, so
 * `all: [{text contains any: …}, {text matches: …}]` is still decided by the term scan for most
 * comments and runs its regex only when the terms are there.
 */
function nodeCost(node: CNode): number {
  if (node.t === 'all') return node.children.length === 0 ? 0 : Math.min(...node.children.map(nodeCost));
  if (node.t === 'any') return node.children.length === 0 ? 0 : Math.max(...node.children.map(nodeCost));
  if (node.t === 'not') return nodeCost(node.child);
  switch (node.leaf.kind) {
    case 'terms':
    case 'author':
    case 'media':
    case 'media-type':
    case 'is-live':
    case 'event-kind':
      return 0;
    case 'count':
      return node.leaf.what === 'emoji' ? 2 : 1;
    case 'has-link':
    case 'has-shortened-link':
    case 'link-domain':
    case 'mentions-any':
    case 'hashtags-any':
      return 1;
    default:
      return 2;
  }
}

function maxTier(nodes: readonly CNode[]): Tier {
  let t: Tier = TIER_CHEAP;
  for (const n of nodes) if (n.tier > t) t = n.tier;
  return t;
}

/** Compiles one condition map (all of its keys must hold); children sorted cheapest first. */
export function compileCondition(cond: ConditionInput, ctx: CompileContext, path: Path): CNode {
  const children: CNode[] = [];
  const add = (key: string, leaf: Leaf): void => {
    children.push(leafNode(key, leaf, ctx));
  };
  for (const [key, value] of Object.entries(cond) as Array<[keyof ConditionInput, unknown]>) {
    if (value === undefined) continue;
    const at = [...path, key];
    switch (key) {
      case 'text contains any':
        add(key, compileTerms(value as TermsValue, 'word', false, ctx, at));
        break;
      case 'text contains all':
        add(key, compileTerms(value as TermsValue, 'word', true, ctx, at));
        break;
      case 'text contains any (substring)':
        add(key, compileTerms(value as TermsValue, 'substring', false, ctx, at));
        break;
      case 'text contains all (substring)':
        add(key, compileTerms(value as TermsValue, 'substring', true, ctx, at));
        break;
      case 'text starts with':
        add(key, compileTerms(value as TermsValue, 'start', false, ctx, at));
        break;
      case 'text ends with':
        add(key, compileTerms(value as TermsValue, 'end', false, ctx, at));
        break;
      case 'text is':
        add(key, compileTerms(value as TermsValue, 'exact', false, ctx, at));
        break;
      case 'text matches':
        add(key, compileRegexes(value as string | string[], ctx, at));
        break;
      case 'has link':
        add(key, { kind: 'has-link', value: value as boolean });
        break;
      case 'has shortened link':
        add(key, { kind: 'has-shortened-link', value: value as boolean });
        break;
      case 'links at least':
        add(key, { kind: 'count', what: 'links', min: value as number, max: null });
        break;
      case 'link domain in':
      case 'link domain not in': {
        const domains = resolveTerms(value as TermsValue, ctx, at).map((d) =>
          d
            .trim()
            .toLowerCase()
            .replace(/^https?:\/\//, '')
            .replace(/^www\./, '')
            .replace(/\/.*$/, ''),
        );
        for (const d of domains) ctx.longestMatch = Math.max(ctx.longestMatch, d.length);
        add(key, { kind: 'link-domain', domains, negate: key === 'link domain not in' });
        break;
      }
      case 'mentions at least':
        add(key, { kind: 'count', what: 'mentions', min: value as number, max: null });
        break;
      case 'mentions at most':
        add(key, { kind: 'count', what: 'mentions', min: null, max: value as number });
        break;
      case 'hashtags at least':
        add(key, { kind: 'count', what: 'hashtags', min: value as number, max: null });
        break;
      case 'hashtags at most':
        add(key, { kind: 'count', what: 'hashtags', min: null, max: value as number });
        break;
      case 'emoji at least':
        add(key, { kind: 'count', what: 'emoji', min: value as number, max: null });
        break;
      case 'emoji at most':
        add(key, { kind: 'count', what: 'emoji', min: null, max: value as number });
        break;
      case 'length at least':
        add(key, { kind: 'count', what: 'length', min: value as number, max: null });
        break;
      case 'length at most':
        add(key, { kind: 'count', what: 'length', min: null, max: value as number });
        break;
      case 'emoji share at least':
        add(key, { kind: 'share', what: 'emoji', min: value as number });
        break;
      case 'capitals share at least':
        add(key, { kind: 'share', what: 'capitals', min: value as number });
        break;
      case 'mentions any':
      case 'hashtags any': {
        const values = resolveTerms(value as TermsValue, ctx, at).map(lowerHandle);
        for (const v of values) ctx.longestMatch = Math.max(ctx.longestMatch, v.length + 1);
        add(key, { kind: key === 'mentions any' ? 'mentions-any' : 'hashtags-any', values: new Set(values) });
        break;
      }
      case 'repeated by author':
      case 'repeated across account': {
        const rep = value as { times: number; within: string };
        const windowSeconds = parseDuration(rep.within);
        if (!Number.isFinite(windowSeconds) || windowSeconds <= 0 || windowSeconds > 30 * 86400) {
          ctx.errors.add(
            ctx.file,
            [...at, 'within'],
            ctx.ruleId,
            `"within" must be between 1 second and 30 days, got ${JSON.stringify(rep.within)}`,
            'e.g. "10m" or "24h"',
          );
        }
        add(key, {
          kind: 'repetition',
          scope: key === 'repeated by author' ? 'author' : 'account',
          times: rep.times,
          windowSeconds,
        });
        break;
      }
      case 'author is':
      case 'author is not':
        add(key, {
          kind: 'author',
          values: new Set(resolveTerms(value as TermsValue, ctx, at).map(lowerHandle)),
          negate: key === 'author is not',
        });
        break;
      case 'media is':
        add(key, {
          kind: 'media',
          values: new Set(resolveTerms(value as TermsValue, ctx, at).map((s) => s.trim())),
        });
        break;
      case 'media type is':
        add(key, {
          kind: 'media-type',
          values: new Set(typeof value === 'string' ? [value] : (value as string[])),
        });
        break;
      case 'is live':
        add(key, { kind: 'is-live', value: value as boolean });
        break;
      case 'kind is': {
        const kinds = new Set<string>();
        for (const k of typeof value === 'string' ? [value] : (value as string[])) {
          if (k === 'mention') {
            kinds.add('mention_comment');
            kinds.add('mention_caption');
          } else kinds.add(k);
        }
        add(key, { kind: 'event-kind', values: kinds });
        break;
      }
      case 'classifier': {
        const c = value as NonNullable<ConditionInput['classifier']>;
        if (c.use === 'openai-policy' && !c.question) {
          ctx.errors.add(
            ctx.file,
            at,
            ctx.ruleId,
            'the openai-policy classifier needs a "question"',
            'e.g. question: "Does this comment invite people to a private chat to sell something?"',
          );
        }
        if (c.use !== 'openai-policy' && c.question) {
          ctx.errors.add(
            ctx.file,
            at,
            ctx.ruleId,
            `"question" is only used by openai-policy, not ${c.use}`,
            'remove "question" or use: openai-policy',
            'question',
          );
        }
        if (c.use !== 'openai-policy' && !c.score) {
          ctx.errors.add(
            ctx.file,
            at,
            ctx.ruleId,
            'missing "score": which category to compare',
            'e.g. score: scam',
          );
        }
        add(key, {
          kind: 'classifier',
          use: c.use,
          score: c.score ?? 'yes',
          atLeast: c['at least'],
          question: c.question ?? null,
          fallback: c.fallback,
        });
        break;
      }
      case 'any':
      case 'all': {
        const groups = (value as ConditionInput[]).map((g, i) => compileCondition(g, ctx, [...at, i]));
        groups.sort((a, b) => a.tier - b.tier || nodeCost(a) - nodeCost(b));
        children.push({ t: key, children: groups, tier: maxTier(groups) });
        break;
      }
      case 'not': {
        const child = compileCondition(value as ConditionInput, ctx, at);
        children.push({ t: 'not', child, tier: child.tier });
        break;
      }
    }
  }
  if (children.length === 0) {
    ctx.errors.add(
      ctx.file,
      path,
      ctx.ruleId,
      'no conditions',
      'add at least one condition, e.g. text contains any: [word]',
    );
  }
  // Cheap conditions first: dearer ones are only asked when the cheap ones matched. Within a
  // tier, conditions answered from the shared term scan or the event come before those that
  // scan the text again (regexes, emoji, capitals), so a failing cheap one saves the scan.
  children.sort((a, b) => a.tier - b.tier || nodeCost(a) - nodeCost(b));
  if (children.length === 1) return children[0] as CNode;
  return { t: 'all', children, tier: maxTier(children) };
}
