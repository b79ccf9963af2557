/**
 * What the inbox workers need from storage: the shape of a claimed event and the queue
 * operations on it (claim with a lease, complete, retry, defer, release). Implemented with SQL in
 * src/db/repos/inbox.ts; the workers (node-worker.ts, process.ts) and the Workers consumer only
 * see this interface.
 */
import type { InstagramEvent } from '../webhook/events.js';

export interface InboxItem {
  readonly id: number;
  readonly dedupeKey: string;
  readonly accountId: string;
  readonly field: string;
  readonly kind: string;
  readonly event: InstagramEvent;
  /** 1 on the first try. */
  readonly attempts: number;
  readonly claimToken: string;
}

export interface InboxQueue {
  /** Claims up to `limit` due rows (pending and due, or processing with an expired lease). */
  claim(limit: number, leaseSeconds: number): Promise<InboxItem[]>;
  /** Claims one row by id if it is due (Workers queue consumer). */
  claimById(id: number, leaseSeconds: number): Promise<InboxItem | null>;
  /** Marks a claimed row done; false if the claim was lost (lease expired and row reclaimed). */
  complete(item: InboxItem): Promise<boolean>;
  /** `complete` for several rows in one statement; results in input order. */
  completeMany(items: readonly InboxItem[]): Promise<boolean[]>;
  /** Records a failed attempt: back to pending after `retryInMs`, or dead when out of attempts. */
  fail(
    item: InboxItem,
    error: string,
    retryInMs: number,
    maxAttempts: number,
  ): Promise<'retry' | 'dead' | 'lost'>;
  /** Puts a claimed row back to wait `retryInMs` without counting the attempt. */
  defer(item: InboxItem, reason: string, retryInMs: number): Promise<boolean>;
  /**
   * Puts leased rows back to pending: those whose lease expired, or all of them (only when no
   * live process can hold one, see src/db/repos/leases.ts). Returns how many.
   */
  releaseLeases(which: 'expired' | 'all'): Promise<number>;
  /** Ids of rows that should be (re)dispatched: pending and overdue, or leased past expiry. */
  overdue(graceSeconds: number, limit: number): Promise<number[]>;
}
