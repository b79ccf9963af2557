/** A whole Node runtime (app + inbox + workers) on a fresh test database, driven in-process. */
import { count } from 'drizzle-orm';
import { deliveries } from '../../src/db/schema/deliveries.js';
import { inbox } from '../../src/db/schema/inbox.js';
import { parseEnv } from '../../src/env.js';
import { type Logger, silentLogger } from '../../src/log.js';
import type { RuleSet } from '../../src/moderation/index.js';
import type { DeliveryToStore } from '../../src/pipeline/receive-delivery.js';
import type { InboxHandler } from '../../src/queue/process.js';
import { startNodeRuntime } from '../../src/runtime/node-runtime.js';
import { normaliseEnvelopes } from '../../src/webhook/normalise.js';
import { parseEnvelope } from '../../src/webhook/payload.js';
import { signBody } from '../../src/webhook/verify.js';
import { openTestDatabase } from './db.js';

export { commentPayload, commentWebhook } from './payloads.js';

export const META_SECRET = 'test_app_secret';
export const IG_SECRET = 'ig_secret';
export const VERIFY_TOKEN = 'verify-me-please';

/**
 * The env of a live modbot (DRY_RUN=false) acting for one account through a fake Graph API, with
 * fast polling and no write pacing to wait on: what tests of the whole path start from.
 */
export function liveEnvAgainst(
  graphBaseUrl: string,
  account: { readonly id: string; readonly token: string },
  overrides: Record<string, string> = {},
): Record<string, string> {
  return {
    DRY_RUN: 'false',
    IG_ACCOUNT_ID: account.id,
    IG_ACCESS_TOKEN: account.token,
    IG_USERNAME: 'brand',
    GRAPH_API_BASE_URL: graphBaseUrl,
    INBOX_WORKERS: '1',
    ACTION_WORKERS: '1',
    INBOX_POLL_MS: '50',
    GRAPH_WRITES_PER_MINUTE: '6000',
    ...overrides,
  };
}

export async function startTestRuntime(
  options: {
    handler?: InboxHandler;
    /** Moderate with these rules (the real handler) instead of a handler that just completes. */
    rules?: () => RuleSet;
    env?: Record<string, string>;
    logger?: Logger;
    onQuery?: (q: string) => void;
    backoff?: (attempt: number) => number;
  } = {},
) {
  const intakeTimeoutMs = Number(options.env?.INTAKE_TIMEOUT_MS ?? 0);
  const database = await openTestDatabase({
    ...(options.onQuery ? { onQuery: options.onQuery } : {}),
    ...(intakeTimeoutMs ? { intakeTimeoutMs } : {}),
  });
  const env = parseEnv({
    META_APP_SECRET: META_SECRET,
    INSTAGRAM_APP_SECRET: IG_SECRET,
    META_VERIFY_TOKEN: VERIFY_TOKEN,
    INBOX_WORKERS: '0',
    INBOX_POLL_MS: '20',
    ...options.env,
  });
  const runtime = startNodeRuntime({
    env,
    database,
    logger: options.logger ?? silentLogger,
    ...(options.rules
      ? { rules: options.rules }
      : { handler: options.handler ?? (async () => ({ outcome: 'done' as const })) }),
    ...(options.backoff ? { backoff: options.backoff } : {}),
  });

  const post = async (
    body: string | Uint8Array<ArrayBuffer>,
    init: { secret?: string | null; headers?: Record<string, string> } = {},
  ) => {
    const headers: Record<string, string> = { 'content-type': 'application/json', ...init.headers };
    const secret = init.secret === undefined ? META_SECRET : init.secret;
    if (secret !== null && headers['x-hub-signature-256'] === undefined)
      headers['x-hub-signature-256'] = await signBody(body, secret);
    return runtime.app.request('/webhooks/instagram', { method: 'POST', headers, body });
  };

  const counts = async () => {
    const [d] = await database.db.select({ n: count() }).from(deliveries);
    const [i] = await database.db.select({ n: count() }).from(inbox);
    return { deliveries: Number(d?.n ?? 0), inbox: Number(i?.n ?? 0) };
  };

  return {
    ...runtime,
    env,
    database,
    post,
    counts,
    close: async () => {
      await runtime.stop();
      await database.close();
    },
  };
}

/** A webhook body as the intake hands it to the store (parsed and normalised; signed with the Meta secret). */
export function deliveryOf(body: string): DeliveryToStore {
  const parsed = parseEnvelope(new TextEncoder().encode(body));
  if (!parsed.ok) throw new Error(parsed.error);
  const receivedAt = new Date();
  return {
    id: crypto.randomUUID(),
    receivedAt,
    requestId: null,
    signedWith: 'meta',
    body,
    changes: normaliseEnvelopes(parsed.envelopes, receivedAt),
  };
}
