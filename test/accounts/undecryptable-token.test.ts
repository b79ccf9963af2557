/**
 * A stored token the key cannot open (MODBOT_ENCRYPTION_KEY changed): the account is flagged
 * reauth_needed and its lookups answer "no credentials" instead of throwing on every event;
 * /readyz's check warns about it; adding the token again with the current key clears it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAccountStore, undecryptableToken } from '../../src/accounts/store.js';
import { createAccountsRepo } from '../../src/db/repos/accounts.js';
import { checkReadiness } from '../../src/db/repos/readiness.js';
import { openTestDatabase, type TestDatabase } from '../support/db.js';

const oldKey = 'a'.repeat(64);
const newKey = 'b'.repeat(64);
let database: TestDatabase;
beforeAll(async () => {
  database = await openTestDatabase();
});
afterAll(() => database.close());

describe('a stored token the key cannot decrypt', () => {
  it('flags the account, warns in readiness, and a new token clears it', async () => {
    const repo = createAccountsRepo(database.db);
    const before = createAccountStore(repo, { encryptionKey: oldKey });
    await before.add({
      id: '1784100',
      username: 'shop',
      loginType: 'instagram',
      accessToken: 'EAAtoken',
      expiresAt: null,
    });
    expect((await before.lookup('1784100')).credentials?.accessToken).toBe('EAAtoken');

    const after = createAccountStore(repo, { encryptionKey: newKey });
    const looked = await after.lookup('1784100');
    expect(looked.credentials).toBeNull();
    expect(looked.summary).toMatchObject({ status: 'reauth_needed', statusReason: undecryptableToken });
    expect(await after.get('1784100')).toMatchObject({ status: 'reauth_needed' });
    const ready = await checkReadiness(database.db);
    expect(ready).toEqual({
      ok: true,
      warnings: [
        `account 1784100 needs re-authorisation (its actions wait): ${undecryptableToken}; add its token again: modbot accounts add`,
      ],
    });

    await after.add({
      id: '1784100',
      username: 'shop',
      loginType: 'instagram',
      accessToken: 'EAAnew',
      expiresAt: null,
    });
    const fixed = await after.lookup('1784100');
    expect(fixed.credentials?.accessToken).toBe('EAAnew');
    expect(fixed.summary?.status).toBe('active');
    expect(await checkReadiness(database.db)).toEqual({ ok: true });
  });
});
