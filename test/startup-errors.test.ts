/**
 * Start-up mistakes end in one line, cause first, with no stack trace: a real server process
 * (src/entry/node.ts) each time, waited for until it exits.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from './support/free-port.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function start(extra: Record<string, string>) {
  const dataDir = mkdtempSync(join(tmpdir(), 'modbot-startup-'));
  dirs.push(dataDir);
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    MODBOT_DATA_DIR: dataDir,
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: 'silent',
    ...extra,
  };
  if (!extra.DATABASE_URL) delete env.DATABASE_URL;
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/entry/node.ts'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (c: Buffer) => {
    out += c.toString();
  });
  child.stderr.on('data', (c: Buffer) => {
    out += c.toString();
  });
  return new Promise<{ code: number | null; out: string }>((resolve) =>
    child.once('close', (code) => resolve({ code, out })),
  );
}

describe('start-up mistakes', () => {
  it('port in use, database missing or unreachable, malformed encryption key: one line each', async () => {
    const busy: Server = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', () => resolve()));
    const busyPort = (busy.address() as { port: number }).port;
    const closedPort = await freePort();
    const missing = `modbot_missing_${process.pid}_${Date.now()}`;
    try {
      const [portInUse, noDatabase, refused, badKey, noPublicUrl] = await Promise.all([
        start({ PORT: String(busyPort) }),
        start({ DATABASE_URL: `postgres://postgres@127.0.0.1:5432/${missing}` }),
        start({ DATABASE_URL: `postgres://postgres@127.0.0.1:${closedPort}/postgres` }),
        start({ MODBOT_ENCRYPTION_KEY: 'abc' }),
        start({
          DRY_RUN: 'false',
          META_APP_SECRET: 'live-app-secret-1',
          META_VERIFY_TOKEN: 'live-verify-token',
        }),
      ]);
      expect(portInUse).toEqual({
        code: 1,
        out: `modbot cannot start: port ${busyPort} on 127.0.0.1 is in use by another program; stop it or set PORT\n`,
      });
      expect(noDatabase).toEqual({
        code: 1,
        out: `modbot cannot start: database "${missing}" does not exist; create it (createdb) or fix DATABASE_URL\n`,
      });
      expect(refused.code).toBe(1);
      expect(refused.out).toMatch(
        new RegExp(
          `^modbot cannot start: ECONNREFUSED 127\\.0\\.0\\.1:${closedPort}; is Postgres running there\\? \\(DATABASE_URL\\)\\n$`,
        ),
      );
      expect(badKey).toEqual({
        code: 1,
        out: 'modbot cannot start: MODBOT_ENCRYPTION_KEY: must be 32 bytes, got 2 (generate one with: openssl rand -hex 32)\n',
      });
      // Live mode needs the address Meta reaches (data-deletion status URLs never use the Host header).
      expect(noPublicUrl.code).toBe(1);
      expect(noPublicUrl.out).toMatch(
        /^modbot cannot start\.\nInvalid configuration:\n {2}- PUBLIC_URL: required when DRY_RUN=false/,
      );
      expect(noPublicUrl.out).not.toMatch(/\n\s+at /);
    } finally {
      busy.close();
    }
  }, 300_000);
});
