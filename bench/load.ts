/**
 * Load generator for benchmarks: autocannon in a worker thread (its own event loop, so it does not
 * steal the server's), posting signed webhook deliveries with a fresh comment id each time.
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
const body = (id) => JSON.stringify({ object: 'instagram', entry: [{ id: '17841400000000001', time: 1767225600,
  changes: [{ field: 'comments', value: { id, text: 'I made $32k thanks to @finance.with.ava_ \\\\u00e9 \\\\ud83d\\\\ude0d check https:\\\\/\\\\/bit.ly\\\\/x',
  from: { id: '6000000000000003', username: 'some_user' }, media: { id: '18000000000000004', media_product_type: 'FEED' } } }] }] });
const opts = {
  url: workerData.url, connections: workerData.connections, duration: workerData.duration, method: 'POST',
  requests: [{ setupRequest: (req) => {
    const b = body(prefix + '-' + (n++));
    const sig = 'sha256=' + createHmac('sha256', workerData.secret).update(b).digest('hex');
    return { ...req, body: b, headers: { 'content-type': 'application/json', 'x-hub-signature-256': sig } };
  } }],
};
autocannon(opts, (err, raw) => {
  if (err) throw err;
  // Inside a worker thread autocannon hands back raw histograms: aggregate them as its CLI does.
  const result = raw.latency ? raw : autocannon.aggregateResult([raw], opts);
  parentPort.postMessage({ requestsPerSec: Math.round(result.requests.total / workerData.duration), p50Ms: result.latency.p50, p99Ms: result.latency.p99,
    requests: result.requests.total, non2xx: result.non2xx, errors: result.errors });
});
`;

export function runLoad(options: {
  url: string;
  connections: number;
  duration: number;
  secret: string;
  prefix: string;
}): Promise<LoadResult> {
  const autocannonPath = new URL('../node_modules/autocannon/autocannon.js', import.meta.url).pathname;
  return new Promise((resolve, reject) => {
    const worker = new Worker(workerSource, { eval: true, workerData: { ...options, autocannonPath } });
    worker.once('message', (result: LoadResult) => {
      resolve(result);
      void worker.terminate();
    });
    worker.once('error', reject);
  });
}
