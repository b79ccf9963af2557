/**
 * Adaptive write pacing per account: as fast as Meta's usage headers say it is safe, instead of a
 * fixed rate. Meta reports how much of its budget an app (X-App-Usage) and an app-user pair
 * (X-Business-Use-Case-Usage) have used, in percent, throttling at 100 (./usage.ts):
 *   - below `slowFromPercent` (50): full speed, `maxRatePerSecond`;
 *   - from 50 to `stopAtPercent` (90): the rate falls in a straight line towards `minRatePerSecond`;
 *   - at 90 and above: stop before Meta throttles. Wait out `estimated_time_to_regain_access` when
 *     the headers give one, else `pauseWithoutRegainMs`; then send one call at the lowest rate to
 *     read the usage again (a probe), and go on at whatever rate that usage allows.
 * No usage seen yet, or none for `usageStaleMs`: full speed (the first answers say where we are).
 *
 * Hides and deletes go before replies: a reply (`priority` 'low') is only let through while the
 * bucket is over half full, so in a flood the hides drain it and replies wait for a lull.
 *
 * Same interface and the same purity as the fixed pacer (./pacing.ts): nothing sleeps, the caller
 * re-schedules after `waitMs`; the clock is injectable.
 */
import type { Pacer, PacerSnapshot, TakeResult, WritePriority } from './pacing.js';
import type { GraphUsage } from './usage.js';

export interface AdaptivePacerOptions {
  /** Writes per second per key while usage is low. */
  readonly maxRatePerSecond: number;
  /** The slowest rate before stopping (default maxRatePerSecond / 50). */
  readonly minRatePerSecond?: number;
  /** Bucket size in seconds of the current rate (default 1): how many calls may go back to back. */
  readonly burstSeconds?: number;
  readonly slowFromPercent?: number;
  readonly stopAtPercent?: number;
  /** Pause at stopAtPercent when the headers give no regain time (default 60 s). */
  readonly pauseWithoutRegainMs?: number;
  readonly usageStaleMs?: number;
  /** Length of the minute in estimated_time_to_regain_access (default 60,000 ms; benches scale it). */
  readonly minuteMs?: number;
  /** Calls in flight at most while what a call costs is not known yet (default 10). */
  readonly learningInFlight?: number;
  /** A call not answered within this long no longer counts as in flight (default 15 s). */
  readonly inFlightForgetMs?: number;
  readonly now?: () => number;
}

interface KeyState {
  tokens: number;
  updatedAt: number;
  pausedUntil: number;
  pauseReason: string | null;
  usagePercent: number | null;
  usageAt: number;
  /** Stopped on high usage and not heard from since: the next call is a probe, at the lowest rate. */
  probing: boolean;
  /**
   * When the calls let through and not answered yet were let through (oldest first): in flight,
   * not counted in the usage yet. Forgotten after `inFlightForgetMs` (a take that made no call).
   */
  inFlight: number[];
  /** Learned: how many percent of usage one call costs (null until usage moved). */
  percentPerCall: number | null;
  answeredSinceMove: number;
}

export function createAdaptivePacer(options: AdaptivePacerOptions): Pacer {
  const max = options.maxRatePerSecond;
  if (!(max > 0)) throw new Error('createAdaptivePacer: maxRatePerSecond must be > 0');
  const min = Math.min(max, options.minRatePerSecond ?? max / 50);
  const burstSeconds = options.burstSeconds ?? 1;
  const slowFrom = options.slowFromPercent ?? 50;
  const stopAt = options.stopAtPercent ?? 90;
  const pauseWithoutRegainMs = options.pauseWithoutRegainMs ?? 60_000;
  const usageStaleMs = options.usageStaleMs ?? 10 * 60_000;
  const minuteMs = options.minuteMs ?? 60_000;
  const inFlightForgetMs = options.inFlightForgetMs ?? 15_000;
  const learningInFlight = options.learningInFlight ?? 10;
  const now = options.now ?? (() => Date.now());
  const keys = new Map<string, KeyState>();

  const rateOf = (s: KeyState, t: number): number => {
    if (s.probing) return min;
    if (s.usagePercent === null || t - s.usageAt > usageStaleMs) return max;
    const u = s.usagePercent;
    if (u < slowFrom) return max;
    if (u >= stopAt) return min;
    return Math.max(min, (max * (stopAt - u)) / (stopAt - slowFrom));
  };
  const capacityOf = (rate: number): number => Math.max(1, rate * burstSeconds);

  const stateOf = (key: string, t: number): KeyState => {
    let s = keys.get(key);
    if (!s) {
      s = {
        tokens: capacityOf(max),
        updatedAt: t,
        pausedUntil: 0,
        pauseReason: null,
        usagePercent: null,
        usageAt: 0,
        probing: false,
        inFlight: [],
        percentPerCall: null,
        answeredSinceMove: 0,
      };
      keys.set(key, s);
    }
    return s;
  };
  const refill = (s: KeyState, t: number): void => {
    const rate = rateOf(s, t);
    // Nothing builds up during a pause: the pause ends with the one probe's token set aside.
    const elapsed = s.pausedUntil > t ? 0 : Math.max(0, t - s.updatedAt);
    s.tokens = Math.min(capacityOf(rate), s.tokens + (elapsed * rate) / 1000);
    s.updatedAt = t;
  };
  /** Tokens a take must leave behind: replies leave half the bucket to hides and deletes. */
  const reserveFor = (s: KeyState, t: number, priority: WritePriority): number =>
    priority === 'low' ? capacityOf(rateOf(s, t)) / 2 : 0;
  /**
   * Usage is read from answers, so it lags the calls in flight. Once what one call costs is known
   * (from how far usage moved), no more calls are in flight than would take usage to the stop line.
   */
  const headroom = (s: KeyState, t: number): number => {
    while (s.inFlight.length > 0 && (s.inFlight[0] ?? 0) < t - inFlightForgetMs) s.inFlight.shift();
    if (s.usagePercent === null || t - s.usageAt > usageStaleMs) return Infinity;
    // Usage known but not yet what a call costs: a few calls at a time until it has moved.
    if (s.percentPerCall === null) return learningInFlight - s.inFlight.length;
    return Math.floor((stopAt - s.usagePercent) / s.percentPerCall) - s.inFlight.length;
  };
  const check = (s: KeyState, t: number, cost: number, priority: WritePriority): TakeResult => {
    if (s.pausedUntil > t) return { ok: false, waitMs: s.pausedUntil - t, reason: 'paused' };
    // Waiting for answers in flight: try again after one call's time at the current rate.
    if (!s.probing && headroom(s, t) < cost)
      return { ok: false, waitMs: Math.ceil(1000 / rateOf(s, t)), reason: 'rate' };
    const need = Math.min(cost + reserveFor(s, t, priority), capacityOf(rateOf(s, t)));
    if (s.tokens >= need) return { ok: true };
    return { ok: false, waitMs: Math.ceil(((need - s.tokens) * 1000) / rateOf(s, t)), reason: 'rate' };
  };

  return {
    take(key, cost = 1, priority = 'high') {
      const t = now();
      const s = stateOf(key, t);
      refill(s, t);
      const r = check(s, t, cost, priority);
      if (r.ok) {
        s.tokens -= cost;
        for (let i = 0; i < cost; i++) s.inFlight.push(t);
      }
      return r;
    },
    waitMs(key, cost = 1) {
      const t = now();
      const s = stateOf(key, t);
      refill(s, t);
      const r = check(s, t, cost, 'high');
      return r.ok ? 0 : r.waitMs;
    },
    observe(key, usage: GraphUsage | null) {
      const t = now();
      const s = stateOf(key, t);
      s.inFlight.shift();
      if (!usage) return;
      refill(s, t); // settle the tokens at the old rate before it changes
      // Learn what a call costs from how far usage moved over the answers since it last moved.
      s.answeredSinceMove++;
      if (s.usagePercent !== null && usage.maxPercent > s.usagePercent) {
        const perCall = (usage.maxPercent - s.usagePercent) / s.answeredSinceMove;
        s.percentPerCall = s.percentPerCall === null ? perCall : Math.max(perCall, s.percentPerCall * 0.8);
        s.answeredSinceMove = 0;
      } else if (s.usagePercent !== null && usage.maxPercent < s.usagePercent) s.answeredSinceMove = 0;
      s.usagePercent = usage.maxPercent;
      s.usageAt = t;
      s.probing = false;
      if (usage.maxPercent >= stopAt) {
        const ms =
          usage.regainAccessMinutes > 0 ? usage.regainAccessMinutes * minuteMs : pauseWithoutRegainMs;
        if (t + ms > s.pausedUntil) {
          s.pausedUntil = t + ms;
          s.pauseReason = `usage ${usage.maxPercent}%`;
        }
        // After the pause, one call (a probe) tells us where usage stands; then the lowest rate
        // until its answer comes back.
        s.probing = true;
        s.tokens = 1;
      }
      s.tokens = Math.min(s.tokens, capacityOf(rateOf(s, t)));
    },
    pauseUntil(key, until, reason) {
      const t = now();
      const s = stateOf(key, t);
      if (until > s.pausedUntil) {
        s.pausedUntil = until;
        s.pauseReason = reason ?? 'paused';
        s.probing = true;
        s.tokens = 1;
      }
    },
    resume(key) {
      const s = keys.get(key);
      if (s) {
        s.pausedUntil = 0;
        s.pauseReason = null;
      }
    },
    snapshot(key): PacerSnapshot {
      const t = now();
      const s = stateOf(key, t);
      refill(s, t);
      return {
        tokens: s.tokens,
        pausedUntil: s.pausedUntil,
        pauseReason: s.pausedUntil > t ? s.pauseReason : null,
        usagePercent: s.usagePercent,
        effectiveRatePerSecond: rateOf(s, t),
      };
    },
    forget(key) {
      keys.delete(key);
    },
  };
}
