import { describe, expect, it } from 'vitest';
import { createPacer } from '../../src/graph/pacing.js';
import type { GraphUsage } from '../../src/graph/usage.js';

const usage = (maxPercent: number, regainAccessMinutes = 0): GraphUsage => ({
  app: null,
  page: null,
  business: [],
  maxPercent,
  regainAccessMinutes,
});

function clock(start = 1_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe('pacer: per-account token bucket', () => {
  it('allows a burst, then paces at the rate', () => {
    const c = clock();
    const p = createPacer({ ratePerSecond: 2, burst: 3, now: c.now });
    expect([p.take('a'), p.take('a'), p.take('a')].every((r) => r.ok)).toBe(true);
    expect(p.take('a')).toEqual({ ok: false, waitMs: 500, reason: 'rate' });
    c.advance(499);
    expect(p.take('a').ok).toBe(false);
    c.advance(1);
    expect(p.take('a').ok).toBe(true);
    c.advance(60_000);
    expect(p.snapshot('a').tokens).toBe(3); // capped at burst
  });

  it('a paused or exhausted account does not hold up another key', () => {
    const c = clock();
    const p = createPacer({ ratePerSecond: 1, burst: 1, now: c.now });
    p.pauseUntil('a', c.now() + 60_000, 'throttled 80002');
    expect(p.take('a')).toMatchObject({ ok: false, reason: 'paused', waitMs: 60_000 });
    expect(p.snapshot('a').pauseReason).toBe('throttled 80002');
    expect(p.take('b').ok).toBe(true);
    expect(p.take('c').ok).toBe(true);
    c.advance(60_000);
    expect(p.take('a').ok).toBe(true);
  });

  it('≥80% usage halves the rate, ≥95% pauses (regain minutes or default), stale usage is ignored', () => {
    const c = clock();
    const p = createPacer({
      ratePerSecond: 10,
      burst: 1,
      now: c.now,
      highUsagePauseMs: 30_000,
      usageStaleMs: 120_000,
    });
    p.observe('a', usage(50));
    expect(p.snapshot('a').effectiveRatePerSecond).toBe(10);
    p.observe('a', usage(85));
    expect(p.snapshot('a').effectiveRatePerSecond).toBe(5);
    expect(p.take('a').ok).toBe(true);
    expect(p.take('a')).toMatchObject({ ok: false, waitMs: 200 });
    p.observe('a', null); // no headers: keep what we know
    expect(p.snapshot('a').effectiveRatePerSecond).toBe(5);
    c.advance(120_001);
    expect(p.snapshot('a').effectiveRatePerSecond).toBe(10);

    p.observe('a', usage(97));
    expect(p.waitMs('a')).toBe(30_000);
    p.observe('b', usage(100, 3));
    expect(p.waitMs('b')).toBe(180_000);
    expect(p.waitMs('c')).toBe(0);
    p.resume('b');
    expect(p.waitMs('b')).toBe(0);
  });

  it('a later, shorter pause does not cut an existing one short; cost > 1 works', () => {
    const c = clock();
    const p = createPacer({ ratePerSecond: 1, burst: 5, now: c.now });
    p.pauseUntil('a', c.now() + 10_000);
    p.pauseUntil('a', c.now() + 1_000);
    expect(p.waitMs('a')).toBe(10_000);
    expect(p.take('b', 5).ok).toBe(true);
    expect(p.take('b', 2)).toMatchObject({ ok: false, waitMs: 2000 });
    expect(() => createPacer({ ratePerSecond: 0, burst: 1 })).toThrow(/ratePerSecond/);
  });
});
