/**
 * Receive a delivery: the story of one webhook POST once its bytes are read.
 *
 *   1. prove it comes from Meta: HMAC-SHA256 of the raw bytes, compared in constant time;
 *   2. parse the envelope and normalise each change into an event;
 *   3. store the raw body and one inbox row per event in one transaction (concurrent deliveries
 *      share it: group commit);
 *   4. hand the new rows over: Node gives them to its own workers, Workers sends Queue messages.
 *
 * Nothing is stored before step 1 succeeds; nothing is answered 200 before step 3 commits, so a
 * crash or a failed commit loses nothing: Meta retries what was not acknowledged.
 *
 * On Node the new rows can be written already claimed (leased) by this process in the same
 * commit and handed to its workers in memory: no claim round trip between intake and moderation.
 * If the process dies first, the lease expires and any worker claims the row again.
 */
import type { Logger } from '../log.js';
import type { InboxItem } from '../queue/ports.js';
import { type NormalisedChange, normaliseEnvelopes } from '../webhook/normalise.js';
import { parseEnvelope } from '../webhook/payload.js';
import { type SigningSecret, verifySignature } from '../webhook/verify.js';
import { GroupCommitter } from './batch/group-commit.js';

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

/** Lets work outlive the request (Workers' waitUntil; on Node the promise simply runs on). */
export type WaitUntil = (work: Promise<unknown>) => void;

export interface ReceiveDeliveryDeps {
  readonly secrets: readonly SigningSecret[];
  readonly store: DeliveryStore;
  /**
   * Asked before each group commit: a lease to write the new rows claimed under, when this
   * process will process them itself (its workers are running and have room), else null.
   */
  readonly claimLease?: () => { readonly leaseSeconds: number } | null;
  /** Told about new inbox rows after commit (Node: its workers; Workers: the Queue). */
  readonly handOver?: (stored: StoredDelivery, waitUntil: WaitUntil) => void;
  readonly maxBatch?: number;
}

export interface ReceivedBytes {
  readonly bytes: Uint8Array<ArrayBuffer>;
  /** The X-Hub-Signature-256 header as sent, if any. */
  readonly signature: string | undefined;
  readonly receivedAt: Date;
  readonly requestId: string | null;
  readonly log: Logger;
  readonly waitUntil: WaitUntil;
}

/** What became of a delivery; each refusal names its cause for the sender. */
export type Received =
  | { readonly ok: true; readonly stored: StoredDelivery }
  | {
      readonly ok: false;
      readonly refused: 'invalid_signature' | 'bad_request' | 'unavailable';
      readonly message: string;
    };

export function createReceiveDelivery(deps: ReceiveDeliveryDeps) {
  const store = groupCommitted(deps);

  return async function receiveDelivery(input: ReceivedBytes): Promise<Received> {
    const { log } = input;

    // 1. Prove it comes from Meta, on the raw bytes.
    const signature = await verifySignature(input.bytes, input.signature, deps.secrets);
    if (!signature.ok) {
      log.warn('webhook signature rejected', { reason: signature.reason, bytes: input.bytes.byteLength });
      return { ok: false, refused: 'invalid_signature', message: signatureProblem[signature.reason] };
    }

    // 2. Parse the envelope and normalise its changes into events.
    const parsed = parseEnvelope(input.bytes);
    if (!parsed.ok) {
      log.warn('webhook envelope rejected', { error: parsed.error });
      return { ok: false, refused: 'bad_request', message: parsed.error };
    }
    const delivery: DeliveryToStore = {
      id: crypto.randomUUID(),
      receivedAt: input.receivedAt,
      requestId: input.requestId,
      signedWith: signature.matched,
      body: parsed.text,
      changes: normaliseEnvelopes(parsed.envelopes, input.receivedAt),
    };

    // 3. Store it durably (shared transaction with concurrent deliveries).
    let stored: StoredDelivery;
    try {
      stored = await store(delivery);
    } catch (error) {
      // Not stored: Meta retries the delivery later; nothing is lost.
      log.error('webhook delivery could not be stored', { deliveryId: delivery.id, error });
      return { ok: false, refused: 'unavailable', message: 'the delivery could not be stored; retry later' };
    }
    log.info('webhook delivery stored', {
      deliveryId: stored.deliveryId,
      signedWith: signature.matched,
      events: stored.events,
      new: stored.newInboxIds.length,
      duplicates: stored.duplicates,
      tests: stored.tests,
      unhandled: stored.unhandled,
    });

    // 4. Hand the new events over to be decided.
    deps.handOver?.(stored, input.waitUntil);
    return { ok: true, stored };
  };
}

export type ReceiveDelivery = ReturnType<typeof createReceiveDelivery>;

const signatureProblem: Record<
  Exclude<Awaited<ReturnType<typeof verifySignature>>, { ok: true }>['reason'],
  string
> = {
  no_secret_configured: 'no app secret is configured (set META_APP_SECRET)',
  missing: 'X-Hub-Signature-256 header is missing',
  malformed: 'X-Hub-Signature-256 must be sha256=<64 hex digits>',
  mismatch: 'X-Hub-Signature-256 does not match the body',
};

/** Concurrent deliveries share one transaction; each caller settles after it commits. */
function groupCommitted(deps: Pick<ReceiveDeliveryDeps, 'store' | 'claimLease' | 'maxBatch'>) {
  const committer = new GroupCommitter<DeliveryToStore, StoredDelivery>(
    (items) => {
      const lease = deps.claimLease?.();
      return deps.store.storeDeliveries(
        items,
        lease ? { claimFor: { claimToken: crypto.randomUUID(), leaseSeconds: lease.leaseSeconds } } : {},
      );
    },
    deps.maxBatch,
    refusedData,
  );
  return (delivery: DeliveryToStore) => committer.submit(delivery);
}

/**
 * A failure one delivery may have caused (SQLSTATE 22 data exception, 23 integrity, 54 program
 * limit such as an index row too big, XX internal): its batch is tried again one by one. A
 * timeout (57), a lost connection (08) or an error without a code fails the batch at once.
 */
function refusedData(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return /^(22|23|54|XX)/.test(code);
  }
  return false;
}
