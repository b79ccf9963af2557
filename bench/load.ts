/**
 * Load generators for benchmarks, each in a worker thread (its own event loop, so it does not
 * steal the server's), posting signed webhook deliveries with a fresh comment id each time (also
 * sent as the x-bench-comment header, so a server can note when each one arrived).
 * - closed loop (`runLoad`): autocannon keeping `connections` requests in flight for `duration`;
 * - open loop (`startPaced`): `amount` requests evenly spaced at `rate` per second whatever the
 *   answers (autocannon's own rate limit sends each second's requests in one burst).
 */
import { Worker } from 'node:worker_threads';

export interface LoadResult {
  readonly requestsPerSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly requests: number;
  readonly non2xx: number;
  readonly errors: number;
}

const workerSource = `
const { workerData, parentPort } = require('node:worker_threads');
const { createHmac } = require('node:crypto');
const autocannon = require(workerData.autocannonPath);
let n = 0;
const prefix = workerData.prefix;
const body = (id, i) => JSON.stringify({ object: 'instagram', entry: [{ id: '17841400000000001', time: Math.floor(Date.now() / 1000),
  changes: [{ field: 'comments', value: { id, text: workerData.text.replace('{n}', String(i)),
  from: { id: '6' + id, username: 'user_' + id }, media: { id: '18000000000000004', media_product_type: 'FEED' } } }] }] });
const opts = {
  url: workerData.url, connections: workerData.connections, method: 'POST',
  duration: workerData.duration,
  requests: [{ setupRequest: (req) => {
    const i = n++;
    const id = prefix + String(i).padStart(9, '0');
    const b = body(id, i);
    const sig = 'sha256=' + createHmac('sha256', workerData.secret).update(b).digest('hex');
    return { ...req, body: b, headers: { 'content-type': 'application/json', 'x-hub-signature-256': sig, 'x-bench-comment': id } };
  } }],
};
autocannon(opts, (err, raw) => {
  if (err) throw err;
  // Inside a worker thread autocannon hands back raw histograms: aggregate them as its CLI does.
  const result = raw.latency ? raw : autocannon.aggregateResult([raw], opts);
  parentPort.postMessage({ requestsPerSec: Math.round(result.requests.total / (result.duration || workerData.duration)), p50Ms: result.latency.p50, p99Ms: result.latency.p99,
    requests: result.requests.total, non2xx: result.non2xx, errors: result.errors });
});
`;

/** The comment text ingest posts (escapes as Meta sends them); `{n}` is replaced by the request number. */
export const SCAM_TEXT =
  'I made $32k thanks to @finance.with.ava_ \\u00e9 \\ud83d\\ude0d check https:\\/\\/bit.ly\\/x';

const pacedSource = `
const { workerData, parentPort } = require('node:worker_threads');
const { createHmac } = require('node:crypto');
const http = require('node:http');
const url = new URL(workerData.url);
// One agent for every run: connections opened in the warm-up stay open for the measured run.
const agent = new http.Agent({ keepAlive: true, maxSockets: workerData.connections });
const run = ({ rate, amount, prefix }) => {
  const bodies = [];
  for (let i = 0; i < amount; i++) {
    const id = prefix + String(i).padStart(9, '0');
    const b = JSON.stringify({ object: 'instagram', entry: [{ id: '17841400000000001', time: Math.floor(Date.now() / 1000),
      changes: [{ field: 'comments', value: { id, text: workerData.text.replace('{n}', String(i)),
      from: { id: '6' + id, username: 'user_' + id }, media: { id: '18000000000000004', media_product_type: 'FEED' } } }] }] });
    bodies.push({ id, b, sig: 'sha256=' + createHmac('sha256', workerData.secret).update(b).digest('hex') });
  }
  const latencies = [];
  let non2xx = 0, errors = 0, done = 0;
  const start = performance.now();
  const send = (i) => {
    const { id, b, sig } = bodies[i];
    const t = performance.now();
    const req = http.request({ agent, host: url.hostname, port: url.port, path: url.pathname, method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(b), 'x-hub-signature-256': sig, 'x-bench-comment': id } },
      (res) => { res.resume(); res.on('end', () => { latencies.push(performance.now() - t); if (res.statusCode !== 200) non2xx++; finish(); }); });
    req.on('error', () => { errors++; finish(); });
    req.end(b);
  };
  const finish = () => {
    if (++done < bodies.length) return;
    latencies.sort((a, b) => a - b);
    const pct = (p) => Math.round(latencies[Math.min(latencies.length - 1, Math.ceil((p / 100) * latencies.length) - 1)] * 100) / 100;
    parentPort.postMessage({ requestsPerSec: Math.round(bodies.length / ((performance.now() - start) / 1000)), p50Ms: pct(50), p99Ms: pct(99),
      requests: bodies.length, non2xx, errors });
  };
  let next = 0;
  const tick = () => {
    const due = Math.floor(((performance.now() - start) * rate) / 1000) + 1;
    while (next < bodies.length && next < due) send(next++);
    if (next < bodies.length) setTimeout(tick, Math.max(0, start + (next * 1000) / rate - performance.now()));
  };
  tick();
};
parentPort.on('message', run);
`;

export interface PacedRun {
  readonly rate: number;
  readonly amount: number;
  /** Comment ids are this prefix and the request number. */
  readonly prefix: string;
}

export interface PacedGenerator {
  /** `amount` requests evenly spaced at `rate` per second; resolves when all are answered. */
  run(run: PacedRun): Promise<LoadResult>;
  close(): Promise<void>;
}

/**
 * Open loop in one worker thread kept for several runs (a warm-up, then the measured run), so
 * the measured run does not pay for the generator's own start (thread, JIT, new connections),
 * which competes for the same cores as the server being measured.
 */
export function startPaced(options: {
  url: string;
  connections: number;
  secret: string;
  text: string;
}): PacedGenerator {
  const worker = new Worker(pacedSource, { eval: true, workerData: options });
  return {
    run: (run) =>
      new Promise((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
        worker.postMessage(run);
      }),
    close: async () => {
      await worker.terminate();
    },
  };
}

export function runLoad(options: {
  url: string;
  connections: number;
  duration: number;
  secret: string;
  /** Comment ids are this prefix and the request number. */
  prefix: string;
  text?: string;
}): Promise<LoadResult> {
  const autocannonPath = new URL('../node_modules/autocannon/autocannon.js', import.meta.url).pathname;
  return new Promise((resolve, reject) => {
    const worker = new Worker(workerSource, {
      eval: true,
      workerData: { text: SCAM_TEXT, ...options, autocannonPath },
    });
    worker.once('message', (result: LoadResult) => {
      resolve(result);
      void worker.terminate();
    });
    worker.once('error', reject);
  });
}
