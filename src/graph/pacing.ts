/**
 * Per-key pacing for Graph API calls: a token bucket per account (rate + burst), slowed down by
 * the usage headers before Meta throttles us, and paused outright after a throttling error.
 *
 * Pure state keyed by account id (or any string: use e.g. `${accountId}:write` for a separate
 * write budget); nothing here sleeps, so a throttled account never holds up another one. The
 * caller asks `take(key)` and either goes ahead or re-schedules the work `waitMs` later.
 * The clock is injectable for tests.
 */
import type { GraphUsage } from './usage.js';

export interface PacerOptions {
  /** Sustained calls per second per key. */
  readonly ratePerSecond: number;
  /** Bucket size: calls allowed back to back after a quiet period. */
  readonly burst: number;
  readonly now?: () => number;
  /** Usage percent at which the rate is halved (default 80). */
  readonly slowAtPercent?: number;
  /** Usage percent at which the key pauses (default 95). */
  readonly pauseAtPercent?: number;
  /** Pause length at pauseAtPercent when the headers give no regain time (default 60 s). */
  readonly highUsagePauseMs?: number;
  /** Usage observations older than this are ignored (default 10 min). */
  readonly usageStaleMs?: number;
}

export type TakeResult =
  | { readonly ok: true }
  | { readonly ok: false; readonly waitMs: number; readonly reason: 'rate' | 'paused' };

export interface PacerSnapshot {
  readonly tokens: number;
  readonly pausedUntil: number;
  readonly pauseReason: string | null;
  readonly usagePercent: number | null;
  readonly effectiveRatePerSecond: number;
}

interface KeyState {
  tokens: number;
  updatedAt: number;
  pausedUntil: number;
  pauseReason: string | null;
  usagePercent: number | null;
  usageAt: number;
}

/**
 * 'high': hides and deletes; 'low': replies, which leave room for them (adaptive pacing keeps half
 * its bucket for high-priority writes, src/graph/adaptive-pacing.ts).
 */
export type WritePriority = 'high' | 'low';

export interface Pacer {
  /** Take `cost` tokens for `key` now, or learn how long to wait. Never blocks. */
  take(key: string, cost?: number, priority?: WritePriority): TakeResult;
  /** Milliseconds until `take(key, cost)` would succeed (0 = now). Does not consume. */
  waitMs(key: string, cost?: number): number;
  /** Feed the usage headers of a response for `key` (null leaves the state as is). */
  observe(key: string, usage: GraphUsage | null): void;
  /** Stop `key` until the given epoch ms (throttling, action blocked, token broken…). */
  pauseUntil(key: string, until: number, reason?: string): void;
  resume(key: string): void;
  snapshot(key: string): PacerSnapshot;
  /** Forget a key (account removed). */
  forget(key: string): void;
}

export function createPacer(options: PacerOptions): Pacer {
  if (!(options.ratePerSecond > 0)) throw new Error('createPacer: ratePerSecond must be > 0');
  if (!(options.burst >= 1)) throw new Error('createPacer: burst must be >= 1');
  const now = options.now ?? (() => Date.now());
  const slowAt = options.slowAtPercent ?? 80;
  const pauseAt = options.pauseAtPercent ?? 95;
  const highUsagePauseMs = options.highUsagePauseMs ?? 60_000;
  const usageStaleMs = options.usageStaleMs ?? 10 * 60_000;
  const keys = new Map<string, KeyState>();

  const stateOf = (key: string, t: number): KeyState => {
    let s = keys.get(key);
    if (!s) {
      s = {
        tokens: options.burst,
        updatedAt: t,
        pausedUntil: 0,
        pauseReason: null,
        usagePercent: null,
        usageAt: 0,
      };
      keys.set(key, s);
    }
    return s;
  };

  const rateOf = (s: KeyState, t: number): number => {
    const fresh = s.usagePercent !== null && t - s.usageAt <= usageStaleMs;
    return fresh && (s.usagePercent ?? 0) >= slowAt ? options.ratePerSecond / 2 : options.ratePerSecond;
  };

  const refill = (s: KeyState, t: number): void => {
    const elapsed = Math.max(0, t - s.updatedAt);
    s.tokens = Math.min(options.burst, s.tokens + (elapsed * rateOf(s, t)) / 1000);
    s.updatedAt = t;
  };

  const wait = (s: KeyState, t: number, cost: number): TakeResult => {
    if (s.pausedUntil > t) return { ok: false, waitMs: s.pausedUntil - t, reason: 'paused' };
    if (s.tokens >= cost) return { ok: true };
    return { ok: false, waitMs: Math.ceil(((cost - s.tokens) * 1000) / rateOf(s, t)), reason: 'rate' };
  };

  return {
    take(key, cost = 1) {
      const t = now();
      const s = stateOf(key, t);
      refill(s, t);
      const r = wait(s, t, cost);
      if (r.ok) s.tokens -= cost;
      return r;
    },
    waitMs(key, cost = 1) {
      const t = now();
      const s = stateOf(key, t);
      refill(s, t);
      const r = wait(s, t, cost);
      return r.ok ? 0 : r.waitMs;
    },
    observe(key, usage) {
      if (!usage) return;
      const t = now();
      const s = stateOf(key, t);
      refill(s, t); // settle tokens at the old rate before the rate changes
      s.usagePercent = usage.maxPercent;
      s.usageAt = t;
      if (usage.maxPercent >= pauseAt) {
        const ms = usage.regainAccessMinutes > 0 ? usage.regainAccessMinutes * 60_000 : highUsagePauseMs;
        if (t + ms > s.pausedUntil) {
          s.pausedUntil = t + ms;
          s.pauseReason = `usage ${usage.maxPercent}%`;
        }
      }
    },
    pauseUntil(key, until, reason) {
      const t = now();
      const s = stateOf(key, t);
      if (until > s.pausedUntil) {
        s.pausedUntil = until;
        s.pauseReason = reason ?? 'paused';
      }
    },
    resume(key) {
      const s = keys.get(key);
      if (s) {
        s.pausedUntil = 0;
        s.pauseReason = null;
      }
    },
    snapshot(key) {
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
