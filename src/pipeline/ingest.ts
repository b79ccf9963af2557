/**
 * Intake use-case: a verified, parsed delivery is stored (raw body + one inbox row per event) in
 * one transaction before the webhook is answered. Concurrent deliveries share transactions
 * (group commit). After commit, the runtime is told which inbox rows are new (Node hands them
 * to its workers; Workers sends one Queue message per row).
 *
 * On Node the new rows can be written already claimed (leased) by this process, in the same
 * commit, and handed to its workers in memory: the event goes from intake to moderation
 * without a claim round trip. If the process dies first, the lease expires and any worker
 * claims the row again, as with any claim.
 */
import type { InboxItem } from '../queue/ports.js';
import type { NormalisedChange } from '../webhook/normalise.js';
import { GroupCommitter } from './group-commit.js';

export interface DeliveryToStore {
  readonly id: string;
  readonly receivedAt: Date;
  readonly requestId: string | null;
  /** Which app secret signed it, or 'sweep' for comments found by the catch-up sweep. */
  readonly signedWith: 'meta' | 'instagram' | 'sweep';
  readonly body: string;
  readonly changes: readonly NormalisedChange[];
}

export interface StoredDelivery {
  readonly deliveryId: string;
  /** Inbox rows created by this delivery, ready to process (tests excluded). */
  readonly newInboxIds: readonly number[];
  /** Those of them written already claimed (`StoreOptions.claimFor`), to process now. */
  readonly claimed: readonly InboxItem[];
  readonly events: number;
  /** Events already in the inbox (Meta's retries and duplicate deliveries). */
  readonly duplicates: number;
  readonly tests: number;
  readonly unhandled: number;
}

export interface StoreOptions {
  /** Write the new rows already claimed under this token and lease. */
  readonly claimFor?: { readonly claimToken: string; readonly leaseSeconds: number };
}

/** The storage port: writes many deliveries in one transaction, results in the same order. */
export interface DeliveryStore {
  storeDeliveries(deliveries: readonly DeliveryToStore[], options?: StoreOptions): Promise<StoredDelivery[]>;
}

export interface Ingestor {
  ingest(delivery: DeliveryToStore): Promise<StoredDelivery>;
}

export interface IngestorOptions {
  readonly maxBatch?: number;
  /**
   * Asked before each group commit: a lease to write the new rows claimed under, when this
   * process will process them itself (its workers are running and have room), else null.
   */
  readonly claimLease?: () => { readonly leaseSeconds: number } | null;
}

export function createIngestor(store: DeliveryStore, options: IngestorOptions = {}): Ingestor {
  const committer = new GroupCommitter<DeliveryToStore, StoredDelivery>((items) => {
    const lease = options.claimLease?.();
    return store.storeDeliveries(
      items,
      lease ? { claimFor: { claimToken: crypto.randomUUID(), leaseSeconds: lease.leaseSeconds } } : {},
    );
  }, options.maxBatch);
  return { ingest: (delivery) => committer.submit(delivery) };
}
