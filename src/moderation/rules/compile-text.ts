/**
 * Compiling text conditions: terms (plain or from lists) → patterns of the shared automata, and
 * regexes → RegExp once they pass a ReDoS check.
 */
import { isSafePattern } from 'redos-detector';
import { normalise, rawForm, squeezeRepeats } from '../text/normalise.js';
import { type CompileContext, resolveTerms, type TermsValue } from './compile-context.js';
import type { Leaf, TermRef } from './model.js';
import type { Path } from './parsed-file.js';
import { requiredLiterals } from './regex-literals.js';

export function compileTerms(
  value: TermsValue,
  mode: 'word' | 'substring' | 'start' | 'end' | 'exact',
  all: boolean,
  ctx: CompileContext,
  path: Path,
): Leaf {
  const raw = !ctx.normaliseRule;
  const table = raw ? ctx.raw : ctx.normal;
  const terms: TermRef[] = [];
  for (const display of resolveTerms(value, ctx, path)) {
    const form = raw ? rawForm(display).toLowerCase() : normalise(display);
    if (form.length === 0) {
      ctx.errors.add(
        ctx.file,
        path,
        ctx.ruleId,
        `the term ${JSON.stringify(display)} is empty once normalised (only invisible characters or spaces)`,
        'remove it',
      );
      continue;
    }
    ctx.longestMatch = Math.max(ctx.longestMatch, [...display].length);
    const wordMode = mode === 'word';
    const patterns = [table.add(form, false, wordMode)];
    if (!raw && form.includes(' ')) {
      // "dm me" written as "d m m e" is joined to "dme": find the joined form inside joined words.
      patterns.push(table.add(squeezeRepeats(form.replaceAll(' ', '')), true, wordMode));
    }
    terms.push({ display, form, patterns });
  }
  const byPattern = new Map<number, number[]>();
  const byForm = new Map<string, number>();
  terms.forEach((term, i) => {
    for (const p of term.patterns) {
      const list = byPattern.get(p);
      if (list) list.push(i);
      else byPattern.set(p, [i]);
    }
    if (!byForm.has(term.form)) byForm.set(term.form, i);
  });
  return { kind: 'terms', mode, all, terms, raw, byPattern, byForm };
}

/**
 * ReDoS check (redos-detector). The pattern is checked anchored, `^(?:...)`: unanchored, the
 * detector counts the engine's retry at every start position and flags even `dm\s*me`; that
 * retry costs at most quadratic time in the text length, which MAX_TEXT_LENGTH bounds. What is
 * refused is exponential backtracking such as `(a+)+$` or `(a|a)*b`. Checked both in Unicode
 * mode (how rules run) and case-insensitively (the detector cannot combine the two flags).
 */
export function regexIsSafe(source: string): boolean {
  const cached = safetyCache.get(source);
  if (cached !== undefined) return cached;
  const safe = checkRegex(source);
  if (safetyCache.size < 10_000) safetyCache.set(source, safe);
  return safe;
}

/** Hot reloads re-check the same patterns: remember verdicts (they are deterministic). */
const safetyCache = new Map<string, boolean>();

function checkRegex(source: string): boolean {
  const anchored = `^(?:${source})`;
  // A step budget, not a timeout, so the verdict never depends on the machine's load.
  try {
    if (!isSafePattern(anchored, { unicode: true, maxSteps: 2000 }).safe) return false;
  } catch {
    return false;
  }
  try {
    return isSafePattern(anchored, { caseInsensitive: true, maxSteps: 2000 }).safe;
  } catch {
    // Unicode-only syntax (\p{L}) cannot be parsed without the u flag: the first check stands.
    return true;
  }
}

export function compileRegexes(value: string | string[], ctx: CompileContext, path: Path): Leaf {
  const sources = typeof value === 'string' ? [value] : value;
  const regexes: RegExp[] = [];
  sources.forEach((source, i) => {
    const itemPath = Array.isArray(value) ? [...path, i] : path;
    let re: RegExp;
    try {
      re = new RegExp(source, 'iu');
    } catch (e) {
      ctx.errors.add(
        ctx.file,
        itemPath,
        ctx.ruleId,
        `invalid regex ${JSON.stringify(source)}: ${(e as Error).message.replace(/^Invalid regular expression: /, '')}`,
        'escape special characters such as ( ) [ ] . + ? * with a backslash',
      );
      return;
    }
    const safe = regexIsSafe(source);
    if (!safe) {
      ctx.errors.add(
        ctx.file,
        itemPath,
        ctx.ruleId,
        `regex ${JSON.stringify(source)} can backtrack catastrophically (ReDoS) and is refused`,
        'avoid nested or overlapping repeats such as (a+)+ or (a|a)*; prefer "text contains any" for word lists',
      );
      return;
    }
    ctx.longestMatch = Math.max(ctx.longestMatch, 100);
    regexes.push(re);
  });
  // Raw text is only lower-cased, where `/s/iu` also matches "ſ": no prefilter there.
  const literalIds = regexes.map((re) => {
    const literals = ctx.normaliseRule ? requiredLiterals(re.source) : null;
    return literals === null ? null : literals.map((l) => ctx.regexLiterals.add(l));
  });
  return { kind: 'regex', regexes, literalIds, raw: !ctx.normaliseRule };
}
