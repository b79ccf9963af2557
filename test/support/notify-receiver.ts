/** A local HTTP receiver for outgoing notifications (loopback, random port): records every POST, lists them on GET. */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedNotice {
  readonly at: number;
  readonly body: { text: string; notices: Array<Record<string, unknown>> };
}

export async function startNotifyReceiver() {
  const received: ReceivedNotice[] = [];
  let status = 200;
  const waiters: Array<() => void> = [];
  const server = createServer((req, res) => {
    // GET: what was received so far (the Workers tests ask from inside workerd).
    if (req.method === 'GET') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(received));
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (status === 200)
        received.push({ at: Date.now(), body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
      res.writeHead(status, { 'content-type': 'text/plain' }).end(status === 200 ? 'ok' : 'no');
      for (const w of waiters.splice(0)) w();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/modbot`;
  return {
    url,
    received,
    /** Answer every request with this status from now on (200: record it). */
    answer(s: number) {
      status = s;
    },
    /** Waits until a received message's text matches (or `timeoutMs` passes); returns it or undefined. */
    async waitFor(match: (text: string) => boolean, timeoutMs = 15_000): Promise<ReceivedNotice | undefined> {
      const end = Date.now() + timeoutMs;
      for (;;) {
        const found = received.find((r) => match(r.body.text));
        if (found || Date.now() > end) return found;
        await new Promise<void>((r) => {
          waiters.push(r);
          setTimeout(r, Math.max(0, end - Date.now())).unref();
        });
      }
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
