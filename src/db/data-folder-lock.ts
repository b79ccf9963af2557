/**
 * Who has the embedded database open: `modbot.lock` in the data folder, written by the process
 * that opened it (its pid, and for a server its URL once it listens). Only one process may open
 * a PGlite data folder; the others either talk to that server through its socket (commands) or
 * refuse in one line (a second server). A lock whose pid is gone (a killed process) is taken over.
 */
import { linkSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface LockHolder {
  pid: number;
  /** 'server': `npm start` (shares the database on its socket); 'command': a `modbot` command. */
  role: 'server' | 'command';
  /** The server's address once it listens. */
  url: string | null;
}

export const lockFileName = 'modbot.lock';
export const socketFileName = 'db.sock';

export class DataFolderBusy extends Error {
  constructor(
    readonly holder: LockHolder,
    dataDir: string,
  ) {
    super(
      holder.role === 'server'
        ? `modbot is already running on ${dataDir}: pid ${holder.pid}, ${holder.url ?? '(starting)'}`
        : `the database in ${dataDir} is in use by a modbot command (pid ${holder.pid}); run this again when it ends`,
    );
  }
}

export interface DataFolderLock {
  /** Records the server's address in the lock file (for a second start's message). */
  setUrl(url: string): void;
  release(): void;
}

/** Takes the folder's lock, or throws DataFolderBusy naming the live process that holds it. */
export function lockDataFolder(dataDir: string, role: LockHolder['role']): DataFolderLock {
  const file = join(dataDir, lockFileName);
  const holder: LockHolder = { pid: process.pid, role, url: null };
  // Written whole under a private name, then linked into place: link fails if the lock exists,
  // so the lock file never exists half-written and two processes cannot both take it.
  const mine = `${file}.${process.pid}`;
  writeFileSync(mine, JSON.stringify(holder), { mode: 0o600 });
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        linkSync(mine, file);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        const current = readLock(dataDir);
        if (current && current.pid !== process.pid && isAlive(current.pid))
          throw new DataFolderBusy(current, dataDir);
        rmSync(file, { force: true }); // its process is gone: take over
        continue;
      }
      let released = false;
      return {
        setUrl(url) {
          writeFileSync(mine, JSON.stringify({ ...holder, url }), { mode: 0o600 });
          renameSync(mine, file);
        },
        release() {
          if (released) return;
          released = true;
          if (readLock(dataDir)?.pid === process.pid) rmSync(file, { force: true });
        },
      };
    }
  } finally {
    rmSync(mine, { force: true });
  }
  throw new Error(`could not take the lock ${file}; remove it if no modbot is running`);
}

/** The live process holding the folder, or null (no lock, or its process is gone). */
export function liveHolder(dataDir: string): LockHolder | null {
  const holder = readLock(dataDir);
  return holder && isAlive(holder.pid) ? holder : null;
}

function readLock(dataDir: string): LockHolder | null {
  try {
    const parsed = JSON.parse(readFileSync(join(dataDir, lockFileName), 'utf8')) as Partial<LockHolder>;
    if (typeof parsed.pid !== 'number') return null;
    return {
      pid: parsed.pid,
      role: parsed.role === 'command' ? 'command' : 'server',
      url: parsed.url ?? null,
    };
  } catch {
    return null; // missing, or half-written by a process starting right now
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
