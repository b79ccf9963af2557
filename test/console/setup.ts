/**
 * A whole modbot for the console tests: the Node runtime on a fresh test database, served over
 * real HTTP on a random loopback port, acting on a fake Graph API (live mode, not dry run), with
 * an admin token and two named moderator tokens. `comment()` sends a signed webhook over HTTP
 * and waits until it is decided and acted on.
 */

import { createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { type ServerType, serve } from '@hono/node-server';
import { createLogger } from '../../src/log.js';
import { loadRuleSet, type RuleSet } from '../../src/moderation/index.js';
import { signBody } from '../../src/webhook/verify.js';
import { type FakeGraph, startFakeGraph } from '../fakes/graph.js';
import { META_SECRET, startTestRuntime } from '../support/runtime.js';

export const rulesYaml = `# console test rules
- id: scam-hide
  reason: Investment scam
  when:
    text contains any: [invested, "passive income"]
  action: hide

- id: dm-review
  reason: A bare DM me; a person should look
  when:
    text contains any: ["dm me"]
  action: review

- id: spam-model
  reason: The model thinks it is spam (shadow, so it is scored and recorded, never acted on)
  mode: shadow
  when:
    classifier:
      use: builtin
      score: spam
      at least: 0.5
      fallback: allow
  action: hide
`;

export const ACCOUNT = '17841400000000001';
export const ADMIN = 'admin-token-0123456789abcdef';
export const ALICE = 'alice-token-0123456789abcdef';
export const BOB = 'bob-token-0123456789abcdef00';
const TOKEN = 'IGQVJ-test-token-0123456789';

export interface ConsoleWorld {
  readonly baseUrl: string;
  readonly fake: FakeGraph;
  readonly rt: Awaited<ReturnType<typeof startTestRuntime>>;
  readonly logs: string[];
  comment(text: string, username?: string): Promise<string>;
  settle(): Promise<void>;
  close(): Promise<void>;
}

function ruleSet(): RuleSet {
  const loaded = loadRuleSet([{ path: 'rules/console.yaml', content: rulesYaml }]);
  if (!loaded.ok) throw new Error(loaded.errors.map((e) => e.format()).join('\n'));
  return loaded.ruleSet;
}

export async function startConsoleWorld(): Promise<ConsoleWorld> {
  const logs: string[] = [];
  const fake = await startFakeGraph({ autoCreate: true });
  fake.state.addAccount({ id: ACCOUNT, username: 'brand', token: TOKEN, loginType: 'instagram' });
  const mediaId = fake.state.addMedia(ACCOUNT).id;
  const rules = ruleSet();
  const rt = await startTestRuntime({
    rules: () => rules,
    env: {
      DRY_RUN: 'false',
      IG_ACCOUNT_ID: ACCOUNT,
      IG_ACCESS_TOKEN: TOKEN,
      IG_USERNAME: 'brand',
      GRAPH_API_BASE_URL: fake.baseUrl,
      INBOX_WORKERS: '1',
      ACTION_WORKERS: '1',
      INBOX_POLL_MS: '50',
      GRAPH_WRITES_PER_MINUTE: '6000',
      ADMIN_TOKEN: ADMIN,
      MODERATOR_TOKENS: `alice:${ALICE},bob:${BOB}`,
    },
    logger: createLogger({
      level: 'debug',
      secrets: [ADMIN, ALICE, BOB, TOKEN],
      write: (line) => logs.push(line),
    }),
    backoff: () => 50,
  });
  const server: ServerType = await new Promise((resolve) => {
    const s = serve({ fetch: rt.app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s));
  });
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const settle = async () => {
    for (let i = 0; i < 5; i++) {
      await rt.idle();
      await new Promise((r) => setTimeout(r, 20));
    }
  };

  return {
    baseUrl,
    fake,
    rt,
    logs,
    settle,
    async comment(text, username = 'some_user') {
      // One id per username, like Instagram's.
      const fromId = String(
        6_000_000_000_000_000n +
          BigInt(Number.parseInt(createHash('sha256').update(username).digest('hex').slice(0, 12), 16)),
      );
      const c = fake.state.addComment(mediaId, { text, fromId, username });
      const body = JSON.stringify({
        object: 'instagram',
        entry: [
          {
            id: ACCOUNT,
            time: Math.floor(Date.now() / 1000),
            changes: [
              {
                field: 'comments',
                value: {
                  id: c.id,
                  text,
                  from: { id: fromId, username },
                  media: { id: mediaId, media_product_type: 'FEED' },
                },
              },
            ],
          },
        ],
      });
      const res = await fetch(`${baseUrl}/webhooks/instagram`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-hub-signature-256': await signBody(body, META_SECRET),
        },
        body,
      });
      if (res.status !== 200) throw new Error(`webhook answered ${res.status}: ${await res.text()}`);
      await settle();
      return c.id;
    },
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rt.close();
      await fake.close();
    },
  };
}
