/** Dead letters: listed with their last error, put back by id or all, taken again by a worker. */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditInputError } from '../../src/audit/filters.js';
import { createAuditService } from '../../src/audit/service.js';
import { inbox } from '../../src/db/schema/inbox.js';
import { silentLogger } from '../../src/log.js';
import type { InboxItem } from '../../src/queue/ports.js';
import { processClaimed } from '../../src/queue/process.js';
import { commentPayload, startTestRuntime } from '../support/runtime.js';

let rt: Awaited<ReturnType<typeof startTestRuntime>>;
beforeAll(async () => {
  rt = await startTestRuntime();
});
afterAll(() => rt.close());

const idOf = async (commentId: string) => {
  const [row] = await rt.database.db.select().from(inbox).where(eq(inbox.commentId, commentId));
  if (!row) throw new Error(`no inbox row for ${commentId}`);
  return row.id;
};

/** Fails the event once with maxAttempts 1: dead at once, with this error. */
const killEvent = async (commentId: string, error: string) => {
  const item = await rt.repo.claimById(await idOf(commentId), 60);
  const failing = async () => {
    throw new Error(error);
  };
  const { outcome } = await processClaimed(rt.repo, failing, item as InboxItem, {
    maxAttempts: 1,
    logger: silentLogger,
  });
  expect(outcome).toBe('dead');
};

describe('dead letters', () => {
  it('lists dead events with their last error, retries by id and all, and a worker takes them again', async () => {
    const audit = createAuditService(rt.database.db, { retentionDays: 90 });
    await rt.post(commentPayload(['dl-a', 'dl-b', 'dl-c']));
    await killEvent('dl-a', 'graph down a');
    await killEvent('dl-b', 'graph down b');
    const [a, b, c] = [await idOf('dl-a'), await idOf('dl-b'), await idOf('dl-c')];

    const listed = await audit.deadLetters();
    expect(listed.total).toBe(2);
    expect(listed.items.map((d) => [d.id, d.commentId, d.attempts, d.lastError])).toEqual([
      [a, 'dl-a', 1, 'Error: graph down a'],
      [b, 'dl-b', 1, 'Error: graph down b'],
    ]);
    expect(await audit.inboxStateOfComment('dl-a')).toMatchObject([{ id: a, status: 'dead' }]);

    // c was never dead: named as such, left alone.
    expect(await audit.retryDeadLetters({ ids: [a, c] })).toEqual({ retried: [a], notDead: [c] });
    expect((await audit.deadLetters()).items.map((d) => d.id)).toEqual([b]);
    const again = await rt.repo.claimById(a, 60);
    expect(again).toMatchObject({ id: a, attempts: 1 });
    expect(await rt.repo.complete(again as InboxItem)).toBe(true);

    expect(await audit.retryDeadLetters({ all: true })).toEqual({ retried: [b], notDead: [] });
    expect((await audit.deadLetters()).total).toBe(0);
    await expect(audit.retryDeadLetters({ ids: [] })).rejects.toBeInstanceOf(AuditInputError);
  });
});
