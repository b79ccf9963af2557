/**
 * GET/POST /webhooks/instagram. Transport only: each check, cheapest first, has its own status;
 * the storing is the ingest use-case's job.
 *   413 too large → 415 not JSON → 401 bad/missing signature → 400 bad envelope → 200 stored.
 * Nothing is stored before the signature is proven; nothing is answered 200 before it is stored.
 */
import { Hono } from 'hono';
import type { Logger } from '../log.js';
import type { Ingestor, StoredDelivery } from '../pipeline/receive-delivery.js';
import { answerHandshake } from '../webhook/handshake.js';
import { normaliseEnvelopes } from '../webhook/normalise.js';
import { parseEnvelope } from '../webhook/payload.js';
import { type SigningSecret, verifySignature } from '../webhook/verify.js';
import { readBodyLimited } from './body.js';
import type { AppEnv } from './context.js';

export interface WebhookDeps {
  readonly verifyToken: string | undefined;
  readonly secrets: readonly SigningSecret[];
  readonly maxBodyBytes: number;
  readonly ingestor: Ingestor;
  readonly logger: Logger;
  /** Told about new inbox rows after commit (Node: wake workers; Workers: enqueue). */
  readonly onStored?: (stored: StoredDelivery, waitUntil: (p: Promise<unknown>) => void) => void;
}

const problem = (error: string, message: string) => ({ error, message });

export function webhookRoutes(deps: WebhookDeps) {
  const app = new Hono<AppEnv>();

  app.get('/', (c) => {
    const result = answerHandshake(
      {
        mode: c.req.query('hub.mode'),
        verifyToken: c.req.query('hub.verify_token'),
        challenge: c.req.query('hub.challenge'),
      },
      deps.verifyToken,
    );
    if (!result.ok) {
      c.get('log').warn('webhook handshake refused', { mode: c.req.query('hub.mode') ?? null });
      return c.text('Forbidden', 403);
    }
    c.get('log').info('webhook handshake accepted');
    return c.text(result.challenge, 200);
  });

  app.post('/', async (c) => {
    const log = c.get('log');
    const receivedAt = new Date();

    const declared = c.req.header('content-length');
    if (declared !== undefined && Number(declared) > deps.maxBodyBytes) {
      return c.json(problem('payload_too_large', `body exceeds ${deps.maxBodyBytes} bytes`), 413);
    }
    const type = c.req.header('content-type') ?? '';
    if (!/^application\/json\s*(;|$)/i.test(type)) {
      return c.json(problem('unsupported_media_type', 'Content-Type must be application/json'), 415);
    }
    const body = await readBodyLimited(c.req.raw, deps.maxBodyBytes);
    if (!body.ok) {
      if (body.reason === 'too_large')
        return c.json(problem('payload_too_large', `body exceeds ${deps.maxBodyBytes} bytes`), 413);
      return c.json(problem('bad_request', 'the request body could not be read'), 400);
    }

    const signature = await verifySignature(body.bytes, c.req.header('x-hub-signature-256'), deps.secrets);
    if (!signature.ok) {
      log.warn('webhook signature rejected', { reason: signature.reason, bytes: body.bytes.byteLength });
      const message =
        signature.reason === 'no_secret_configured'
          ? 'no app secret is configured (set META_APP_SECRET)'
          : signature.reason === 'missing'
            ? 'X-Hub-Signature-256 header is missing'
            : signature.reason === 'malformed'
              ? 'X-Hub-Signature-256 must be sha256=<64 hex digits>'
              : 'X-Hub-Signature-256 does not match the body';
      return c.json(problem('invalid_signature', message), 401);
    }

    const parsed = parseEnvelope(body.bytes);
    if (!parsed.ok) {
      log.warn('webhook envelope rejected', { error: parsed.error });
      return c.json(problem('bad_request', parsed.error), 400);
    }

    const deliveryId = crypto.randomUUID();
    const changes = normaliseEnvelopes(parsed.envelopes, receivedAt);
    let stored: StoredDelivery;
    try {
      stored = await deps.ingestor.ingest({
        id: deliveryId,
        receivedAt,
        requestId: c.get('requestId') ?? null,
        signedWith: signature.matched,
        body: parsed.text,
        changes,
      });
    } catch (error) {
      // Not stored: answer 503 so Meta retries the delivery later; nothing is lost.
      log.error('webhook delivery could not be stored', { deliveryId, error });
      return c.json(problem('unavailable', 'the delivery could not be stored; retry later'), 503);
    }
    log.info('webhook delivery stored', {
      deliveryId,
      signedWith: signature.matched,
      events: stored.events,
      new: stored.newInboxIds.length,
      duplicates: stored.duplicates,
      tests: stored.tests,
      unhandled: stored.unhandled,
    });
    const waitUntil = (p: Promise<unknown>) => {
      try {
        c.executionCtx.waitUntil(p);
      } catch {
        // Node has no execution context: the promise runs on by itself.
        void p.catch(() => {});
      }
    };
    deps.onStored?.(stored, waitUntil);
    return c.json(
      {
        ok: true,
        deliveryId,
        events: stored.events,
        new: stored.newInboxIds.length,
        duplicates: stored.duplicates,
        tests: stored.tests,
        unhandled: stored.unhandled,
      },
      200,
    );
  });

  return app;
}
