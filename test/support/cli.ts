/** Runs a CLI command in-process and captures what it prints (console.log, console.error) and its exit code. */
import { vi } from 'vitest';

export interface CliOutput {
  /** One entry per console.log call (its arguments joined by spaces). */
  readonly lines: string[];
  /** The console.log lines joined by newlines. */
  readonly out: string;
  /** The console.error lines joined by newlines. */
  readonly err: string;
  /** process.exitCode as the command left it (0 when unset); reset to 0 afterwards. */
  readonly exitCode: number;
}

export async function captureCli(run: () => Promise<unknown>): Promise<CliOutput> {
  const lines: string[] = [];
  const errors: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void lines.push(a.join(' ')));
  const error = vi
    .spyOn(console, 'error')
    .mockImplementation((...a: unknown[]) => void errors.push(a.join(' ')));
  process.exitCode = 0;
  try {
    await run();
    return { lines, out: lines.join('\n'), err: errors.join('\n'), exitCode: Number(process.exitCode ?? 0) };
  } finally {
    process.exitCode = 0;
    log.mockRestore();
    error.mockRestore();
  }
}
