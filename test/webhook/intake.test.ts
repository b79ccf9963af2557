/** The webhook endpoint on the Node app: the shared contract, then what only Node does. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webhookEndpointContract } from '../contract/webhook-endpoint.js';
import {
  commentPayload,
  IG_SECRET,
  META_SECRET,
  startTestRuntime,
  VERIFY_TOKEN,
} from '../support/runtime.js';

let rt: Awaited<ReturnType<typeof startTestRuntime>>;
const queries: string[] = [];

beforeAll(async () => {
  rt = await startTestRuntime({
    env: { WEBHOOK_MAX_BODY_BYTES: '1048576' },
    onQuery: (q) => queries.push(q),
  });
});
afterAll(() => rt.close());

describe('webhook endpoint contract (Node)', () => {
  webhookEndpointContract({
    request: async (path, init) => rt.app.request(path, init),
    db: () => rt.database.db,
    metaSecret: META_SECRET,
    instagramSecret: IG_SECRET,
    verifyToken: VERIFY_TOKEN,
    maxBodyBytes: 1_048_576,
    // No inbox workers here (INBOX_WORKERS=0): stored rows stay pending.
    processesInbox: false,
  });
});

describe('POST /webhooks/instagram on Node', () => {
  it('stores a 1,000-change batch in one statement (one round trip)', async () => {
    const ids = Array.from({ length: 1000 }, (_, i) => `batch-${i}`);
    queries.length = 0;
    const res = await rt.post(commentPayload(ids));
    expect(res.status).toBe(200);
    expect(((await res.json()) as { new: number }).new).toBe(1000);
    // One statement writes the delivery and all 1,000 inbox rows (the changes travel as JSON).
    const writes = queries.filter((q) => /\binsert into\b/i.test(q));
    expect(writes.map((q) => q.slice(0, 60))).toEqual([expect.stringMatching(/^\s*with stored_deliveries/)]);
    expect(writes[0]).toMatch(/insert into deliveries[\s\S]*insert into inbox/i);
  });
});

describe('health', () => {
  it('/healthz and /readyz answer ok once migrated', async () => {
    expect(await (await rt.app.request('/healthz')).json()).toEqual({ ok: true });
    expect(await (await rt.app.request('/readyz')).json()).toEqual({ ok: true });
  });
});
