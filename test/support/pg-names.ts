/**
 * Database names for tests on a real server: one template per run, one clone per test file, one
 * database per Workers run.
 */
export function templateName(): string {
  return `modbot_tpl_${process.pid}`;
}

export function cloneName(): string {
  return `modbot_t_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
}

/** The Workers tests' database for one run (unique, so two runs at once do not clash). */
export function workerDatabaseName(): string {
  return `modbot_w_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
}

/** Same server, the maintenance database, for CREATE/DROP DATABASE. */
export function adminUrl(url: string): string {
  const u = new URL(url);
  u.pathname = '/postgres';
  return u.toString();
}

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}
