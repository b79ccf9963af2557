import { describe, expect, it } from 'vitest';
import { classifyGraphError, mayHaveApplied, noResponseError } from '../../src/graph/errors.js';
import { headerSource, parseUsageHeaders } from '../../src/graph/usage.js';

const err = (code: number, subcode?: number, extra: Record<string, unknown> = {}) => ({
  error: {
    message: 'whatever the text says',
    type: 'OAuthException',
    code,
    ...(subcode === undefined ? {} : { error_subcode: subcode }),
    fbtrace_id: 'AbC',
    ...extra,
  },
});

describe('classifyGraphError: the errors table of docs/meta-platform.md, by code/subcode only', () => {
  const table: Array<[string, number, number | undefined, string, Record<string, unknown>?]> = [
    ['1 unknown', 1, undefined, 'transient'],
    ['2 service', 2, undefined, 'transient'],
    ['4 app throttle', 4, undefined, 'throttled', { scope: 'app' }],
    ['4/2207051 action blocked', 4, 2207051, 'throttled', { scope: 'account', retryAfterMs: 30 * 60_000 }],
    ['17 user throttle', 17, undefined, 'throttled', { scope: 'account' }],
    ['32 page throttle', 32, undefined, 'throttled'],
    ['341 app limit', 341, undefined, 'throttled', { scope: 'app' }],
    ['613 custom', 613, undefined, 'throttled'],
    ['80001 pages BUC', 80001, undefined, 'throttled'],
    ['80002 IG BUC', 80002, undefined, 'throttled', { retryAfterMs: 60_000 }],
    ['368 policy block', 368, undefined, 'throttled', { retryAfterMs: 60 * 60_000 }],
    ['190 no subcode', 190, undefined, 'token', { account: 'reauth' }],
    ['190/460 password', 190, 460, 'token', { account: 'reauth' }],
    ['190/463 expired', 190, 463, 'token', { account: 'reauth' }],
    ['190/467 invalid', 190, 467, 'token', { account: 'reauth' }],
    ['190/492 no page role', 190, 492, 'token', { account: 'reauth' }],
    ['102 session', 102, undefined, 'token', { account: 'reauth' }],
    ['190/458 app removed', 190, 458, 'token', { account: 'disconnected' }],
    ['190/459 checkpoint', 190, 459, 'token', { account: 'disconnected' }],
    ['190/464 unconfirmed', 190, 464, 'token', { account: 'disconnected' }],
    ['10 permission', 10, undefined, 'permission'],
    ['200 permission', 200, undefined, 'permission'],
    ['299 permission', 299, undefined, 'permission'],
    ['100 invalid', 100, undefined, 'invalid'],
    ['100/33 gone', 100, 33, 'gone'],
    ['506 duplicate', 506, undefined, 'invalid'],
    ['20/1772107 created-then-error', 20, 1772107, 'unknown'],
  ];
  it.each(table)('%s', (_name, code, subcode, kind, extra) => {
    const e = classifyGraphError({ status: 400, body: err(code, subcode) });
    expect(e.kind).toBe(kind);
    expect(e.code).toBe(code);
    expect(e.subcode).toBe(subcode ?? null);
    expect(e.fbtraceId).toBe('AbC');
    expect(e.retryable).toBe(kind === 'transient' || kind === 'throttled');
    if (extra) expect(e).toMatchObject(extra);
  });

  it('never looks at the message', () => {
    const a = classifyGraphError({
      status: 400,
      body: err(100, 33, { message: 'rate limit reached, token expired' }),
    });
    expect(a.kind).toBe('gone');
  });

  it('is_transient wins over an otherwise invalid code; string codes are read', () => {
    expect(classifyGraphError({ status: 400, body: err(9007, undefined, { is_transient: true }) }).kind).toBe(
      'transient',
    );
    expect(
      classifyGraphError({ status: 400, body: { error: { code: '190', error_subcode: '458' } } }),
    ).toMatchObject({ kind: 'token', account: 'disconnected' });
  });

  it('throttle wait: regain minutes from usage, then Retry-After, then defaults', () => {
    const usage = parseUsageHeaders(
      headerSource({
        'X-Business-Use-Case-Usage': JSON.stringify({
          '1784': [{ type: 'instagram', call_count: 100, estimated_time_to_regain_access: 7 }],
        }),
      }),
    );
    expect(classifyGraphError({ status: 400, body: err(80002), usage }).retryAfterMs).toBe(7 * 60_000);
    expect(classifyGraphError({ status: 400, body: err(17), retryAfterSeconds: 30 }).retryAfterMs).toBe(
      30_000,
    );
    expect(classifyGraphError({ status: 429, body: undefined })).toMatchObject({
      kind: 'throttled',
      retryAfterMs: 60_000,
    });
  });

  it('bodies without a Graph error: 5xx transient, unparseable unknown, clean 4xx invalid', () => {
    expect(classifyGraphError({ status: 503, body: undefined }).kind).toBe('transient');
    expect(classifyGraphError({ status: 500, body: err(2) }).kind).toBe('transient');
    expect(classifyGraphError({ status: 500, body: err(12345) }).kind).toBe('transient');
    expect(classifyGraphError({ status: 502, body: undefined, unparseable: true }).kind).toBe('unknown');
    expect(classifyGraphError({ status: 404, body: undefined }).kind).toBe('invalid');
    expect(classifyGraphError({ status: 400, body: { error: 'nope' } }).kind).toBe('invalid');
    expect(classifyGraphError({ status: 400, body: err(12345) }).kind).toBe('invalid');
  });

  it('mayHaveApplied: unknown and 5xx, never a clean 4xx', () => {
    expect(mayHaveApplied(noResponseError('timeout'), 0)).toBe(true);
    expect(mayHaveApplied(classifyGraphError({ status: 500, body: undefined }), 500)).toBe(true);
    expect(mayHaveApplied(classifyGraphError({ status: 400, body: err(100) }), 400)).toBe(false);
    expect(mayHaveApplied(classifyGraphError({ status: 400, body: err(4) }), 400)).toBe(false);
  });
});

describe('parseUsageHeaders', () => {
  it('returns null without headers or with garbage', () => {
    expect(parseUsageHeaders(headerSource({}))).toBeNull();
    expect(parseUsageHeaders(headerSource({ 'x-app-usage': 'not json' }))).toBeNull();
  });

  it('reads X-App-Usage and takes the max metric', () => {
    const u = parseUsageHeaders(
      new Headers({ 'X-App-Usage': '{"call_count":12,"total_cputime":81,"total_time":30}' }),
    );
    expect(u).toMatchObject({
      app: { callCount: 12, totalCputime: 81, totalTime: 30 },
      maxPercent: 81,
      regainAccessMinutes: 0,
    });
  });

  it('reads every BUC entry generically; max percent and max regain win', () => {
    const buc = {
      '17841400000000001': [
        {
          type: 'instagram',
          call_count: 20,
          total_cputime: 5,
          total_time: 7,
          estimated_time_to_regain_access: 0,
        },
        {
          type: 'pages',
          call_count: 96,
          total_cputime: 10,
          total_time: 10,
          estimated_time_to_regain_access: 12,
        },
      ],
      '99': { type: 'messenger', call_count: '40', total_time: 3 },
    };
    const u = parseUsageHeaders(
      headerSource({
        'x-business-use-case-usage': JSON.stringify(buc),
        'x-app-usage': '{"call_count":3}',
        'X-Page-Usage': '{"total_time":50}',
      }),
    );
    expect(u?.business).toHaveLength(3);
    expect(u?.business.find((b) => b.objectId === '99')).toMatchObject({
      objectId: '99',
      type: 'messenger',
      callCount: 40,
    });
    expect(u?.maxPercent).toBe(96);
    expect(u?.regainAccessMinutes).toBe(12);
    expect(u?.page?.totalTime).toBe(50);
  });
});
