/**
 * The accounts modbot acts for, and their credentials. Tokens are encrypted at rest and only
 * decrypted to make a call. A single account may also come from the environment
 * (IG_ACCOUNT_ID + IG_ACCESS_TOKEN): its token stays in memory and is never stored.
 * The rows are read and written by the accounts repo (src/accounts/ports.ts, SQL in
 * src/db/repos/accounts.ts); this store adds the caching, the encryption and the env account.
 */
import type { AccountRecord, AccountStatus, AccountsRepo, LoginType } from './ports.js';
import { decryptToken, EncryptionKeyError, encryptToken, parseEncryptionKey } from './token-crypto.js';

export type { AccountStatus, LoginType } from './ports.js';

/** What a Graph API call needs. */
export interface AccountCredentials {
  readonly id: string;
  readonly loginType: LoginType;
  readonly accessToken: string;
  readonly username: string | null;
}

export interface AccountSummary {
  readonly id: string;
  readonly username: string | null;
  readonly loginType: LoginType;
  readonly hasToken: boolean;
  readonly tokenExpiresAt: Date | null;
  readonly status: AccountStatus;
  readonly statusReason: string | null;
  readonly pausedUntil: Date | null;
  readonly source: 'database' | 'environment';
}

export interface EnvAccount {
  readonly id: string;
  readonly accessToken: string;
  readonly username: string | null;
  readonly loginType: LoginType;
}

export interface AccountStore {
  list(): Promise<AccountSummary[]>;
  get(id: string): Promise<AccountSummary | null>;
  /** Credentials to act with, or null when there is no usable token (dry run for that account). */
  credentials(id: string): Promise<AccountCredentials | null>;
  /** Both at once (one query): what the moderation of one event needs. */
  lookup(id: string): Promise<{ summary: AccountSummary | null; credentials: AccountCredentials | null }>;
  add(input: {
    id: string;
    username: string | null;
    loginType: LoginType;
    accessToken: string;
    expiresAt: Date | null;
  }): Promise<void>;
  remove(id: string): Promise<boolean>;
  setToken(id: string, accessToken: string, expiresAt: Date | null): Promise<void>;
  /** Token errors: the account's events wait until someone re-authorises it. */
  setStatus(id: string, status: AccountStatus, reason: string | null): Promise<void>;
  /** Throttling: no writes for this account until `until`. */
  pause(id: string, until: Date): Promise<void>;
}

/** An account's status reason when MODBOT_ENCRYPTION_KEY cannot open its stored token. */
export const undecryptableToken =
  'the stored token cannot be decrypted with MODBOT_ENCRYPTION_KEY (changed or unset)';

export function createAccountStore(
  repo: AccountsRepo,
  options: {
    encryptionKey?: string | undefined;
    envAccount?: EnvAccount | null;
    /**
     * How long `lookup` may answer from memory (every event and action looks its account up).
     * This store's own writes take effect at once; changes made elsewhere (the CLI, another
     * instance, Meta's deauthorize callback) within this many milliseconds. 0: always ask.
     */
    lookupCacheMs?: number;
  } = {},
): AccountStore {
  const env = options.envAccount ?? null;
  const cacheMs = options.lookupCacheMs ?? 0;
  const key = () => parseEncryptionKey(options.encryptionKey);

  const summary = (row: AccountRecord): AccountSummary => ({
    id: row.id,
    username: row.username,
    loginType: row.loginType,
    hasToken: row.accessTokenEncrypted !== null || env?.id === row.id,
    tokenExpiresAt: row.tokenExpiresAt,
    status: row.status,
    statusReason: row.statusReason,
    pausedUntil: row.pausedUntil,
    source: env?.id === row.id ? 'environment' : 'database',
  });

  /** The environment's account gets a row too (status, pauses), without its token. */
  const ensureEnvRow = async () => {
    if (!env) return;
    await repo.addIfMissing({ id: env.id, username: env.username, loginType: env.loginType });
  };
  let envRowReady: Promise<void> | null = null;
  const ready = () => {
    envRowReady ??= ensureEnvRow();
    return envRowReady;
  };

  const credentialsOf = async (
    id: string,
    row: AccountRecord | null,
  ): Promise<AccountCredentials | null | 'undecryptable'> => {
    if (row && row.status === 'disconnected') return null;
    if (env?.id === id)
      return {
        id,
        loginType: env.loginType,
        accessToken: env.accessToken,
        username: env.username ?? row?.username ?? null,
      };
    if (!row?.accessTokenEncrypted) return null;
    let accessToken: string;
    try {
      accessToken = await decryptToken(row.accessTokenEncrypted, key());
    } catch (error) {
      if (!(error instanceof EncryptionKeyError)) throw error;
      // The key cannot open the stored token (it changed, or is unset). Like a token Meta
      // refused: the account is flagged and its work waits for a new token (accounts add),
      // instead of every event failing until it is dead-lettered.
      if (row.status !== 'reauth_needed') await repo.setStatus(id, 'reauth_needed', undecryptableToken);
      return 'undecryptable' as const;
    }
    return { id, loginType: row.loginType, accessToken, username: row.username };
  };

  const read = async (id: string) => {
    await ready();
    const row = await repo.find(id);
    const credentials = await credentialsOf(id, row);
    if (row && credentials === 'undecryptable') {
      const flagged = { ...row, status: 'reauth_needed' as const, statusReason: undecryptableToken };
      return { summary: summary(flagged), credentials: null };
    }
    return {
      summary: row ? summary(row) : null,
      credentials: credentials === 'undecryptable' ? null : credentials,
    };
  };
  type Lookup = Awaited<ReturnType<typeof read>>;
  // Lookups in flight are shared; answers are kept `cacheMs`.
  const cache = new Map<string, { at: number; answer: Promise<Lookup> }>();
  const lookup = (id: string): Promise<Lookup> => {
    const hit = cache.get(id);
    if (hit && Date.now() - hit.at < cacheMs) return hit.answer;
    const answer = read(id);
    cache.set(id, { at: Date.now(), answer });
    answer.then(
      () => {
        if (cacheMs <= 0 && cache.get(id)?.answer === answer) cache.delete(id);
      },
      () => {
        if (cache.get(id)?.answer === answer) cache.delete(id);
      },
    );
    return answer;
  };
  /** After a write: the next lookup reads it. */
  const forget = (id: string) => cache.delete(id);

  return {
    async list() {
      await ready();
      return (await repo.list()).map(summary);
    },
    async get(id) {
      await ready();
      const row = await repo.find(id);
      return row ? summary(row) : null;
    },
    async credentials(id) {
      return (await lookup(id)).credentials;
    },
    lookup,
    async add(input) {
      const encrypted = await encryptToken(input.accessToken, key());
      await repo.upsert({
        id: input.id,
        username: input.username,
        loginType: input.loginType,
        accessTokenEncrypted: encrypted,
        tokenExpiresAt: input.expiresAt,
      });
      forget(input.id);
    },
    async remove(id) {
      const removed = await repo.remove(id);
      forget(id);
      return removed;
    },
    async setToken(id, accessToken, expiresAt) {
      await repo.setToken(id, await encryptToken(accessToken, key()), expiresAt);
      forget(id);
    },
    async setStatus(id, status, reason) {
      await ready();
      await repo.setStatus(id, status, reason);
      forget(id);
    },
    async pause(id, until) {
      await ready();
      await repo.pause(id, until);
      forget(id);
    },
  };
}

export function envAccountFrom(env: {
  IG_ACCOUNT_ID?: string | undefined;
  IG_ACCESS_TOKEN?: string | undefined;
  IG_USERNAME?: string | undefined;
  IG_LOGIN_TYPE: LoginType;
}): EnvAccount | null {
  if (!env.IG_ACCOUNT_ID || !env.IG_ACCESS_TOKEN) return null;
  return {
    id: env.IG_ACCOUNT_ID,
    accessToken: env.IG_ACCESS_TOKEN,
    username: env.IG_USERNAME ?? null,
    loginType: env.IG_LOGIN_TYPE,
  };
}
