/**
 * The fake Graph API in a process of its own, for benchmarks: the real Graph API runs elsewhere,
 * so answering its calls must not take CPU from the event loop being measured.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { type FakeGraphOptions, startFakeGraph } from '../test/fakes/graph.js';

interface ProcessData {
  readonly options: FakeGraphOptions;
  readonly accounts: readonly { id: string; username: string; token: string }[];
}

export interface FakeGraphProcess {
  readonly baseUrl: string;
  close(): Promise<void>;
}

export function startFakeGraphProcess(data: ProcessData): Promise<FakeGraphProcess> {
  const child = fork(fileURLToPath(import.meta.url), [JSON.stringify(data)], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`the fake Graph API exited (${code})`)));
    child.once('message', (baseUrl) =>
      resolve({
        baseUrl: String(baseUrl),
        close: async () => {
          const exited = new Promise((r) => child.once('exit', r));
          child.kill();
          await exited;
        },
      }),
    );
  });
}

if (process.send && process.argv[2]?.startsWith('{')) {
  const { options, accounts } = JSON.parse(process.argv[2]) as ProcessData;
  const fake = await startFakeGraph(options);
  for (const a of accounts) fake.state.addAccount(a);
  process.send(fake.baseUrl);
}
