/**
 * When a queue reclaims rows whose lease expired (their worker died): every `everyMs`, and also
 * before the claim that follows an empty one, so an idle worker finds stranded work at once.
 * Kept out of the claim query so that one walks its (priority, next_attempt_at) index in order
 * and stops at LIMIT.
 */
export function reclaimSchedule(reclaim: () => Promise<void>, everyMs = 5_000) {
  let last = 0;
  let afterEmpty = true;
  return {
    /** Before a claim: reclaims when due. */
    async beforeClaim(): Promise<void> {
      if (afterEmpty || Date.now() - last >= everyMs) {
        last = Date.now();
        await reclaim();
      }
      afterEmpty = false;
    },
    /** After a claim: an empty one makes the next claim reclaim first. */
    afterClaim(found: number): void {
      if (found === 0) afterEmpty = true;
    },
  };
}
