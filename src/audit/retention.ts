/**
 * Retention (RETENTION_DAYS): comment text and author names older than the cutoff are replaced
 * with a tombstone, in batches, so a first run over a large backlog never holds long locks. Ids,
 * times, rules, actions and scores stay, so counts and stats still add up. Each run is recorded in
 * `erasures` (kind "retention"). Run hourly from the periodic jobs (src/runtime/jobs.ts) and by
 * `modbot audit retention`. The statements are in src/db/repos/erasure.ts.
 */
import type { Database } from '../db/client.js';
import { createErasureRepo, type ErasureCounts } from '../db/repos/erasure.js';
import { ERASED, REDACTED } from './erase-subject.js';

export interface RetentionResult {
  readonly id: string;
  readonly cutoff: string;
  readonly counts: ErasureCounts;
}

/**
 * Redacts comment text and author names older than `days`, in batches (so a first run over a
 * large backlog never holds long locks). Keeps ids, times, rules, actions and scores, so counts
 * and stats still add up. Records each run in `erasures` (kind "retention").
 */
export async function runRetention(
  db: Database,
  options: { days: number; now?: Date; batchSize?: number },
): Promise<RetentionResult> {
  const repo = createErasureRepo(db);
  const now = options.now ?? new Date();
  const cutoff = new Date(now.getTime() - options.days * 86_400_000);
  const batch = options.batchSize ?? 2000;
  const id = crypto.randomUUID();
  await repo.start({ id, kind: 'retention', requestedBy: 'retention', cutoff });
  const counts: Required<Pick<ErasureCounts, 'decisions' | 'actions' | 'inbox' | 'deliveries'>> = {
    decisions: 0,
    actions: 0,
    inbox: 0,
    deliveries: 0,
  };
  try {
    for (;;) {
      const n = await repo.redactDecisions(cutoff, REDACTED, batch);
      counts.decisions += n;
      if (n < batch) break;
    }
    for (;;) {
      const n = await repo.redactActionMessages(cutoff, [REDACTED, ERASED], batch);
      counts.actions += n;
      if (n < batch) break;
    }
    for (;;) {
      const n = await repo.redactInboxEvents(cutoff, REDACTED, batch);
      counts.inbox += n;
      if (n < batch) break;
    }
    const body = JSON.stringify({ redacted: REDACTED, reason: `retention: older than ${options.days} days` });
    for (;;) {
      const n = await repo.redactDeliveries(cutoff, body, batch);
      counts.deliveries += n;
      if (n < batch) break;
    }
    await repo.finish(id, { status: 'done', counts });
    return { id, cutoff: cutoff.toISOString(), counts };
  } catch (error) {
    await repo.fail(id, error instanceof Error ? error.message.slice(0, 500) : 'failed', counts);
    throw error;
  }
}
