import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterEach, describe, expect, it } from 'vitest';
import { registerRules } from '../../src/cli/rules.js';
import { type CliOutput, captureCli } from '../support/cli.js';

/** Runs `modbot rules ...` in-process and captures what it prints. */
function run(...args: string[]): Promise<CliOutput> {
  return captureCli(async () => {
    const program = new Command().exitOverride();
    registerRules(program);
    await program.parseAsync(['node', 'modbot', 'rules', ...args]);
  });
}

let dir: string | null = null;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = null;
});

describe('modbot rules (CLI)', () => {
  it('check passes on the default rules', async () => {
    const r = await run('check');
    expect(r.exitCode).toBe(0);
    // The count changes whenever a default rule is added; what matters is that all of them load.
    expect(r.out).toMatch(/\d+ files, \d+ rules \(\d+ in shadow mode\), \d+ lists: OK/);
  });

  it('check exits 1 and lists every error with file:line:column', async () => {
    dir = await mkdtemp(join(tmpdir(), 'modbot-cli-'));
    await writeFile(
      join(dir, 'spam.yaml'),
      '- id: link-spam\n  when:\n    text containz any: [x]\n  action: hid\n- id: redos\n  when: {text matches: "(a+)+$"}\n  action: hide\n',
    );
    const r = await run('check', dir);
    expect(r.exitCode).toBe(1);
    expect(r.err).toContain(
      `${dir}/spam.yaml:3:5 rule "link-spam": unknown condition "text containz any" (did you mean "text contains any"?)`,
    );
    expect(r.err).toContain(
      `${dir}/spam.yaml:4:11 rule "link-spam": unknown action "hid" (did you mean "hide"?)`,
    );
    expect(r.err).toMatch(
      /spam\.yaml:6:\d+ rule "redos": regex "\(a\+\)\+\$" can backtrack catastrophically/,
    );
    expect(r.err).toContain('3 errors');
  });

  it('test runs every example and fails on a wrong one', async () => {
    expect((await run('test')).exitCode).toBe(0);
    dir = await mkdtemp(join(tmpdir(), 'modbot-cli-'));
    await writeFile(
      join(dir, 'a.yaml'),
      '- id: a\n  when: {text contains any: [spam]}\n  action: hide\n  examples:\n    match: [spam, ham]\n',
    );
    const r = await run('test', dir);
    expect(r.exitCode).toBe(1);
    expect(r.err).toContain(`FAIL ${dir}/a.yaml:5 rule "a" match "ham": not matched`);
    expect(r.out).toContain('1/2 examples pass');
  });

  it('explain shows the normalised text, each rule and the decision', async () => {
    const fancy = await run('explain', '𝐃𝐌 𝐦𝐞 on @cash.flow_ava');
    expect(fancy.out).toContain('normalised:  "dm me on @cash.flow_ava"');
    expect(fancy.out).toMatch(/✔ dm-me-pitch .*MATCHED/);
    expect(fancy.out).toContain('decision:    hide by rule "dm-me-pitch"');
    const zw = await run('explain', 'd\u200bm me');
    expect(zw.out).toContain('normalised:  "dm me"');
    expect(zw.out).toContain('strip-invisible');
    // The dm-me rule catches it; the builtin model (enforced at spam >= 0.8) may decide a harsher action.
    expect(zw.out).toMatch(/✔ dm-me \(priority 0, review\): MATCHED/);
    expect(zw.out).toMatch(/decision: {4}(review by rule "dm-me"|hide by rule "spam-model")/);
    const mention = await run('explain', 'dm me for passive income', '--kind', 'mention');
    expect(mention.out).toContain('decision:    review by rule "mention-pitch"');
  });

  it('schema prints the committed rules/schema.json', async () => {
    const r = await run('schema');
    expect(JSON.parse(r.out)).toEqual(JSON.parse(readFileSync('rules/schema.json', 'utf8')));
  });
});
