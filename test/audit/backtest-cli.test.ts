/**
 * `modbot rules backtest|status` as a process: precise messages for a bad time, an unknown option
 * or format, and a JSON report on an empty embedded database of its own (a fresh data folder).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const dataDir = mkdtempSync(join(tmpdir(), 'modbot-backtest-cli-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

function modbot(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, MODBOT_DATA_DIR: dataDir, LOG_LEVEL: 'silent' };
  delete env.DATABASE_URL;
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'src/cli/main.ts', ...args],
      { env, timeout: 120_000 },
      (error, stdout, stderr) => {
        const code = error ? Number((error as { code?: number }).code ?? 1) : 0;
        resolve({ code, out: stdout, err: stderr });
      },
    );
  });
}

describe('modbot rules backtest', () => {
  it('refuses a bad time, an unknown option and a bad format, saying what to write', async () => {
    const [bad, unknown, format] = await Promise.all([
      modbot('rules', 'backtest', '--since', '3x'),
      modbot('rules', 'backtest', '--sinc', '3d'),
      modbot('rules', 'backtest', '--format', 'yaml'),
    ]);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('--since "3x": expected a relative time like 30d');
    expect(unknown.code).not.toBe(0);
    expect(unknown.err).toContain("unknown option '--sinc'");
    expect(unknown.err).toContain('--since');
    expect(format.code).toBe(2);
    expect(format.err).toContain('--format "yaml": use table or json');
  }, 120_000);

  it('prints the report as JSON, and the status table', async () => {
    const json = await modbot('rules', 'backtest', '--since', '7d', '--format', 'json');
    expect(json.code).toBe(0);
    const report = JSON.parse(json.out) as { totals: { decisions: number }; candidate: { rules: number } };
    expect(report.totals.decisions).toBe(0);
    expect(report.candidate.rules).toBeGreaterThan(0);
    const status = await modbot('rules', 'status');
    expect(status.code).toBe(0);
    expect(status.out).toMatch(
      /to promote: rules\/[\w-]+\.yaml:\d+: change "mode: shadow" to "mode: enforce"/,
    );
  }, 120_000);
});
