/** A real modbot server (src/entry/node.ts) in a child process on loopback, for the crash tests. */
import { type ChildProcess, spawn } from 'node:child_process';

export interface ModbotProcess {
  readonly child: ChildProcess;
  /** Resolves once it logs that it is listening; rejects if it exits first. */
  readonly ready: Promise<void>;
  /** Everything it printed so far (stdout and stderr). */
  output(): string;
  /** Sends the signal and waits for the process to exit. */
  stop(signal: NodeJS.Signals): Promise<void>;
}

export function startModbot(options: {
  port: number;
  /** Added to the environment (over this process's own, without its DATABASE_URL). */
  env: Record<string, string>;
  /** A real Postgres to use; without it modbot uses the embedded database in MODBOT_DATA_DIR. */
  databaseUrl?: string | undefined;
  /** Called with each JSON log line it prints, parsed. */
  onLog?: (record: Record<string, unknown>) => void;
}): ModbotProcess {
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    PORT: String(options.port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    // Live mode (DRY_RUN=false) refuses to start without it.
    PUBLIC_URL: `http://127.0.0.1:${options.port}`,
    ...options.env,
  };
  delete env.DATABASE_URL;
  if (options.databaseUrl) env.DATABASE_URL = options.databaseUrl;
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/entry/node.ts'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let buffered = '';
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        if (line.includes('modbot listening on')) resolve();
        if (options.onLog && line.startsWith('{')) options.onLog(JSON.parse(line));
      }
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.on('exit', (code) => reject(new Error(`modbot exited early (${code}):\n${output}`)));
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    ready,
    output: () => output,
    stop: (signal) => {
      child.kill(signal);
      return exited;
    },
  };
}

/**
 * Resolves once `condition` holds, looking every `everyMs`. No deadline of its own: how long it
 * takes depends on the machine, so only the test's timeout bounds it (it fails there, named).
 */
export async function until(condition: () => boolean | Promise<boolean>, everyMs = 50): Promise<void> {
  while (!(await condition())) await new Promise((r) => setTimeout(r, everyMs));
}
