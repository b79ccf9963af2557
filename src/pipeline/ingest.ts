/**
 * Intake use-case: a verified, parsed delivery is stored (raw body + one inbox row per event) in
 * one transaction before the webhook is answered. Concurrent deliveries share transactions
 * (group commit). After commit, the runtime is told which inbox rows are new (Node wakes its
 * workers; Workers sends one Queue message per row).
 */
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
  readonly events: number;
  /** Events already in the inbox (Meta's retries and duplicate deliveries). */
  readonly duplicates: number;
  readonly tests: number;
  readonly unhandled: number;
}

/** The storage port: writes many deliveries in one transaction, results in the same order. */
export interface DeliveryStore {
  storeDeliveries(deliveries: readonly DeliveryToStore[]): Promise<StoredDelivery[]>;
}

export interface Ingestor {
  ingest(delivery: DeliveryToStore): Promise<StoredDelivery>;
}

export function createIngestor(store: DeliveryStore, options: { maxBatch?: number } = {}): Ingestor {
  const committer = new GroupCommitter<DeliveryToStore, StoredDelivery>(
    (items) => store.storeDeliveries(items),
    options.maxBatch,
  );
  return { ingest: (delivery) => committer.submit(delivery) };
}
