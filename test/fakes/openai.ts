/**
 * A fake OpenAI API on loopback (node:http), so tests and the benchmark run the real openai SDK
 * end to end: POST /v1/moderations and POST /v1/chat/completions with realistic bodies and
 * headers, plus scripted failures: 429 with retry-after, 500, a hang (never answers), and
 * malformed JSON. Every request is recorded.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Fault =
  | {
      readonly kind: 'status';
      readonly status: number;
      readonly retryAfterSeconds?: number;
      readonly retryAfterMs?: number;
    }
  | { readonly kind: 'hang' }
  | { readonly kind: 'content'; readonly content: string }
  | { readonly kind: 'wrong-count' };

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: unknown;
  readonly at: number;
}

export interface FakeOpenAIOptions {
  /** Added before every answer (the benchmark uses 300 ms). */
  readonly latencyMs?: number;
  /** Answer for a policy question; default: keyword heuristics on the comment. */
  readonly policyAnswer?: (
    question: string,
    comment: string,
  ) => { answer: 'yes' | 'no'; confidence: number; reason: string };
}

export interface FakeOpenAI {
  /** Base URL for the SDK, ending in /v1. */
  readonly baseURL: string;
  readonly requests: RecordedRequest[];
  /** Faults consumed one per request, in order, before normal answers resume. */
  enqueue(...faults: Fault[]): void;
  /** Requests to a path, e.g. '/v1/moderations'. */
  count(path: string): number;
  close(): Promise<void>;
}

const CATEGORIES = [
  'harassment',
  'harassment/threatening',
  'hate',
  'hate/threatening',
  'illicit',
  'illicit/violent',
  'self-harm',
  'self-harm/instructions',
  'self-harm/intent',
  'sexual',
  'sexual/minors',
  'violence',
  'violence/graphic',
] as const;

const LEXICON: ReadonlyArray<readonly [RegExp, ReadonlyArray<(typeof CATEGORIES)[number]>]> = [
  [/\b(kill|murder|shoot)\b/i, ['violence', 'harassment/threatening', 'harassment']],
  [/\b(idiot|stupid|loser|moron)\b/i, ['harassment']],
  [/\b(hate (you|them|all))\b/i, ['hate', 'harassment']],
  [/\b(nude|sex|porn)\b/i, ['sexual']],
  [/\b(hurt myself|suicide)\b/i, ['self-harm', 'self-harm/intent']],
  [/\b(buy (drugs|weed|coke))\b/i, ['illicit']],
];

/** Deterministic small noise so scores look like a model's, not zeros. */
function jitter(text: string, salt: number): number {
  let h = 2166136261 ^ salt;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return ((h >>> 0) % 1000) / 1_000_000;
}

export function moderationResult(text: string) {
  const hit = new Set<string>();
  for (const [re, cats] of LEXICON) if (re.test(text)) for (const c of cats) hit.add(c);
  const categories: Record<string, boolean> = {};
  const scores: Record<string, number> = {};
  const applied: Record<string, string[]> = {};
  CATEGORIES.forEach((c, i) => {
    scores[c] = hit.has(c) ? 0.91 + jitter(text, i) * 10 : 0.00002 + jitter(text, i);
    categories[c] = hit.has(c);
    applied[c] = hit.has(c) ? ['text'] : [];
  });
  return {
    flagged: hit.size > 0,
    categories,
    category_scores: scores,
    category_applied_input_types: applied,
  };
}

function defaultPolicy(_question: string, comment: string) {
  const yes =
    /\b(invest|profit|account manager|whatsapp|telegram|dm me|inbox me|forex|crypto mentor)\b/i.test(comment);
  return yes
    ? {
        answer: 'yes' as const,
        confidence: 0.93,
        reason: 'Promises investment returns and points to a contact.',
      }
    : { answer: 'no' as const, confidence: 0.88, reason: 'An ordinary comment about the post.' };
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const raw = Buffer.concat(chunks).toString('utf8');
  try {
    return raw ? JSON.parse(raw) : undefined;
  } catch {
    return raw;
  }
}

let idCounter = 0;
function requestId(): string {
  idCounter++;
  return `req_fake${idCounter.toString().padStart(8, '0')}`;
}

export async function startFakeOpenAI(options: FakeOpenAIOptions = {}): Promise<FakeOpenAI> {
  const requests: RecordedRequest[] = [];
  const faults: Fault[] = [];
  const hanging = new Set<ServerResponse>();
  const policy = options.policyAnswer ?? defaultPolicy;

  const send = (res: ServerResponse, status: number, body: unknown, extra: Record<string, string> = {}) => {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    res.writeHead(status, {
      'content-type': 'application/json',
      'x-request-id': requestId(),
      'openai-processing-ms': String(options.latencyMs ?? 1),
      ...extra,
    });
    res.end(text);
  };

  const server: Server = createServer((req, res) => {
    void (async () => {
      const body = await readBody(req);
      const path = (req.url ?? '').split('?')[0] ?? '';
      requests.push({ method: req.method ?? '', path, headers: req.headers, body, at: Date.now() });
      const fault = faults.shift();
      if (fault?.kind === 'hang') {
        hanging.add(res);
        res.on('close', () => hanging.delete(res));
        return;
      }
      if (options.latencyMs) await new Promise((r) => setTimeout(r, options.latencyMs));
      if (req.headers.authorization === undefined || !req.headers.authorization.startsWith('Bearer ')) {
        return send(res, 401, {
          error: {
            message: 'Incorrect API key provided',
            type: 'invalid_request_error',
            code: 'invalid_api_key',
          },
        });
      }
      if (fault?.kind === 'status') {
        const headers: Record<string, string> = {};
        if (fault.retryAfterSeconds !== undefined) headers['retry-after'] = String(fault.retryAfterSeconds);
        if (fault.retryAfterMs !== undefined) headers['retry-after-ms'] = String(fault.retryAfterMs);
        const error =
          fault.status === 429
            ? { message: 'Rate limit reached for requests', type: 'requests', code: 'rate_limit_exceeded' }
            : {
                message: 'The server had an error while processing your request. Sorry about that!',
                type: 'server_error',
                code: null,
              };
        return send(res, fault.status, { error }, headers);
      }
      const b = (body ?? {}) as Record<string, unknown>;
      if (req.method === 'POST' && path === '/v1/moderations') {
        const input = b.input;
        const texts = Array.isArray(input) ? input.map(String) : [String(input ?? '')];
        const results = texts.map(moderationResult);
        if (fault?.kind === 'wrong-count') results.pop();
        return send(res, 200, { id: `modr-${requestId()}`, model: 'omni-moderation-2024-09-26', results });
      }
      if (req.method === 'POST' && path === '/v1/chat/completions') {
        const messages = (b.messages ?? []) as Array<{ role: string; content: string }>;
        const user = messages.find((m) => m.role === 'user')?.content ?? '';
        const question = /^Question: (.*)$/m.exec(user)?.[1] ?? '';
        const comment = /<<<\n([\s\S]*?)\n>>>/.exec(user)?.[1] ?? user;
        const content = fault?.kind === 'content' ? fault.content : JSON.stringify(policy(question, comment));
        const promptTokens = Math.ceil(messages.reduce((n, m) => n + m.content.length, 0) / 4);
        const completionTokens = Math.ceil(content.length / 4);
        return send(res, 200, {
          id: `chatcmpl-${requestId()}`,
          object: 'chat.completion',
          created: Math.floor(Date.now() / 1000),
          model: `${String(b.model ?? 'gpt-4o-mini')}-2024-07-18`,
          choices: [
            {
              index: 0,
              message: { role: 'assistant', content, refusal: null, annotations: [] },
              logprobs: null,
              finish_reason: 'stop',
            },
          ],
          usage: {
            prompt_tokens: promptTokens,
            completion_tokens: completionTokens,
            total_tokens: promptTokens + completionTokens,
            prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
            completion_tokens_details: {
              reasoning_tokens: 0,
              audio_tokens: 0,
              accepted_prediction_tokens: 0,
              rejected_prediction_tokens: 0,
            },
          },
          service_tier: 'default',
          system_fingerprint: 'fp_fake',
        });
      }
      return send(res, 404, {
        error: { message: `Invalid URL (${req.method} ${path})`, type: 'invalid_request_error', code: null },
      });
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    requests,
    enqueue: (...f) => {
      faults.push(...f);
    },
    count: (path) => requests.filter((r) => r.path === path).length,
    close: async () => {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
