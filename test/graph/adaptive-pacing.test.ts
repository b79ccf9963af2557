import { describe, expect, it } from 'vitest';
import { createAdaptivePacer } from '../../src/graph/adaptive-pacing.js';
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

/** How many takes succeed over `ms`, trying every millisecond, each answered at `percent` usage. */
function callsIn(
  p: ReturnType<typeof createAdaptivePacer>,
  c: ReturnType<typeof clock>,
  ms: number,
  percent: number,
) {
  let n = 0;
  for (let i = 0; i < ms; i++) {
    if (p.take('a').ok) {
      n++;
      p.observe('a', usage(percent));
    }
    c.advance(1);
  }
  return n;
}

describe('adaptive pacer: by the usage headers', () => {
  it('full speed at low usage, slower as usage climbs, the lowest rate near the stop', () => {
    const c = clock();
    const p = createAdaptivePacer({ maxRatePerSecond: 20, now: c.now });
    expect(p.snapshot('a').effectiveRatePerSecond).toBe(20); // nothing known yet: full speed
    p.observe('a', usage(10));
    expect(callsIn(p, c, 5000, 10)).toBeGreaterThanOrEqual(100);
    p.observe('a', usage(70)); // halfway from 50 to 90
    expect(p.snapshot('a').effectiveRatePerSecond).toBe(10);
    p.observe('a', usage(89.9));
    expect(p.snapshot('a').effectiveRatePerSecond).toBeCloseTo(0.4, 5); // max / 50
  });

  it('stops at 90% before Meta throttles, waits the regain time, then probes once', () => {
    const c = clock();
    const p = createAdaptivePacer({ maxRatePerSecond: 20, now: c.now, minuteMs: 1000 });
    p.observe('a', usage(92, 3)); // 3 (scaled) minutes to regain
    expect(p.take('a')).toMatchObject({ ok: false, reason: 'paused', waitMs: 3000 });
    c.advance(3000);
    expect(p.take('a').ok).toBe(true); // the probe
    expect(p.take('a').ok).toBe(false); // nothing more until its answer
    p.observe('a', usage(20)); // the probe's answer: usage has come down
    c.advance(500);
    expect(callsIn(p, c, 1000, 20)).toBeGreaterThanOrEqual(15);
  });

  it('counts the calls in flight against the headroom left before the stop line', () => {
    const c = clock();
    const p = createAdaptivePacer({ maxRatePerSecond: 1000, now: c.now });
    p.observe('a', usage(50));
    // Until a call's cost is known, only a few calls are in flight at once.
    let unanswered = 0;
    while (p.take('a').ok) unanswered++;
    expect(unanswered).toBe(10);
    for (let i = 0; i < 10; i++) p.observe('a', usage(51 + i)); // one percent per call
    c.advance(1000);
    // At 60%: 30 calls to the 90% line, none in flight.
    let sent = 0;
    while (p.take('a').ok) sent++;
    expect(sent).toBe(30);
  });

  it('without a regain time it pauses pauseWithoutRegainMs', () => {
    const c = clock();
    const p = createAdaptivePacer({ maxRatePerSecond: 5, now: c.now, pauseWithoutRegainMs: 7000 });
    p.observe('a', usage(95));
    expect(p.take('a')).toMatchObject({ ok: false, reason: 'paused', waitMs: 7000 });
    expect(p.take('b').ok).toBe(true); // another account goes on
  });

  it('replies leave half the bucket to hides and deletes', () => {
    const c = clock();
    const p = createAdaptivePacer({ maxRatePerSecond: 10, now: c.now });
    // A full bucket (10): replies may take it down to half, hides to empty.
    let replies = 0;
    while (p.take('a', 1, 'low').ok) replies++;
    expect(replies).toBe(5);
    let hides = 0;
    while (p.take('a', 1, 'high').ok) hides++;
    expect(hides).toBe(5);
    // Refilling: the hides get the first tokens, a reply waits until the bucket is half full.
    c.advance(200);
    expect(p.take('a', 1, 'low').ok).toBe(false);
    expect(p.take('a', 1, 'high').ok).toBe(true);
  });

  it('usage not heard of for a while no longer holds it back', () => {
    const c = clock();
    const p = createAdaptivePacer({ maxRatePerSecond: 10, now: c.now, usageStaleMs: 60_000 });
    p.observe('a', usage(80));
    expect(p.snapshot('a').effectiveRatePerSecond).toBe(2.5);
    c.advance(60_001);
    expect(p.snapshot('a').effectiveRatePerSecond).toBe(10);
  });
});
