/**
 * Node: postgres.js when DATABASE_URL is set, PGlite in MODBOT_DATA_DIR otherwise.
 *
 * Only one process may open a PGlite data folder (data-folder-lock.ts). The server takes it and
 * shares it on a socket once migrated (`shareWithCommands`); a command run while the server is
 * up goes through that socket; without a server, the command opens the folder itself.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { DatabaseHandle } from './client.js';
import { DataFolderBusy, type LockHolder, lockDataFolder, socketFileName } from './data-folder-lock.js';
import { openPostgres } from './postgres.js';

export interface OpenOptions {
  /** 'server' refuses when another process has the embedded database; a command goes through it. */
  role?: LockHolder['role'];
  /** How long a command waits for a starting server's socket or another command to end. */
  waitMs?: number;
}

export interface NodeDatabaseHandle extends DatabaseHandle {
  /** Embedded database: serve it to the `modbot` commands on `db.sock` (the server, once migrated). */
  shareWithCommands?(): Promise<void>;
  /** Embedded database: record the server's address in the lock file. */
  setServerUrl?(url: string): void;
}

export async function openDatabase(
  config: { DATABASE_URL?: string | undefined; MODBOT_DATA_DIR: string; INTAKE_TIMEOUT_MS?: number },
  options: OpenOptions = {},
): Promise<NodeDatabaseHandle> {
  if (config.DATABASE_URL)
    return openPostgres(
      config.DATABASE_URL,
      options.role === 'server' && config.INTAKE_TIMEOUT_MS
        ? { intakeTimeoutMs: config.INTAKE_TIMEOUT_MS }
        : {},
    );
  const dataDir = config.MODBOT_DATA_DIR;
  mkdirSync(dataDir, { recursive: true });
  const role = options.role ?? 'command';
  const socketPath = join(dataDir, socketFileName);
  const giveUpAt = Date.now() + (options.waitMs ?? 30_000);
  for (;;) {
    try {
      const lock = lockDataFolder(dataDir, role);
      return await openLocked(join(dataDir, 'pgdata'), socketPath, lock);
    } catch (error) {
      if (!(error instanceof DataFolderBusy) || role === 'server') throw error;
      if (error.holder.role === 'server' && existsSync(socketPath)) {
        const shared = openPostgres('', { socketPath });
        return {
          ...shared,
          location: `${join(dataDir, 'pgdata')}, through the running modbot (pid ${error.holder.pid})`,
          sharedByServer: true,
        };
      }
      // A server still migrating, or another command: wait for it (polling the lock file).
      if (Date.now() > giveUpAt) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

async function openLocked(
  pgdata: string,
  socketPath: string,
  lock: ReturnType<typeof lockDataFolder>,
): Promise<NodeDatabaseHandle> {
  // Imported lazily: postgres.js users never load the WASM build.
  const { openPglite } = await import('./pglite.js');
  let handle: Awaited<ReturnType<typeof openPglite>>;
  try {
    handle = await openPglite(pgdata);
  } catch (error) {
    lock.release();
    throw error;
  }
  let sharing: { close(): Promise<void> } | null = null;
  return {
    ...handle,
    shareWithCommands: async () => {
      const { servePgliteOnSocket } = await import('./pglite-socket.js');
      sharing = await servePgliteOnSocket(handle.client, socketPath);
    },
    setServerUrl: (url) => lock.setUrl(url),
    close: async () => {
      try {
        await sharing?.close();
        await handle.close();
      } finally {
        lock.release();
      }
    },
  };
}
