import { pgTable, text, timestamp } from 'drizzle-orm/pg-core';
// The statuses and login types belong to the account store (src/accounts/); stored here as text.
import type { AccountStatus, LoginType } from '../../accounts/ports.js';

/**
 * Instagram professional accounts modbot acts for. The access token is encrypted at rest
 * (AES-256-GCM, key from MODBOT_ENCRYPTION_KEY) and never logged.
 */
export const accounts = pgTable('accounts', {
  /** The IG professional account id (webhook entry.id). */
  id: text('id').primaryKey(),
  username: text('username'),
  /** facebook → graph.facebook.com (Page/User token); instagram → graph.instagram.com. */
  loginType: text('login_type').$type<LoginType>().notNull(),
  /** base64(iv ‖ ciphertext ‖ tag); null when the token was dropped (deauthorised). */
  accessTokenEncrypted: text('access_token_encrypted'),
  tokenExpiresAt: timestamp('token_expires_at', { withTimezone: true }),
  tokenRefreshedAt: timestamp('token_refreshed_at', { withTimezone: true }),
  status: text('status').$type<AccountStatus>().notNull().default('active'),
  statusReason: text('status_reason'),
  /** Writes wait until this time (throttling reported by the Graph API). */
  pausedUntil: timestamp('paused_until', { withTimezone: true }),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});
