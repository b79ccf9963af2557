/**
 * The difference a candidate rule set makes, comment by comment (pure): what the recorded
 * decision did (hidden, deleted, replied to, held for review) against what the candidate decides,
 * counted in total and per rule with a few examples, and scored against the moderators' own
 * decisions (the labels). No I/O: run.ts feeds it, format.ts prints what it reports.
 */

export const effects = ['hidden', 'deleted', 'replied', 'held'] as const;
export type Effect = (typeof effects)[number];
export type EffectCounts = Record<Effect, number>;

/** A decision's visible effects as a bit set (a reply and a hide can go together). */
export type EffectBits = number;
const bit: Record<Effect, number> = { hidden: 1, deleted: 2, replied: 4, held: 8 };
const acting = bit.hidden | bit.deleted;

/** The effects of a final action (`allow|reply|review|hide|delete`) and whether a reply was planned. */
export function effectsOf(action: string, replied: boolean): EffectBits {
  let b = replied ? bit.replied : 0;
  if (action === 'hide') b |= bit.hidden;
  else if (action === 'delete') b |= bit.deleted;
  else if (action === 'review') b |= bit.held;
  else if (action === 'reply') b |= bit.replied;
  return b;
}

export function describeEffects(bits: EffectBits): string {
  const names = effects.filter((e) => bits & bit[e]);
  return names.length === 0 ? 'allowed' : names.join('+');
}

export interface ChangeExample {
  readonly decisionId: string;
  readonly commentId: string | null;
  readonly accountId: string;
  /** The text, shortened to 140 characters. */
  readonly text: string;
  readonly before: string;
  readonly after: string;
  readonly recordedRule: string | null;
  readonly candidateRule: string | null;
}

export interface RuleChange {
  readonly ruleId: string;
  /** Comments this rule newly hides, deletes, replies to or holds under the candidate. */
  readonly newly: EffectCounts;
  /** Comments this rule acted on in the record and that the candidate no longer treats so. */
  readonly noLonger: EffectCounts;
  readonly examples: readonly ChangeExample[];
}

/** The moderators' decisions as labels (docs/backtest.md#labels). */
export interface LabelReport {
  /** Automatic hides or holds that a moderator undid or approved (reversals) in the window. */
  readonly reversals: number;
  /** ...of which the candidate would not hide, delete or hold. */
  readonly reversalsAvoided: number;
  /** ...of which the candidate would hide, delete or hold again. */
  readonly reversalsRepeated: number;
  /** Comments allowed (or only replied to) that a moderator hid or deleted by hand (misses). */
  readonly manualHides: number;
  /** ...of which the candidate would hide or delete. */
  readonly manualHidesCaught: number;
  /** ...of which the candidate would hold for review. */
  readonly manualHidesHeld: number;
  readonly examples: {
    readonly reversalsAvoided: readonly string[];
    readonly reversalsRepeated: readonly string[];
    readonly manualHidesCaught: readonly string[];
  };
}

export interface Label {
  readonly approved: boolean;
  readonly hidden: boolean;
}

export interface TallyTotals {
  /** Decisions in the window. */
  readonly decisions: number;
  /** Re-decided with the candidate. */
  readonly compared: number;
  /** Not re-decided: the text was redacted (retention or an erasure). */
  readonly redacted: number;
  readonly changed: number;
  readonly newly: EffectCounts;
  readonly noLonger: EffectCounts;
}

const zero = (): EffectCounts => ({ hidden: 0, deleted: 0, replied: 0, held: 0 });

interface MutableRule {
  newly: EffectCounts;
  noLonger: EffectCounts;
  examples: ChangeExample[];
}

export interface TallyInput {
  readonly decisionId: string;
  readonly commentId: string | null;
  readonly accountId: string;
  readonly text: string;
  readonly recorded: EffectBits;
  readonly recordedRule: string | null;
  readonly candidate: EffectBits;
  readonly candidateRule: string | null;
  readonly label: Label | undefined;
}

export class BacktestTally {
  private decisions = 0;
  private compared = 0;
  private redacted = 0;
  private changed = 0;
  private readonly newly = zero();
  private readonly noLonger = zero();
  private readonly rules = new Map<string, MutableRule>();
  private reversals = 0;
  private reversalsAvoided = 0;
  private reversalsRepeated = 0;
  private manualHides = 0;
  private manualHidesCaught = 0;
  private manualHidesHeld = 0;
  private readonly labelExamples = {
    reversalsAvoided: [] as string[],
    reversalsRepeated: [] as string[],
    manualHidesCaught: [] as string[],
  };

  constructor(private readonly examplesPerRule = 3) {}

  skipRedacted(): void {
    this.decisions++;
    this.redacted++;
  }

  add(c: TallyInput): void {
    this.decisions++;
    this.compared++;
    if (c.label) this.scoreLabel(c);
    if (c.recorded === c.candidate) return;
    this.changed++;
    const gained = c.candidate & ~c.recorded;
    const lost = c.recorded & ~c.candidate;
    for (const e of effects) {
      if (gained & bit[e]) {
        this.newly[e]++;
        const r = this.rule(c.candidateRule ?? '(no rule)');
        r.newly[e]++;
        this.example(r, c);
      }
      if (lost & bit[e]) {
        this.noLonger[e]++;
        const r = this.rule(c.recordedRule ?? '(no rule)');
        r.noLonger[e]++;
        this.example(r, c);
      }
    }
  }

  private scoreLabel(c: TallyInput): void {
    const label = c.label as Label;
    const id = c.commentId ?? c.decisionId;
    if (label.approved && c.recorded & (acting | bit.held)) {
      this.reversals++;
      if (c.candidate & (acting | bit.held)) {
        this.reversalsRepeated++;
        push(this.labelExamples.reversalsRepeated, id, this.examplesPerRule);
      } else {
        this.reversalsAvoided++;
        push(this.labelExamples.reversalsAvoided, id, this.examplesPerRule);
      }
    }
    if (label.hidden && !(c.recorded & (acting | bit.held))) {
      this.manualHides++;
      if (c.candidate & acting) {
        this.manualHidesCaught++;
        push(this.labelExamples.manualHidesCaught, id, this.examplesPerRule);
      } else if (c.candidate & bit.held) this.manualHidesHeld++;
    }
  }

  private rule(id: string): MutableRule {
    let r = this.rules.get(id);
    if (!r) {
      r = { newly: zero(), noLonger: zero(), examples: [] };
      this.rules.set(id, r);
    }
    return r;
  }

  private example(r: MutableRule, c: TallyInput): void {
    if (r.examples.length >= this.examplesPerRule || r.examples.at(-1)?.decisionId === c.decisionId) return;
    r.examples.push({
      decisionId: c.decisionId,
      commentId: c.commentId,
      accountId: c.accountId,
      text: c.text.length > 140 ? `${c.text.slice(0, 139)}…` : c.text,
      before: describeEffects(c.recorded),
      after: describeEffects(c.candidate),
      recordedRule: c.recordedRule,
      candidateRule: c.candidateRule,
    });
  }

  totals(): TallyTotals {
    return {
      decisions: this.decisions,
      compared: this.compared,
      redacted: this.redacted,
      changed: this.changed,
      newly: { ...this.newly },
      noLonger: { ...this.noLonger },
    };
  }

  ruleChanges(): RuleChange[] {
    const total = (c: EffectCounts) => c.hidden + c.deleted + c.replied + c.held;
    return [...this.rules.entries()]
      .map(([ruleId, r]) => ({
        ruleId,
        newly: { ...r.newly },
        noLonger: { ...r.noLonger },
        examples: r.examples,
      }))
      .sort(
        (a, b) =>
          total(b.newly) + total(b.noLonger) - total(a.newly) - total(a.noLonger) ||
          (a.ruleId < b.ruleId ? -1 : 1),
      );
  }

  labels(): LabelReport {
    return {
      reversals: this.reversals,
      reversalsAvoided: this.reversalsAvoided,
      reversalsRepeated: this.reversalsRepeated,
      manualHides: this.manualHides,
      manualHidesCaught: this.manualHidesCaught,
      manualHidesHeld: this.manualHidesHeld,
      examples: {
        reversalsAvoided: [...this.labelExamples.reversalsAvoided],
        reversalsRepeated: [...this.labelExamples.reversalsRepeated],
        manualHidesCaught: [...this.labelExamples.manualHidesCaught],
      },
    };
  }
}

function push(list: string[], id: string, max: number): void {
  if (list.length < max) list.push(id);
}
