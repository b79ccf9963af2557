/**
 * GET/POST /webhooks/instagram. Transport only: the HTTP checks, cheapest first, each with its
 * own status, then the receive-delivery use-case, whose outcome maps to a status:
 *   413 too large → 415 not JSON → 401 bad/missing signature → 400 bad envelope → 503 not
 *   stored (Meta retries) → 200 stored.
 */
import { Hono } from 'hono';
import type { ReceiveDelivery, Received } from '../pipeline/receive-delivery.js';
import { answerHandshake } from '../webhook/handshake.js';
import { readBodyLimited } from './body.js';
import type { AppEnv } from './context.js';

export interface WebhookDeps {
  readonly verifyToken: string | undefined;
  readonly maxBodyBytes: number;
  readonly receiveDelivery: ReceiveDelivery;
}

const problem = (error: string, message: string) => ({ error, message });

const refusalStatus = {
  invalid_signature: 401,
  bad_request: 400,
  unavailable: 503,
} as const satisfies Record<Extract<Received, { ok: false }>['refused'], number>;

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

    const received = await deps.receiveDelivery({
      bytes: body.bytes,
      signature: c.req.header('x-hub-signature-256'),
      receivedAt,
      requestId: c.get('requestId') ?? null,
      log: c.get('log'),
      waitUntil: (work) => {
        try {
          c.executionCtx.waitUntil(work);
        } catch {
          // Node has no execution context: the promise runs on by itself.
          void work.catch(() => {});
        }
      },
    });
    if (!received.ok)
      return c.json(problem(received.refused, received.message), refusalStatus[received.refused]);
    const { stored } = received;
    return c.json(
      {
        ok: true,
        deliveryId: stored.deliveryId,
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
