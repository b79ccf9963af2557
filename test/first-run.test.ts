/**
 * The README's first path on the embedded database, as a new user runs it: a real server
 * (src/entry/node.ts) in a child process, and the `modbot` commands in their own processes while
 * it runs. Every wait is for an event (a line printed, a process exiting), never a duration.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type ModbotProcess, startModbot } from './support/modbot-process.js';

const dataDir = mkdtempSync(join(tmpdir(), 'modbot-first-run-'));
const env = { MODBOT_DATA_DIR: dataDir, LOG_LEVEL: 'warn', INBOX_POLL_MS: '100' };
const started: ModbotProcess[] = [];

afterAll(async () => {
  for (const p of started)
    if (p.child.exitCode === null && p.child.signalCode === null) await p.stop('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

/** Runs a process to its end; resolves with its exit code and everything it printed. */
function runToEnd(args: string[], extraEnv: Record<string, string> = {}) {
  const childEnv: Record<string, string> = {
    ...(process.env as Record<string, string>),
    ...env,
    ...extraEnv,
  };
  delete childEnv.DATABASE_URL;
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', ...args], {
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout?.on('data', (c: Buffer) => {
    out += c.toString();
  });
  child.stderr?.on('data', (c: Buffer) => {
    err += c.toString();
  });
  return new Promise<{ code: number | null; out: string; err: string }>((resolve) =>
    child.once('close', (code) => resolve({ code, out, err })),
  );
}
const modbot = (...args: string[]) => runToEnd(['src/cli/main.ts', ...args]);

describe('first run on the embedded database', () => {
  it('commands work while the server runs; a second server refuses in one line; a killed one is taken over', async () => {
    const server = startModbot({ port: 0, env });
    started.push(server);
    await server.ready;
    const lock = JSON.parse(readFileSync(join(dataDir, 'modbot.lock'), 'utf8')) as {
      pid: number;
      url: string;
    };
    expect(lock.pid).toBe(server.child.pid);
    expect(server.output()).toContain(`try:      npm run modbot -- simulate --url ${lock.url}`);

    // simulate finds the server by its lock file, waits for the decision and says what to run next.
    const sim = await modbot('simulate', '--comment', '1790000000001', '--text', 'DM me on @cash.flow_ava');
    expect(sim.err).toBe('');
    expect(sim.code).toBe(0);
    expect(sim.out).toContain('comment 1790000000001 (comments) sent');
    expect(sim.out).toMatch(/decided: hide by [a-z-]+ \(dry run: nothing done on Instagram\)/);
    expect(sim.out).toContain('why:     npm run modbot -- audit show 1790000000001');

    // A mention's text comes from the simulation when there is no token, and the decision says so.
    const mention = await modbot(
      'simulate',
      '--field',
      'mentions',
      '--comment',
      '1790000000002',
      '--text',
      'DM me on @cash.flow_ava',
    );
    expect(mention.code).toBe(0);
    expect(mention.out).toContain('note: mention text taken from the webhook (a simulation)');

    // The audit log, read by another process while the server holds the database.
    const show = await modbot('audit', 'show', '1790000000001');
    expect(show.code).toBe(0);
    expect(show.out).toContain('comment 1790000000001');
    const list = await modbot('audit', '--format', 'json');
    expect(list.code).toBe(0);
    expect(
      (JSON.parse(list.out) as { items: { commentId: string }[] }).items.map((i) => i.commentId).sort(),
    ).toEqual(['1790000000001', '1790000000002']);
    const unknown = await modbot('audit', '--rule', 'no-such-rule');
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain('unknown rule "no-such-rule"');

    // A second server on the same folder: one line, naming the first.
    const second = await runToEnd(['src/entry/node.ts'], { PORT: '0' });
    expect(second.code).toBe(1);
    expect(second.err.trim()).toBe(
      `modbot cannot start: modbot is already running on ${dataDir}: pid ${lock.pid}, ${lock.url}`,
    );

    // Killed without a chance to clean up: the next server takes the folder over.
    await server.stop('SIGKILL');
    const third = startModbot({ port: 0, env });
    started.push(third);
    await third.ready;
    const after = await modbot('audit', 'show', '1790000000001');
    expect(after.code).toBe(0);
    await third.stop('SIGTERM');
    expect(third.child.exitCode).toBe(0);

    // No server: the command opens the folder itself.
    const alone = await modbot('audit', 'show', '1790000000002');
    expect(alone.code).toBe(0);
    expect(alone.out).toContain('mention text taken from the webhook');
  }, 600_000);
});
