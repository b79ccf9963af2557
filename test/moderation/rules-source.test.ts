import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RuleError } from '../../src/moderation/rules/errors.js';
import { readRuleFiles } from '../../src/rules-source/files.js';
import { RuleLoadError, watchRules } from '../../src/rules-source/watch.js';

const GOOD = '- id: a\n  when: {text contains any: [spam]}\n  action: hide\n';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'modbot-rules-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('rule files on disk', () => {
  it('reads *.yaml and *.yml recursively, sorted, with the directory in the path', async () => {
    await mkdir(join(dir, 'lists'));
    await writeFile(join(dir, 'b.yaml'), GOOD);
    await writeFile(join(dir, 'lists', 'a.yml'), 'lists:\n  x: [y]\n');
    await writeFile(join(dir, 'notes.txt'), 'ignored');
    const files = await readRuleFiles(dir);
    expect(files.map((f) => f.path)).toEqual([`${dir}/b.yaml`, `${dir}/lists/a.yml`]);
  });

  it('refuses to start on a broken rule set', async () => {
    await writeFile(join(dir, 'a.yaml'), '- id: a\n  when: {text containz: [x]}\n  action: hide\n');
    await expect(watchRules(dir, {}, { watch: false })).rejects.toBeInstanceOf(RuleLoadError);
  });

  it('reload swaps in a valid change and keeps the last good set on an invalid one', async () => {
    await writeFile(join(dir, 'a.yaml'), GOOD);
    const rejected: RuleError[][] = [];
    const source = await watchRules(
      dir,
      { onRejected: (errors) => rejected.push([...errors]) },
      { watch: false },
    );
    const first = source.current();
    expect(first.rules.map((r) => r.id)).toEqual(['a']);

    await writeFile(join(dir, 'a.yaml'), GOOD.replace('id: a', 'id: b'));
    expect(await source.reload()).toBe(true);
    const second = source.current();
    expect(second.rules.map((r) => r.id)).toEqual(['b']);
    expect(second.hash).not.toBe(first.hash);

    await writeFile(join(dir, 'a.yaml'), '- id: c\n  when: {text containz: [x]}\n  action: hide\n');
    expect(await source.reload()).toBe(false);
    expect(source.current()).toBe(second);
    expect(rejected[0]?.[0]?.format()).toMatch(/a\.yaml:2:\d+ rule "c": unknown condition "text containz"/);
    source.close();
  });

  it('watches the directory and reloads on change', async () => {
    await writeFile(join(dir, 'a.yaml'), GOOD);
    const loaded: string[] = [];
    const source = await watchRules(
      dir,
      { onLoaded: (rs) => loaded.push(rs.rules[0]?.id ?? '') },
      { debounceMs: 20 },
    );
    try {
      await writeFile(join(dir, 'a.yaml'), GOOD.replace('id: a', 'id: z'));
      for (let i = 0; i < 100 && source.current().rules[0]?.id !== 'z'; i++)
        await new Promise((r) => setTimeout(r, 20));
      expect(source.current().rules[0]?.id).toBe('z');
      expect(loaded).toEqual(['a', 'z']);
    } finally {
      source.close();
    }
  });
});
