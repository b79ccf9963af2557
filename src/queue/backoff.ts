/**
 * The one retry backoff: exponential with "equal jitter" (half the delay fixed, half random), so
 * retries of a failed batch spread out instead of stampeding together. Attempt 1 waits
 * baseMs/2..baseMs; attempt n waits between half and all of min(capMs, baseMs * 2^(n-1)).
 * Inbox events use the defaults (2 s, capped at 15 min); Graph actions pass 1 s and 10 min.
 */
export function backoffMs(
  attempt: number,
  baseMs = 2_000,
  capMs = 15 * 60_000,
  random: () => number = Math.random,
): number {
  const exp = Math.min(capMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(exp / 2 + random() * (exp / 2));
}
