/**
 * What a regex cannot match without: a short list of lower-case strings, one of which appears in
 * every text the regex matches (`\b(get|gain) \d+k? (followers|likes)\b` → ["followers",
 * "likes"]). The rule set puts all of them in one automaton; the matcher finds which are in a
 * comment in one pass and runs a regex only when one of its strings is there, so the rules'
 * regexes cost almost nothing on the comments they could never match, which is most of them.
 *
 * Derived from the parsed pattern (regjsparser, the parser redos-detector uses), and only where
 * it is certain: anything this does not understand (classes, non-ASCII letters, back-references,
 * optional parts) contributes no requirement, and a pattern without one gets no prefilter.
 */

import type { AstNode } from 'regjsparser';
import * as regjsparser from 'regjsparser';

// A CommonJS module: Node gives its exports as `default`, bundlers (wrangler) as named ones.
const parse: typeof regjsparser.parse =
  regjsparser.parse ?? (regjsparser as unknown as { default: typeof regjsparser }).default.parse;

/** Shorter requirements filter too little to pay for the check. */
const MIN_LITERAL = 2;

type Requirement = readonly string[] | null;

/** The strings one of which every match contains, or null when none is certain. */
export function requiredLiterals(source: string): readonly string[] | null {
  let ast: AstNode;
  try {
    ast = parse(source, 'iu') as AstNode;
  } catch {
    return null;
  }
  const required = requirementOf(ast);
  if (required === null || required.length === 0) return null;
  return Math.min(...required.map((s) => s.length)) >= MIN_LITERAL ? required : null;
}

/** The one ASCII character a node matches, lower-cased, or null. */
function fixedChar(node: AstNode): string | null {
  if (node.type === 'value') return asciiLower(node.codePoint);
  if (node.type === 'characterClass' && !node.negative && node.body.length === 1) {
    const only = node.body[0] as AstNode;
    if (only.type === 'value') return asciiLower(only.codePoint);
  }
  return null;
}

function asciiLower(codePoint: number): string | null {
  if (codePoint >= 0x80) return null;
  return String.fromCharCode(codePoint).toLowerCase();
}

/** The exact text a node matches, when it matches exactly one text. */
function fixedText(node: AstNode): string | null {
  const ch = fixedChar(node);
  if (ch !== null) return ch;
  if (node.type === 'alternative') return fixedSequence(node.body as AstNode[]);
  if (node.type === 'group' && (node.behavior === 'normal' || node.behavior === 'ignore'))
    return fixedSequence(node.body as AstNode[]);
  return null;
}

function fixedSequence(nodes: readonly AstNode[]): string | null {
  let out = '';
  for (const n of nodes) {
    if (isZeroWidth(n)) continue;
    const t = fixedText(n);
    if (t === null) return null;
    out += t;
  }
  return out;
}

/** Assertions consume nothing: literals either side of `\b` are still adjacent. */
function isZeroWidth(node: AstNode): boolean {
  return node.type === 'anchor';
}

function requirementOf(node: AstNode): Requirement {
  switch (node.type) {
    case 'alternative':
      return sequenceRequirement(node.body as AstNode[]);
    case 'disjunction': {
      const all: string[] = [];
      for (const alt of node.body as AstNode[]) {
        const r = requirementOf(alt);
        if (r === null) return null;
        all.push(...r);
      }
      return all;
    }
    case 'group':
      return node.behavior === 'normal' || node.behavior === 'ignore'
        ? sequenceRequirement(node.body as AstNode[])
        : null;
    case 'quantifier':
      return node.min >= 1 ? requirementOf(node.body[0] as AstNode) : null;
    default: {
      const ch = fixedChar(node);
      return ch === null ? null : [ch];
    }
  }
}

/**
 * A sequence needs all of its parts: runs of fixed text are joined into one string, and the
 * part whose shortest string is longest is the requirement kept.
 */
function sequenceRequirement(nodes: readonly AstNode[]): Requirement {
  const candidates: string[][] = [];
  let run = '';
  const endRun = () => {
    if (run.length > 0) candidates.push([run]);
    run = '';
  };
  for (const n of nodes) {
    if (isZeroWidth(n)) continue;
    const t = fixedText(n);
    if (t !== null) {
      run += t;
      continue;
    }
    endRun();
    const r = requirementOf(n);
    if (r !== null && r.length > 0) candidates.push([...r]);
  }
  endRun();
  let best: string[] | null = null;
  let bestScore = -1;
  for (const c of candidates) {
    const score = Math.min(...c.map((s) => s.length));
    if (score > bestScore) {
      best = c;
      bestScore = score;
    }
  }
  return best;
}
