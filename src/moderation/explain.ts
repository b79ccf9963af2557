/**
 * Human-readable explanation of a decision, for `modbot rules explain` and the console. Pure.
 */
import type { Decision, RuleOutcome } from './decision.js';
import type { NormaliseStep } from './text/normalise.js';

function ruleLine(o: RuleOutcome): string[] {
  const mark = o.matched === true ? 'MATCHED' : o.matched === false ? 'no match' : 'not evaluated';
  const mode = o.mode === 'shadow' ? ' [shadow]' : '';
  const lines = [
    `  ${o.matched === true ? '✔' : '·'} ${o.ruleId}${mode} (priority ${o.priority}, ${o.actions.join('+')}): ${mark}`,
  ];
  for (const c of o.conditions) {
    const sym = c.result === 'matched' ? '✔' : c.result === 'not matched' ? '✘' : '?';
    lines.push(`      ${'  '.repeat(c.depth)}${sym} ${c.condition}${c.detail ? `: ${c.detail}` : ''}`);
  }
  if (o.fallback)
    lines.push(`      fallback ${o.fallback.fallback} (${o.fallback.classifier}: ${o.fallback.error})`);
  return lines;
}

/**
 * `w:price -1.20, b:mesage me +1.80`: the features that moved a model score most. Feature names
 * are prefixed by channel (w: word, b: word pair, c: characters, k: letters only, h: handle
 * part, s: structure; see docs/classifiers.md).
 */
export function formatContributions(
  contributions: readonly { feature: string; weight: number }[] | undefined,
): string {
  if (!contributions || contributions.length === 0) return '';
  return contributions
    .map((c) => `${c.feature} ${c.weight >= 0 ? '+' : ''}${c.weight.toFixed(2)}`)
    .join(', ');
}

export function formatExplanation(input: {
  text: string;
  trace: ReadonlyArray<{ step: NormaliseStep; text: string }>;
  decision: Decision;
}): string {
  const d = input.decision;
  const out: string[] = [];
  out.push(`text:        ${JSON.stringify(input.text)}`);
  out.push(`normalised:  ${JSON.stringify(d.normalisedText)}`);
  let previous = input.text;
  for (const s of input.trace) {
    if (s.text !== previous) out.push(`  ${s.step.padEnd(20)} → ${JSON.stringify(s.text)}`);
    previous = s.text;
  }
  out.push(`rule set:    ${d.ruleSetHash.slice(0, 12)}`);
  out.push('');
  out.push('rules:');
  for (const o of d.rules ?? d.fired) out.push(...ruleLine(o));
  out.push('');
  if (d.outcome === 'skipped') {
    out.push(`decision:    skipped (${d.reason})`);
  } else if (d.outcome === 'no_match') {
    out.push(`decision:    allow (no ${d.fired.length > 0 ? 'enforced ' : ''}rule matched)`);
  } else {
    out.push(`decision:    ${d.action} by rule "${d.decidingRule}"`);
    for (const [i, s] of d.steps.entries()) {
      const detail =
        s.type === 'reply'
          ? ` (${s.to}): ${JSON.stringify(s.text)}`
          : s.type === 'lock_comments'
            ? ` (comments off on the media for ${s.forSeconds}s, then back on)`
            : '';
      out.push(`  ${i + 1}. ${s.type}${detail}`);
    }
  }
  if (d.shadow)
    out.push(
      `shadow:      would ${d.shadow.action} by rule "${d.shadow.ruleId}" (shadow mode: recorded, not acted on)`,
    );
  for (const c of d.classifierCalls) {
    out.push(
      `classifier:  ${c.classifier}${c.question ? ` "${c.question}"` : ''} → ${c.result ? JSON.stringify(c.result.scores) : `error ${c.error?.code}: ${c.error?.message}`}`,
    );
    const contributions = formatContributions(c.result?.contributions);
    if (contributions) out.push(`  moved by:  ${contributions}`);
    if (c.result?.reason) out.push(`  reason:    ${c.result.reason}`);
    for (const [score, why] of Object.entries(c.result?.reasons ?? {}))
      out.push(`  ${score}:${' '.repeat(Math.max(1, 10 - score.length))}${why}`);
  }
  for (const n of d.notes) out.push(`note:        ${n}`);
  return out.join('\n');
}
