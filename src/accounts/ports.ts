/**
 * What the account store needs from storage: the stored account row and the writes made to it.
 * Implemented with SQL in src/db/repos/accounts.ts; tokens reach it already encrypted (the store
 * encrypts and decrypts, src/accounts/store.ts). Erasure and deauthorization
 * (src/audit/erase-subject.ts) disconnect accounts through it too.
 */

export const accountStatuses = ['active', 'reauth_needed', 'disconnected'] as const;
export type AccountStatus = (typeof accountStatuses)[number];

export type LoginType = 'facebook' | 'instagram';

export interface AccountRecord {
  readonly id: string;
  readonly username: string | null;
  readonly loginType: LoginType;
  /** base64(iv ‖ ciphertext ‖ tag); null when the token was dropped (deauthorised). */
  readonly accessTokenEncrypted: string | null;
  readonly tokenExpiresAt: Date | null;
  readonly status: AccountStatus;
  readonly statusReason: string | null;
  readonly pausedUntil: Date | null;
}

export interface AccountsRepo {
  list(): Promise<AccountRecord[]>;
  find(id: string): Promise<AccountRecord | null>;
  /** A row without a token, unless the account has one already (the environment's account). */
  addIfMissing(account: { id: string; username: string | null; loginType: LoginType }): Promise<void>;
  /**
   * Adds or replaces an account with a fresh token: active again, no pause, no status reason; if
   * it was waiting for a token, its actions put off meanwhile are due now.
   */
  upsert(account: {
    id: string;
    username: string | null;
    loginType: LoginType;
    accessTokenEncrypted: string;
    tokenExpiresAt: Date | null;
  }): Promise<void>;
  remove(id: string): Promise<boolean>;
  /** A refreshed or re-authorised token: active again (and its waiting actions due now, as upsert). */
  setToken(id: string, accessTokenEncrypted: string, tokenExpiresAt: Date | null): Promise<void>;
  setStatus(id: string, status: AccountStatus, reason: string | null): Promise<void>;
  pause(id: string, until: Date): Promise<void>;
  /**
   * Stops acting for the account: token dropped, status disconnected. `forget` also drops its
   * username (its owner asked for erasure) or its token's expiry (the app was removed).
   * False when no account has this id.
   */
  disconnect(id: string, reason: string, forget: 'username' | 'tokenExpiry'): Promise<boolean>;
}
