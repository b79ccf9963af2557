/**
 * Output formats for audit answers: table (people), json, csv (spreadsheets), ndjson (pipes);
 * the table is also what the accounts commands print.
 * Comment text is written by strangers: in tables every control, bidi and escape character is
 * made visible so a comment cannot rewrite the operator's terminal, and in CSV a cell starting
 * with = + - @ is prefixed with ' so a spreadsheet never runs it as a formula.
 */
import type { DecisionDetail, DecisionSummary, StatsRow } from './query.js';

export const outputFormats = ['table', 'json', 'csv', 'ndjson'] as const;
export type OutputFormat = (typeof outputFormats)[number];

/** Terminal-safe text: controls shown as \xNN / \u{…}, newlines as ⏎. */
export function safeText(value: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: making control characters visible is the point
  return value.replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, (ch) => {
    if (ch === '\n') return '⏎';
    if (ch === '\t') return ' ';
    const code = ch.codePointAt(0) ?? 0;
    return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`;
  });
}

function cell(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (Array.isArray(value)) return value.map(cell).join(' ');
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

function truncate(s: string, n: number): string {
  const chars = [...s];
  return chars.length <= n ? s : `${chars.slice(0, n - 1).join('')}…`;
}

/** A table column: the row key, its heading, and at most how many characters a cell shows (default: all). */
export interface TableColumn {
  readonly key: string;
  readonly title: string;
  readonly max?: number;
}

/**
 * The one text table (audit and accounts commands): aligned columns under a heading and a rule,
 * every cell passed through safeText, so no comment text or username reaches the terminal raw.
 */
export function table(rows: readonly Record<string, unknown>[], columns: readonly TableColumn[]): string {
  const body = rows.map((r) =>
    columns.map((c) => {
      const text = safeText(cell(r[c.key]));
      return c.max === undefined ? text : truncate(text, c.max);
    }),
  );
  const widths = columns.map((c, i) =>
    Math.max([...c.title].length, ...body.map((b) => [...(b[i] ?? '')].length)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((v, i) => v + ' '.repeat(Math.max(0, (widths[i] ?? 0) - [...v].length)))
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.title)), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join(
    '\n',
  );
}

export function csvField(value: unknown): string {
  let s = cell(value);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csv(rows: readonly Record<string, unknown>[], columns: readonly string[]): string {
  return [columns.join(','), ...rows.map((r) => columns.map((c) => csvField(r[c])).join(','))].join('\n');
}

export function ndjson(rows: readonly unknown[]): string {
  return rows.map((r) => JSON.stringify(r)).join('\n');
}

/** Decisions as rows for table/CSV: actions flattened to "type:status(actor)". */
export function decisionRows(items: readonly DecisionSummary[]): Record<string, unknown>[] {
  return items.map((i) => ({
    ...i,
    time: i.createdAt.slice(0, 19).replace('T', ' '),
    firedRules: i.firedRules.join(' '),
    actions: i.actions
      .map((a) => `${a.type}:${a.status}${a.actor === 'modbot' ? '' : `(${a.actor})`}`)
      .join(' '),
    author: i.authorUsername ? `@${i.authorUsername}` : (i.authorId ?? ''),
    result:
      i.actions.length > 0
        ? i.actions.map((a) => `${a.type}:${a.status}`).join(' ')
        : i.dryRun && i.action !== 'allow'
          ? 'dry run'
          : '',
    text: i.redacted ? '[redacted]' : i.text,
  }));
}

export const decisionColumns = [
  'id',
  'createdAt',
  'accountId',
  'mediaId',
  'commentId',
  'kind',
  'authorId',
  'authorUsername',
  'text',
  'action',
  'outcome',
  'decidingRule',
  'firedRules',
  'dryRun',
  'redacted',
  'actions',
] as const;

export const decisionTable = [
  { key: 'time', title: 'time (UTC)', max: 19 },
  { key: 'id', title: 'decision', max: 36 },
  { key: 'commentId', title: 'comment', max: 20 },
  { key: 'author', title: 'author', max: 24 },
  { key: 'action', title: 'action' },
  { key: 'result', title: 'result', max: 30 },
  { key: 'decidingRule', title: 'rule', max: 24 },
  { key: 'text', title: 'text', max: 60 },
] as const;

export function statsTable(
  rows: readonly StatsRow[],
  by: string,
): { rows: Record<string, unknown>[]; columns: TableColumn[] } {
  const withLabel = rows.some((r) => r.label !== undefined);
  const withDeciding = rows.some((r) => r.deciding !== undefined);
  const columns = [
    { key: 'key', title: by, max: 40 },
    ...(withLabel ? [{ key: 'label', title: 'username', max: 30 }] : []),
    { key: 'decisions', title: 'decisions' },
    ...(withDeciding ? [{ key: 'deciding', title: 'deciding' }] : []),
    ...(rows.some((r) => r.shadow !== undefined) ? [{ key: 'shadow', title: 'shadow' }] : []),
    { key: 'hide', title: 'hide' },
    { key: 'delete', title: 'delete' },
    { key: 'review', title: 'review' },
    { key: 'reply', title: 'reply' },
    { key: 'allow', title: 'allow' },
  ];
  return { rows: rows.map((r) => ({ ...r })), columns };
}

/** `audit show` for people: everything that explains one decision, in reading order. */
export function explainDecision(x: DecisionDetail): string {
  const out: string[] = [];
  const t = (s: string | null | undefined) => (s === null || s === undefined ? '(none)' : safeText(s));
  out.push(`decision ${x.id}  ${x.createdAt}${x.dryRun ? '  (dry run)' : ''}`);
  if (x.redactedAt) out.push(`  text and identifiers redacted at ${x.redactedAt} (retention or erasure)`);
  out.push(`  account ${x.accountId}  media ${t(x.mediaId)}  comment ${t(x.commentId)}  kind ${x.kind}`);
  out.push(
    `  author  ${x.authorUsername ? `@${safeText(x.authorUsername)}` : '(unknown)'}${x.authorId ? ` (id ${safeText(x.authorId)})` : ''}`,
  );
  out.push(`  text        ${t(x.text)}`);
  out.push(`  normalised  ${t(x.normalisedText)}`);
  out.push(
    `  decided     ${x.action} (${x.outcome})${x.decidingRule ? ` by rule ${x.decidingRule}` : ''} in ${x.durationMs} ms`,
  );
  out.push(
    `  rule set    ${x.ruleSetHash}${x.ruleSetFirstSeenAt ? ` (first used ${x.ruleSetFirstSeenAt})` : ' (not stored)'}`,
  );

  const detail = (x.detail ?? {}) as {
    fired?: {
      ruleId: string;
      mode: string;
      priority: number;
      reason: string | null;
      conditions?: { condition: string; result: string; detail: string; depth: number }[];
      matchedTerms?: string[];
      fallback?: unknown;
    }[];
    classifierCalls?: {
      classifier: string;
      question: string | null;
      result: {
        model?: string;
        scores?: Record<string, number>;
        cached?: boolean;
        latencyMs?: number;
        reason?: string;
        reasons?: Record<string, string>;
        contributions?: { feature: string; weight: number }[];
      } | null;
      error: { code: string; message: string } | null;
    }[];
    shadow?: { ruleId: string; action: string } | null;
    fallbacks?: { ruleId: string; classifier: string; fallback: string; error: string }[];
    notes?: string[];
  };
  out.push('');
  out.push('rules that fired');
  if (!detail.fired || detail.fired.length === 0) out.push('  (none)');
  for (const f of detail.fired ?? []) {
    out.push(
      `  ${f.ruleId}${f.mode === 'shadow' ? ' [shadow: recorded, not enforced]' : ''}  priority ${f.priority}${f.ruleId === x.decidingRule ? '  ← decided' : ''}`,
    );
    if (f.reason) out.push(`    why: ${safeText(f.reason)}`);
    for (const c of f.conditions ?? [])
      out.push(
        `    ${'  '.repeat(c.depth)}${c.result === 'matched' ? '✓' : c.result === 'not matched' ? '✗' : '·'} ${safeText(c.condition)}: ${safeText(c.detail)}`,
      );
    if (f.matchedTerms && f.matchedTerms.length > 0)
      out.push(`    matched: ${f.matchedTerms.map((m) => `"${safeText(m)}"`).join(', ')}`);
  }
  if (detail.shadow) out.push(`  shadow would have: ${detail.shadow.action} (rule ${detail.shadow.ruleId})`);
  if (detail.classifierCalls && detail.classifierCalls.length > 0) {
    out.push('');
    out.push('classifiers');
    for (const c of detail.classifierCalls) {
      const scores = c.result?.scores
        ? Object.entries(c.result.scores)
            .map(([k, v]) => `${k} ${Number(v).toFixed(3)}`)
            .join(', ')
        : '';
      out.push(
        `  ${c.classifier}${c.question ? ` ("${safeText(c.question)}")` : ''}: ${c.error ? `error ${c.error.code}: ${safeText(c.error.message)}` : scores}${c.result?.model ? `  [${c.result.model}${c.result.cached ? ', cached' : ''}${c.result.latencyMs !== undefined ? `, ${c.result.latencyMs} ms` : ''}]` : ''}`,
      );
      if (c.result?.reason) out.push(`    reason: ${safeText(c.result.reason)}`);
      for (const [score, why] of Object.entries(c.result?.reasons ?? {}))
        out.push(`    ${safeText(score)}: ${safeText(why)}`);
      // The features that moved the model score most, as recorded with the decision.
      if (c.result?.contributions && c.result.contributions.length > 0)
        out.push(
          `    moved by: ${c.result.contributions.map((f) => `${safeText(f.feature)} ${f.weight >= 0 ? '+' : ''}${Number(f.weight).toFixed(2)}`).join(', ')}`,
        );
    }
  }
  for (const fb of detail.fallbacks ?? [])
    out.push(`  fallback ${fb.fallback} for ${fb.ruleId}: ${fb.classifier} failed (${safeText(fb.error)})`);
  for (const n of detail.notes ?? []) out.push(`  note: ${safeText(n)}`);

  out.push('');
  out.push('actions');
  if (x.actions.length === 0)
    out.push(
      x.dryRun && x.action !== 'allow' ? '  (none: dry run, nothing was done on Instagram)' : '  (none)',
    );
  for (const a of x.actions) {
    out.push(
      `  ${a.createdAt}  ${a.type}${a.message ? ` "${safeText(a.message)}"` : ''}  ${a.status}  by ${a.actor}${a.decisionId === x.id ? '' : ' (moderator, on this comment)'}${a.reason ? `  (${safeText(a.reason)})` : ''}${a.lastError ? `  last error: ${safeText(a.lastError)}` : ''}`,
    );
    for (const at of a.attempts) {
      out.push(
        `    attempt ${at.attempt} ${at.startedAt} ${safeText(at.request)} → ${at.httpStatus ?? 'no answer'} ${at.outcome}${at.errorCode !== null ? ` (code ${at.errorCode}${at.errorSubcode !== null ? `/${at.errorSubcode}` : ''})` : ''} ${at.durationMs} ms${at.error ? `: ${safeText(at.error)}` : ''}`,
      );
    }
  }
  if (x.rules && x.rules.length > 0) {
    out.push('');
    out.push('rule text as it was then');
    for (const r of x.rules) {
      out.push(`  ${r.path}:${r.line}`);
      for (const l of r.text.split('\n')) out.push(`    ${safeText(l)}`);
    }
  } else if (x.rules === null) {
    out.push('', `rule set ${x.ruleSetHash} is not stored, so its text cannot be shown`);
  }
  if (x.related.length > 0) out.push('', `other decisions about this comment: ${x.related.join(', ')}`);
  return out.join('\n');
}
