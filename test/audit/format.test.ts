import { describe, expect, it } from 'vitest';
import { table } from '../../src/audit/format.js';

describe('table', () => {
  it('never prints a control character raw: ANSI escapes, other C0 and C1 controls are made visible', () => {
    const out = table(
      [
        { user: '\u001b[31mred\u001b[0m', text: 'a\u0007b\u0000c\u009b2Jd\u0085e\u007f' },
        { user: 'plain', text: 'line\nbreak\ttab' },
      ],
      [
        { key: 'user', title: 'user' },
        { key: 'text', title: 'text' },
      ],
    );
    // biome-ignore lint/suspicious/noControlCharactersInRegex: looking for control characters is the point
    expect(out.split('\n').some((line) => /[\u0000-\u001f\u007f-\u009f]/.test(line))).toBe(false);
    expect(out.split('\n')).toEqual([
      'user                text',
      '------------------  ---------------------------',
      '\\x1b[31mred\\x1b[0m  a\\x07b\\x00c\\x9b2Jd\\x85e\\x7f',
      'plain               line⏎break tab',
    ]);
  });

  it('cuts a cell to its column max and leaves it whole without one', () => {
    const long = 'x'.repeat(100);
    const out = table(
      [{ a: long, b: long }],
      [
        { key: 'a', title: 'a', max: 10 },
        { key: 'b', title: 'b' },
      ],
    );
    expect(out.split('\n')[2]).toBe(`${'x'.repeat(9)}…  ${long}`);
  });
});
