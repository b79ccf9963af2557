/**
 * A backtest report for people: totals, a table of changes per rule with examples, the
 * moderators' labels, and what was assumed about missing scores. The CLI prints it and the
 * console shows it as is.
 */
import type { BacktestReport } from './run.js';
import { type EffectCounts, effects } from './tally.js';

const n = (v: number) => v.toLocaleString('en-US');

function counts(c: EffectCounts): string {
  return effects.map((e) => String(c[e]).padStart(9)).join('');
}

export function formatBacktest(r: BacktestReport): string {
  const t = r.totals;
  const out: string[] = [];
  out.push(
    `Backtest of rule set ${r.candidate.ruleSetHash.slice(0, 12)} (${r.candidate.rules} rules${
      r.candidate.classifiers.length > 0
        ? `, candidate classifiers: ${r.candidate.classifiers.join(', ')}`
        : ''
    })`,
  );
  out.push(
    `on ${n(t.decisions)} decisions from ${r.window.since} to ${r.window.until}${
      r.window.account ? ` on account ${r.window.account}` : ''
    }, against the ${Object.keys(r.recordedRuleSets).length} rule set(s) that decided them`,
  );
  out.push(
    `${n(t.compared)} re-decided, ${n(t.changed)} would change${t.redacted > 0 ? `, ${n(t.redacted)} redacted (text gone; not re-decided)` : ''}; no API called (${(r.elapsedMs / 1000).toFixed(1)} s)`,
  );
  out.push('');
  out.push(`${''.padEnd(26)}${effects.map((e) => e.padStart(9)).join('')}`);
  out.push(`${'newly'.padEnd(26)}${counts(t.newly)}`);
  out.push(`${'no longer'.padEnd(26)}${counts(t.noLonger)}`);
  if (r.rules.length > 0) {
    out.push('');
    out.push("Per rule (newly: the candidate's deciding rule; no longer: the recorded one)");
    out.push(`${'rule'.padEnd(26)}${effects.map((e) => e.padStart(9)).join('')}`);
    for (const rule of r.rules) {
      const id = rule.ruleId.length > 24 ? `${rule.ruleId.slice(0, 23)}…` : rule.ruleId;
      out.push(`${`${id} +`.padEnd(26)}${counts(rule.newly)}`);
      out.push(`${`${''.padEnd(id.length)} -`.padEnd(26)}${counts(rule.noLonger)}`);
      for (const x of rule.examples)
        out.push(
          `    comment ${x.commentId ?? '-'} (decision ${x.decisionId.slice(0, 8)}): ${x.before} → ${x.after}  ${JSON.stringify(x.text)}`,
        );
    }
  }
  const l = r.labels;
  out.push('');
  out.push(
    'Against the moderators (unhide/approve after an automatic hide or hold = reversal; manual hide of an allowed comment = miss)',
  );
  out.push(
    `  reversals ${n(l.reversals)}: avoided ${n(l.reversalsAvoided)}, repeated ${n(l.reversalsRepeated)}${
      l.examples.reversalsRepeated.length > 0 ? ` (e.g. ${l.examples.reversalsRepeated.join(', ')})` : ''
    }`,
  );
  out.push(
    `  manual hides ${n(l.manualHides)}: caught ${n(l.manualHidesCaught)}, held for review ${n(l.manualHidesHeld)}${
      l.examples.manualHidesCaught.length > 0 ? ` (e.g. ${l.examples.manualHidesCaught.join(', ')})` : ''
    }`,
  );
  const s = r.scores;
  out.push('');
  out.push(
    `Scores: ${n(s.recorded)} from recorded decisions, ${n(s.cached)} from the cache, ${n(s.offline)} from offline classifiers, ${n(s.candidate)} from candidate classifiers`,
  );
  if (s.commentsAssumed > 0)
    out.push(
      `  ${n(s.commentsAssumed)} comments lacked a score (${Object.entries(s.byClassifier)
        .map(([k, v]) => `${k}: ${n(v)}`)
        .join(', ')}): ${s.assumption}`,
    );
  else out.push('  no comment lacked a score');
  return out.join('\n');
}
