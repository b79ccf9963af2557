/**
 * Rule-file errors: where (file:line:column), which rule, what is wrong and what to do.
 * Example: `rules/spam.yaml:14:7 rule "link-spam": unknown condition "containz" (did you mean "contains"?)`.
 */

export interface RuleError {
  readonly file: string;
  /** 1-based; 0 when the error is about the whole file or rule set. */
  readonly line: number;
  readonly column: number;
  readonly ruleId: string | null;
  readonly message: string;
  /** A fix to try, when there is one; shown as "(did you mean ...?)" or "(hint: ...)". */
  readonly suggestion: string | null;
  /** `file:line:column rule "id": message (suggestion)`. */
  format(): string;
}

export function ruleError(fields: {
  file: string;
  line?: number;
  column?: number;
  ruleId?: string | null;
  message: string;
  suggestion?: string | null;
}): RuleError {
  const error = {
    file: fields.file,
    line: fields.line ?? 0,
    column: fields.column ?? 0,
    ruleId: fields.ruleId ?? null,
    message: fields.message,
    suggestion: fields.suggestion ?? null,
    format(): string {
      const where = error.line > 0 ? `${error.file}:${error.line}:${error.column}` : error.file;
      const rule = error.ruleId ? ` rule "${error.ruleId}"` : '';
      const hint = error.suggestion ? ` (${error.suggestion})` : '';
      return `${where}${rule}: ${error.message}${hint}`;
    },
  };
  return error;
}

/** Damerau-free Levenshtein distance, for "did you mean". */
export function editDistance(a: string, b: string): number {
  const prev = new Array<number>(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0] as number;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j] as number;
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      prev[j] = Math.min(up + 1, (prev[j - 1] as number) + 1, diag + cost);
      diag = up;
    }
  }
  return prev[b.length] as number;
}

/** The closest candidate, if it is close enough to be a likely typo. */
export function closest(input: string, candidates: readonly string[]): string | null {
  const needle = input.toLowerCase().trim();
  const limitFor = (a: string, b: string): number =>
    Math.max(1, Math.min(3, Math.floor(Math.max(a.length, b.length) / 4)));
  let best: string | null = null;
  let bestScore = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const c = candidate.toLowerCase();
    const d = editDistance(needle, c);
    if (d <= limitFor(needle, c) && d < bestScore) {
      bestScore = d;
      best = candidate;
    }
  }
  if (best !== null) return best;
  // Part of a multi-word key ("containz" → "text contains any", "mention" → "mentions any").
  for (const candidate of candidates) {
    const words = candidate.toLowerCase().split(' ');
    for (let i = 0; i < words.length; i++) {
      for (let j = i + 1; j <= words.length; j++) {
        const part = words.slice(i, j).join(' ');
        if (part.length < 4) continue;
        const d = editDistance(needle, part) + 0.5;
        if (d <= limitFor(needle, part) && d < bestScore) {
          bestScore = d;
          best = candidate;
        }
      }
    }
  }
  return best;
}

export function didYouMean(input: string, candidates: readonly string[]): string | null {
  const best = closest(input, candidates);
  return best === null ? null : `did you mean "${best}"?`;
}
