/**
 * Shares the server's embedded database with the `modbot` commands while the server runs.
 *
 * PGlite is one Postgres backend inside this process; a second process cannot open its data
 * folder (it would corrupt it, or die in the WASM build). So the server listens on a Unix socket
 * in the data folder (`db.sock`, mode 0600: only this user) and speaks the Postgres wire
 * protocol there by handing each client's messages to PGlite (`execProtocolRaw`); the commands
 * connect to it with postgres.js like to any Postgres.
 *
 * Why not @electric-sql/pglite-socket: it pins an older PGlite than ours, and it holds the
 * database for a client's whole connection. Here a client holds it only while it has a
 * statement running or a transaction open, under the same locks PGlite's own `query` and
 * `transaction` take, so the server's intake and workers go on between a command's statements
 * and never see a command's half-done transaction (nor a command the server's).
 */
import { chmodSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import type { PGlite } from '@electric-sql/pglite';

/** A client that leaves a transaction open this long without a word is rolled back and cut off. */
const idleInTransactionMs = 15_000;

export interface PgliteSocketServer {
  readonly path: string;
  close(): Promise<void>;
}

export async function servePgliteOnSocket(client: PGlite, path: string): Promise<PgliteSocketServer> {
  rmSync(path, { force: true }); // a socket file left by a killed server (the lock file says it is dead)
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    new Session(client, socket).start();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => {
      server.off('error', reject);
      resolve();
    });
  });
  chmodSync(path, 0o600);
  return {
    path,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(path, { force: true });
    },
  };
}

/** PGlite's internal locks, the ones its `query()` and `transaction()` take (public, underscored). */
interface PgliteLocks {
  _runExclusiveTransaction<T>(fn: () => Promise<T>): Promise<T>;
  _runExclusiveQuery<T>(fn: () => Promise<T>): Promise<T>;
}

class Session {
  private buffered = Buffer.alloc(0);
  private started = false;
  private pending: Buffer[] = [];
  /** Set while this client holds the database (a statement running or a transaction open). */
  private release: (() => void) | null = null;
  private idleTimer: NodeJS.Timeout | null = null;
  private queue: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly pg: PGlite,
    private readonly socket: Socket,
  ) {}

  start(): void {
    this.socket.on('data', (chunk) => {
      this.buffered = Buffer.concat([this.buffered, chunk]);
      this.readMessages();
    });
    this.socket.on('error', () => this.end());
    this.socket.on('close', () => this.end());
  }

  private readMessages(): void {
    for (;;) {
      if (!this.started) {
        if (this.buffered.length < 8) return;
        const length = this.buffered.readInt32BE(0);
        if (this.buffered.length < length) return;
        const code = this.buffered.readInt32BE(4);
        this.buffered = this.buffered.subarray(length);
        if (code === 80877103 || code === 80877104) {
          this.socket.write('N'); // SSL or GSS encryption asked: not on a local socket
          continue;
        }
        this.started = true;
        this.socket.write(startupReply());
        continue;
      }
      if (this.buffered.length < 5) return;
      const length = this.buffered.readInt32BE(1);
      if (this.buffered.length < length + 1) return;
      const message = this.buffered.subarray(0, length + 1);
      this.buffered = this.buffered.subarray(length + 1);
      const type = String.fromCharCode(message[0] ?? 0);
      if (type === 'X') {
        this.socket.end();
        return;
      }
      this.pending.push(message);
      // Sync, simple Query and Flush end a unit the backend answers; run it as one call.
      if (type === 'S' || type === 'Q' || type === 'H') {
        const unit = Buffer.concat(this.pending);
        this.pending = [];
        this.queue = this.queue.then(() => this.run(unit));
      }
    }
  }

  private async run(unit: Buffer): Promise<void> {
    if (this.closed) return;
    this.clearIdleTimer();
    if (!this.release) this.release = await this.holdDatabase();
    if (this.closed) return this.letGo();
    let reply: Uint8Array;
    try {
      reply = await (this.pg as unknown as PgliteLocks)._runExclusiveQuery(() =>
        this.pg.execProtocolRaw(new Uint8Array(unit)),
      );
    } catch {
      this.socket.destroy();
      return;
    }
    if (reply.length > 0) this.socket.write(reply);
    const status = lastReadyStatus(reply);
    // 'I': idle, nothing open: let the server (and other clients) go on.
    if (status === 'I') this.letGo();
    else this.idleTimer = setTimeout(() => this.socket.destroy(), idleInTransactionMs);
  }

  /** Waits for PGlite's transaction lock and keeps it until `release` is called. */
  private holdDatabase(): Promise<() => void> {
    return new Promise((acquired) => {
      void (this.pg as unknown as PgliteLocks)._runExclusiveTransaction(
        () => new Promise<void>((done) => acquired(done)),
      );
    });
  }

  private letGo(): void {
    this.clearIdleTimer();
    const release = this.release;
    this.release = null;
    release?.();
  }

  private clearIdleTimer(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
  }

  /** The client went away: roll back whatever it left open, then give the database back. */
  private end(): void {
    if (this.closed) return;
    this.closed = true;
    this.queue = this.queue.then(async () => {
      if (!this.release) return;
      try {
        await (this.pg as unknown as PgliteLocks)._runExclusiveQuery(() =>
          this.pg.execProtocolRaw(simpleQuery('rollback')),
        );
      } catch {
        // the database itself failed; the server's own queries will say so
      }
      this.letGo();
    });
  }
}

/** AuthenticationOk, the parameters clients expect, BackendKeyData, ReadyForQuery (idle). */
function startupReply(): Buffer {
  const parameter = (name: string, value: string) => message('S', Buffer.from(`${name}\0${value}\0`));
  const int32s = (...values: number[]) => {
    const b = Buffer.alloc(values.length * 4);
    values.forEach((v, i) => {
      b.writeInt32BE(v, i * 4);
    });
    return b;
  };
  return Buffer.concat([
    message('R', int32s(0)),
    parameter('server_version', '18.0'),
    parameter('server_encoding', 'UTF8'),
    parameter('client_encoding', 'UTF8'),
    parameter('DateStyle', 'ISO, MDY'),
    parameter('integer_datetimes', 'on'),
    parameter('standard_conforming_strings', 'on'),
    parameter('TimeZone', 'UTC'),
    message('K', int32s(process.pid, 0)),
    message('Z', Buffer.from('I')),
  ]);
}

function message(type: string, body: Buffer): Buffer {
  const header = Buffer.alloc(5);
  header.write(type, 0, 'latin1');
  header.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([header, body]);
}

function simpleQuery(text: string): Uint8Array {
  return new Uint8Array(message('Q', Buffer.from(`${text}\0`)));
}

/** The transaction status of the last ReadyForQuery in a reply ('I', 'T', 'E'), if any. */
function lastReadyStatus(reply: Uint8Array): string | null {
  const view = Buffer.from(reply.buffer, reply.byteOffset, reply.byteLength);
  let status: string | null = null;
  for (let at = 0; at + 5 <= view.length; ) {
    const length = view.readInt32BE(at + 1);
    if (view[at] === 0x5a /* Z */ && length === 5) status = String.fromCharCode(view[at + 5] ?? 0);
    at += length + 1;
  }
  return status;
}
