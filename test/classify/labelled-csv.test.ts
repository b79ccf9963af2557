import { describe, expect, it } from 'vitest';
import { cleanCommentText, parseLabelledCsv, readLabelledCsv } from '../../src/classify/labelled-csv.js';

const FIXTURE = new URL('../fixtures/labelled-comments.csv', import.meta.url).pathname;

describe('labelled CSV reader', () => {
  it('reads a BOM, CRLF, quoted newlines and quotes, and decodes HTML entities', () => {
    const rows = readLabelledCsv(FIXTURE, { text: 'text', label: 'label_spam', positive: '1' });
    expect(rows).toHaveLength(12);
    expect(Object.keys(rows[0]!.columns)[0]).toBe('comment_id');
    expect(rows.filter((r) => r.positive)).toHaveLength(6);
    expect(rows[9]!.text).toBe('multi\nline comment about the "budget" tips, thanks');
    expect(rows[8]!.text).toContain('Check out my channel & subscribe');
    expect(rows[11]!.text).toBe('great explanation of compound interest 😂');
  });

  it('shows links as their text and line breaks as newlines, and drops stray U+FEFF', () => {
    expect(
      cleanCommentText('<a href="http://www.youtube.com/watch?v=x&amp;t=2m19s">2:19</a> best part\uFEFF'),
    ).toBe('2:19 best part');
    expect(cleanCommentText('one<br />two &lt;3')).toBe('one\ntwo <3');
  });

  it('names the missing column and the ones that exist', () => {
    expect(() =>
      parseLabelledCsv('a,b\n1,2\n', { text: 'text', label: 'b', positive: '1' }, 'x.csv'),
    ).toThrow('x.csv: no column "text" (columns: a, b)');
  });

  it('accepts several positive values', () => {
    const rows = parseLabelledCsv('t,l\nx,spam\ny,scam\nz,ham\n', {
      text: 't',
      label: 'l',
      positive: ['spam', 'scam'],
    });
    expect(rows.map((r) => r.positive)).toEqual([true, true, false]);
  });
});
