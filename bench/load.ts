/**
 * Load generator for benchmarks: autocannon in a worker thread (its own event loop, so it does not
 * steal the server's), posting signed webhook deliveries with a fresh comment id each time (also
 * sent as the x-bench-comment header, so a server can note when each one arrived). Closed loop
 * over `connections` by default; `rate` paces the requests (open loop) and `amount` stops after
 * that many.
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
  ...(workerData.amount ? { amount: workerData.amount } : { duration: workerData.duration }),
  ...(workerData.rate ? { overallRate: workerData.rate } : {}),
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

export function runLoad(options: {
  url: string;
  connections: number;
  duration: number;
  secret: string;
  /** Comment ids are this prefix and the request number. */
  prefix: string;
  text?: string;
  rate?: number;
  amount?: number;
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
