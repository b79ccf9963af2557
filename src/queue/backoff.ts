/**
 * Exponential backoff with "equal jitter": half the delay fixed, half random, so retries of a
 * failed batch spread out instead of stampeding together. Attempt 1 waits ~baseMs.
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
