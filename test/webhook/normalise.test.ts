import { describe, expect, it } from 'vitest';
import { normaliseEnvelopes } from '../../src/webhook/normalise.js';
import { parseEnvelope } from '../../src/webhook/payload.js';

const received = new Date('2026-01-01T00:00:00Z');
const normalise = (body: unknown) => {
  const parsed = parseEnvelope(new TextEncoder().encode(JSON.stringify(body)));
  if (!parsed.ok) throw new Error(parsed.error);
  return normaliseEnvelopes(parsed.envelopes, received);
};
const events = (body: unknown) => normalise(body).flatMap((c) => (c.type === 'event' ? [c] : []));

describe('parseEnvelope', () => {
  const parse = (s: string) => parseEnvelope(new TextEncoder().encode(s));
  it('rejects what is not an envelope, saying why', () => {
    expect(parse('not json')).toMatchObject({ ok: false, error: expect.stringContaining('not valid JSON') });
    expect(parse('{"object":"instagram","entry":[')).toMatchObject({ ok: false });
    expect(parse('42')).toMatchObject({ ok: false, error: expect.stringContaining('JSON object') });
    expect(parse('{"entry":[]}')).toMatchObject({ ok: false, error: '"object" must be a string' });
    expect(parse('{"object":"instagram","entry":{}}')).toMatchObject({
      ok: false,
      error: '"entry" must be an array',
    });
    expect(parse('[]')).toMatchObject({ ok: false });
    expect(parseEnvelope(new Uint8Array([0x7b, 0xff, 0x7d]))).toMatchObject({
      ok: false,
      error: 'body is not valid UTF-8',
    });
  });
  it('accepts the array-wrapped form of the documentation examples', () => {
    expect(parse('[{"object":"instagram","entry":[]}]')).toMatchObject({
      ok: true,
      envelopes: [{ object: 'instagram' }],
    });
  });
});

describe('normaliseEnvelopes', () => {
  it('reads a comment from entry[].changes[] (Facebook Login)', () => {
    const [change] = events({
      object: 'instagram',
      entry: [
        {
          id: '17841400000000001',
          time: 1767225600,
          changes: [
            {
              field: 'comments',
              value: {
                id: '17900000000000002',
                text: 'great post 😍',
                from: { id: '6000000000000003', username: 'some_user' },
                media: { id: '18000000000000004', media_product_type: 'REELS', ad_id: '555' },
              },
            },
          ],
        },
      ],
    });
    expect(change?.dedupeKey).toBe('17841400000000001:comments:17900000000000002');
    expect(change?.event).toEqual({
      kind: 'comment',
      accountId: '17841400000000001',
      field: 'comments',
      commentId: '17900000000000002',
      mediaId: '18000000000000004',
      parentId: null,
      text: 'great post 😍',
      author: { id: '6000000000000003', username: 'some_user' },
      fromSelf: false,
      mediaProductType: 'REELS',
      adId: '555',
      sentAt: new Date('2026-01-01T00:00:00Z'),
      isTest: false,
    });
  });

  it('reads the flat entry.field / entry.value form with comment_id (Instagram Login docs)', () => {
    const [change] = events({
      object: 'instagram',
      entry: [
        {
          id: '1784',
          time: 1767225600123,
          field: 'comments',
          value: { comment_id: '999', text: 'hi', parent_id: '998', media: { id: 'm1' } },
        },
      ],
    });
    expect(change?.event).toMatchObject({
      kind: 'reply',
      commentId: '999',
      parentId: '998',
      mediaId: 'm1',
      text: 'hi',
    });
    // 13 digits: milliseconds.
    expect(change?.event.sentAt.toISOString()).toBe('2026-01-01T00:00:00.123Z');
  });

  it('reads live comments, comment mentions and caption mentions', () => {
    const out = events({
      object: 'instagram',
      entry: [
        {
          id: 'acc',
          time: 1767225600,
          changes: [
            {
              field: 'live_comments',
              value: { id: 'c1', text: 'wow', from: { id: 'u1', username: 'x' }, media: { id: 'live1' } },
            },
            { field: 'mentions', value: { comment_id: 'c2', media_id: 'm2' } },
            { field: 'mentions', value: { media_id: 'm3' } },
          ],
        },
      ],
    });
    expect(out.map((c) => [c.event.kind, c.dedupeKey])).toEqual([
      ['live_comment', 'acc:live_comments:c1'],
      ['mention_comment', 'acc:mentions:c2'],
      ['mention_caption', 'acc:mentions:m3'],
    ]);
    expect(out[1]?.event).toMatchObject({ commentId: 'c2', mediaId: 'm2', text: null });
  });

  it("marks the account's own comments (loop guard) by id or self_ig_scoped_id", () => {
    const out = events({
      object: 'instagram',
      entry: [
        {
          id: 'acc',
          changes: [
            {
              field: 'comments',
              value: { id: 'a', text: 'thanks!', from: { id: 'acc', username: 'brand' } },
            },
            {
              field: 'comments',
              value: { id: 'b', text: 'thanks!', from: { id: 'igsid', self_ig_scoped_id: 'x' } },
            },
            { field: 'comments', value: { id: 'c', text: 'hi', from: { id: 'someone' } } },
          ],
        },
      ],
    });
    expect(out.map((c) => c.event.fromSelf)).toEqual([true, true, false]);
  });

  it('marks dashboard test events (entry.id "0") as tests', () => {
    const [change] = events({
      object: 'instagram',
      entry: [
        {
          id: '0',
          time: 0,
          changes: [{ field: 'comments', value: { id: '123', text: 'This is an example.' } }],
        },
      ],
    });
    expect(change?.event.isTest).toBe(true);
    expect(change?.event.sentAt).toEqual(received);
  });

  it('keeps shapes it does not moderate as unhandled changes, with a reason', () => {
    const out = normalise({
      object: 'instagram',
      entry: [
        { id: 'acc', messaging: [{ message: { text: 'hi' } }] },
        {
          id: 'acc',
          changes: [
            { field: 'story_insights', value: { impressions: 1 } },
            { field: 'comments', value: { text: 'no id' } },
            'junk',
          ],
        },
        'not an object',
        { changes: [] },
      ],
    });
    expect(out.map((c) => (c.type === 'unhandled' ? c.reason : 'event'))).toEqual([
      'direct messages are not moderated',
      'field "story_insights" is not moderated',
      'comment change has no id',
      'change has no field',
      'entry is not an object',
      'entry has no id',
    ]);
    expect(normalise({ object: 'page', entry: [{ id: '1' }] })).toEqual([
      { type: 'unhandled', object: 'page', field: null, reason: 'object "page" is not moderated' },
    ]);
  });
});
