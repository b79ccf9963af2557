/**
 * A newcomer's first `npm start` has no Meta app yet. Rather than accept unsigned webhooks, modbot
 * generates a local app secret and verify token in the data folder (dry run only), and
 * `modbot simulate` signs with the same secret. Real deployments set META_APP_SECRET.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface DevSecrets {
  readonly appSecret: string;
  readonly verifyToken: string;
}

export function devSecretsPath(dataDir: string): string {
  return join(dataDir, 'dev-secrets.json');
}

export function loadOrCreateDevSecrets(dataDir: string): DevSecrets {
  const path = devSecretsPath(dataDir);
  const existing = readDevSecrets(dataDir);
  if (existing) return existing;
  mkdirSync(dataDir, { recursive: true });
  const secrets: DevSecrets = {
    appSecret: randomBytes(16).toString('hex'),
    verifyToken: randomBytes(12).toString('hex'),
  };
  writeFileSync(path, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 });
  return secrets;
}

export function readDevSecrets(dataDir: string): DevSecrets | null {
  const path = devSecretsPath(dataDir);
  if (!existsSync(path)) return null;
  const parsed = JSON.parse(readFileSync(path, 'utf8')) as Partial<DevSecrets>;
  return parsed.appSecret && parsed.verifyToken
    ? { appSecret: parsed.appSecret, verifyToken: parsed.verifyToken }
    : null;
}
