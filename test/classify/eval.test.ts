import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { readLabelledCsv } from '../../src/classify/labelled-csv.js';
import { type Decider, evaluateRows } from '../../src/cli/eval/measure.js';
import { registerEval } from '../../src/cli/eval.js';
import { captureCli } from '../support/cli.js';

const FIXTURE = new URL('../fixtures/labelled-comments.csv', import.meta.url).pathname;

/** Runs `modbot eval <fixture> ...` in-process and captures what it prints. */
const evalCli = (...args: string[]) =>
  captureCli(async () => {
    const program = new Command().exitOverride();
    registerEval(program);
    await program.parseAsync(['eval', FIXTURE, ...args], { from: 'user' });
  });

describe('modbot eval', () => {
  it('counts hide and delete as positive decisions and review separately', async () => {
    const rows = readLabelledCsv(FIXTURE, { text: 'text', label: 'label_spam', positive: '1' });
    // Hide anything with a $ or "dm", review anything with "@", delete links, allow the rest.
    const decide: Decider = async (text) => {
      if (/https?:/.test(text)) return { action: 'delete', decidedBy: 'links' };
      if (/\$|dm /.test(text)) return { action: 'hide', decidedBy: 'money' };
      if (text.includes('@')) return { action: 'review', decidedBy: 'mention' };
      return { action: 'allow' };
    };
    const r = await evaluateRows(rows, decide, { name: 'test' });
    expect(r).toMatchObject({
      n: 12,
      tp: 5,
      fp: 0,
      fn: 1,
      tn: 6,
      review: 1,
      reviewPositive: 0,
      reviewNegative: 1,
      errors: 0,
    });
    expect(r.precision).toBe(1);
    expect(r.recall).toBeCloseTo(5 / 6, 4);
    expect(r.f1).toBeCloseTo((2 * 1 * (5 / 6)) / (1 + 5 / 6), 4);
    expect(r.byDecider).toEqual({ links: 1, money: 4, mention: 1 });
  });

  it('counts a decision that throws as allow and reports it', async () => {
    const rows = readLabelledCsv(FIXTURE, { text: 'text', label: 'label_spam', positive: '1' });
    const r = await evaluateRows(rows, async () => Promise.reject(new Error('boom')));
    expect(r).toMatchObject({ errors: 12, tp: 0, fn: 6, tn: 6, firstError: 'boom' });
  });

  it('runs from the command line on the builtin model and prints one JSON object on the last line', async () => {
    const { lines } = await evalCli(
      '--text',
      'text',
      '--label',
      'label_spam',
      '--positive',
      '1',
      '--json',
      '--classifier-only',
    );
    const last = JSON.parse(lines.at(-1)!);
    expect(last).toMatchObject({ n: 12, decider: 'builtin classifier only' });
    expect(last.tp + last.fn).toBe(6);
    expect(last.fp + last.tn).toBe(6);
    // The fixture's scams are textbook: the offline model should hide most and hide no genuine comment.
    expect(last.tp).toBeGreaterThanOrEqual(4);
    expect(last.fp).toBe(0);
    expect(lines.join('\n')).toContain('precision');
  });

  it('runs every row through the rule engine with the classifiers (the full decision path)', async () => {
    const rules = new URL('../fixtures/rules-eval', import.meta.url).pathname;
    const { lines } = await evalCli(
      '--text',
      'text',
      '--label',
      'label_spam',
      '--positive',
      '1',
      '--rules',
      rules,
      '--json',
    );
    const last = JSON.parse(lines.at(-1)!);
    expect(last.decider).toMatch(/^rules in .*rules-eval \+ classifiers \(builtin\)$/);
    expect(last.byDecider['spam-model']).toBe(last.tp + last.fp);
    expect(last.fp).toBe(0);
    expect(last.tp).toBeGreaterThanOrEqual(4);
  });
});

describe('modbot eval over several files', () => {
  it('prints one table: labelled sets with precision/recall, a file without labels as all harmless, and the worst errors', async () => {
    const customers = new URL('../fixtures/customer-messages.csv', import.meta.url).pathname;
    const { lines, out } = await evalCli(customers, '--errors', '2', '--json');
    expect(out).toMatch(/set\s+n\s+labels\s+hide\s+review\s+tp\/fp\/fn\s+precision\s+recall/);
    expect(out).toMatch(/customer-messages\.csv\s+5\s+none \(all harmless\)\s+0\.00%/);
    const reports = lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
    expect(reports.map((r) => r.n)).toEqual([12, 5]);
    expect(reports[1]).toMatchObject({ labelled: false, tp: 0, fn: 0, fp: 0, hideRate: 0 });
    // Every listed error names what decided it and the model's score.
    for (const w of reports[0].worst) {
      expect(['false hide', 'miss']).toContain(w.kind);
      expect(typeof w.spam).toBe('number');
    }
  });
});
