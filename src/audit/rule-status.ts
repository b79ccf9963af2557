/**
 * `modbot rules status` and GET /api/rules/status: per rule of the set in force, its mode and how
 * often it fired in the last 7 and 30 days; for a shadow rule, what it would have done since it
 * was added and how often moderators reversed comparable enforced actions, with the edit that
 * promotes it (the rule file stays the source of truth: nothing here changes a rule).
 */
import type { Database } from '../db/client.js';
import { createBacktestRepo } from '../db/repos/backtest.js';
import type { CompiledRule, RuleSet } from '../moderation/index.js';

export interface ReversalRate {
  readonly action: string;
  readonly decided: number;
  readonly reversed: number;
  /** reversed / decided, null when nothing was decided. */
  readonly rate: number | null;
}

export interface ShadowEvidence {
  /** When the rule first appeared in a rule set that decided something (null: never yet). */
  readonly since: string | null;
  /** Decisions it fired on since then. */
  readonly fired: number;
  /** Where it was the top rule: what it would have done instead of the enforced decision. */
  readonly wouldHave: Readonly<Record<string, number>>;
  /** Moderators' reversals of enforced decisions with the same action, last 30 days. */
  readonly comparable: ReversalRate | null;
  /** The edit that puts it in force. */
  readonly promote: string;
}

export interface RuleStatus {
  readonly ruleId: string;
  readonly file: string;
  readonly line: number;
  readonly mode: 'enforce' | 'shadow';
  readonly actions: readonly string[];
  readonly hits7Days: number;
  readonly hits30Days: number;
  /** Enforce rules: moderators' reversals of this rule's decisions, last 30 days. */
  readonly reversals: ReversalRate | null;
  readonly shadow: ShadowEvidence | null;
}

export interface RulesStatus {
  readonly ruleSetHash: string;
  readonly at: string;
  readonly rules: readonly RuleStatus[];
}

const severity = ['delete', 'hide', 'review', 'reply'] as const;

/** The action a rule's evidence is compared on: its severest. */
function mainAction(rule: CompiledRule): string | null {
  for (const a of severity) if (rule.actions.includes(a)) return a;
  return null;
}

function rate(decided: number, reversed: number, action: string): ReversalRate {
  return { action, decided, reversed, rate: decided === 0 ? null : reversed / decided };
}

/** "rules/spam.yaml:14: change `mode: shadow` to `mode: enforce` in rule x". */
export function promotionEdit(ruleSet: RuleSet, rule: CompiledRule): string {
  const file = ruleSet.files.find((f) => f.path === rule.file);
  const lines = file ? file.content.split('\n') : [];
  for (let i = Math.max(rule.line - 1, 0); i < lines.length; i++) {
    if (i > rule.line - 1 && /^\s*-\s*id\s*:/.test(lines[i] ?? '')) break;
    if (/^\s*mode\s*:\s*["']?shadow["']?\s*(#.*)?$/.test(lines[i] ?? ''))
      return `${rule.file}:${i + 1}: change "mode: shadow" to "mode: enforce" in rule "${rule.id}"`;
  }
  return `${rule.file}:${rule.line}: set "mode: enforce" in rule "${rule.id}"`;
}

/** When each rule id first appears in a stored rule set. */
function firstSeen(
  history: ReadonlyArray<{ firstSeenAt: Date; files: { content: string }[] }>,
  ids: readonly string[],
): Map<string, Date> {
  const out = new Map<string, Date>();
  const patterns = ids.map(
    (id) =>
      [
        id,
        new RegExp(
          `^\\s*-?\\s*id\\s*:\\s*["']?${id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}["']?\\s*(#.*)?$`,
          'm',
        ),
      ] as const,
  );
  for (const set of history)
    for (const [id, re] of patterns)
      if (!out.has(id) && set.files.some((f) => re.test(f.content))) out.set(id, set.firstSeenAt);
  return out;
}

export async function rulesStatus(
  db: Database,
  ruleSet: RuleSet,
  now: Date = new Date(),
): Promise<RulesStatus> {
  const repo = createBacktestRepo(db);
  const since30 = new Date(now.getTime() - 30 * 86_400_000);
  const [hits, reversals] = await Promise.all([repo.ruleHits(now), repo.reversals(since30)]);
  const hitsBy = new Map(hits.map((h) => [h.ruleId, h]));
  const byAction = new Map<string, { decided: number; reversed: number }>();
  for (const r of reversals) {
    const a = byAction.get(r.action) ?? { decided: 0, reversed: 0 };
    a.decided += r.decided;
    a.reversed += r.reversed;
    byAction.set(r.action, a);
  }
  const shadowRules = ruleSet.rules.filter((r) => r.mode === 'shadow');
  const added =
    shadowRules.length > 0
      ? firstSeen(
          await repo.ruleSetHistory(),
          shadowRules.map((r) => r.id),
        )
      : new Map<string, Date>();

  const rules: RuleStatus[] = [];
  for (const rule of ruleSet.rules) {
    const h = hitsBy.get(rule.id);
    const action = mainAction(rule);
    let shadow: ShadowEvidence | null = null;
    let own: ReversalRate | null = null;
    if (rule.mode === 'shadow') {
      const since = added.get(rule.id) ?? null;
      const [fired, would] = since
        ? await Promise.all([repo.firedSince(rule.id, since), repo.shadowWouldDo(rule.id, since)])
        : [0, []];
      const comparable = action ? byAction.get(action) : undefined;
      shadow = {
        since: since?.toISOString() ?? null,
        fired,
        wouldHave: Object.fromEntries(would.map((w) => [w.action, w.count])),
        comparable: action && comparable ? rate(comparable.decided, comparable.reversed, action) : null,
        promote: promotionEdit(ruleSet, rule),
      };
    } else if (action) {
      const mine = reversals.filter((r) => r.ruleId === rule.id);
      const decided = mine.reduce((s, r) => s + r.decided, 0);
      own = rate(
        decided,
        mine.reduce((s, r) => s + r.reversed, 0),
        action,
      );
    }
    rules.push({
      ruleId: rule.id,
      file: rule.file,
      line: rule.line,
      mode: rule.mode,
      actions: rule.actions,
      hits7Days: h?.last7Days ?? 0,
      hits30Days: h?.last30Days ?? 0,
      reversals: own,
      shadow,
    });
  }
  return { ruleSetHash: ruleSet.hash, at: now.toISOString(), rules };
}

const pct = (r: ReversalRate | null) =>
  r === null || r.rate === null ? '-' : `${(r.rate * 100).toFixed(1)}% of ${r.decided}`;

export function formatRulesStatus(s: RulesStatus): string {
  const out: string[] = [`Rule set ${s.ruleSetHash.slice(0, 12)}, ${s.at}`, ''];
  out.push(`${'rule'.padEnd(28)}${'mode'.padEnd(9)}${'7d'.padStart(8)}${'30d'.padStart(8)}  reversed (30d)`);
  for (const r of s.rules) {
    const id = r.ruleId.length > 26 ? `${r.ruleId.slice(0, 25)}…` : r.ruleId;
    out.push(
      `${id.padEnd(28)}${r.mode.padEnd(9)}${String(r.hits7Days).padStart(8)}${String(r.hits30Days).padStart(8)}  ${pct(r.reversals)}`,
    );
    if (r.shadow) {
      const sh = r.shadow;
      const would = Object.entries(sh.wouldHave)
        .map(([a, v]) => `${a} ${v}`)
        .join(', ');
      out.push(
        `    in shadow since ${sh.since ?? '(not yet in a rule set that decided something)'}: fired on ${sh.fired}; as the top rule it would have done: ${
          would || 'nothing different'
        }`,
      );
      out.push(
        sh.comparable && sh.comparable.decided > 0
          ? `    moderators reversed ${pct(sh.comparable)} enforced ${sh.comparable.action} decisions (30d)`
          : `    no enforced ${sh.comparable?.action ?? 'comparable'} decisions in 30 days to compare with`,
      );
      out.push(`    to promote: ${sh.promote}`);
    }
  }
  return out.join('\n');
}
