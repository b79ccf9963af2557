import { describe, expect, it } from 'vitest';
import { ConfigError, missingForLive, parseEnv, secretsOf } from '../src/env.js';
import { createLogger } from '../src/log.js';

describe('configuration', () => {
  it('starts in dry run on the embedded database with nothing set', () => {
    const env = parseEnv({});
    expect(env).toMatchObject({
      DRY_RUN: true,
      PORT: 8787,
      HOST: '127.0.0.1',
      MODBOT_DATA_DIR: '.modbot',
      WEBHOOK_MAX_BODY_BYTES: 5 * 1024 * 1024,
    });
    expect(env.DATABASE_URL).toBeUndefined();
    expect(missingForLive(env)).toEqual([
      'META_APP_SECRET (or INSTAGRAM_APP_SECRET)',
      'META_VERIFY_TOKEN',
      'PUBLIC_URL',
      'DATABASE_URL (optional: the embedded database suits a single small instance)',
    ]);
  });

  it('names every bad variable and how to fix it', () => {
    let error: unknown;
    try {
      parseEnv({ PORT: 'eighty', DATABASE_URL: 'mysql://x', DRY_RUN: 'maybe', LOG_LEVEL: 'loud' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    expect(problems).toEqual([
      'PORT: expected a whole number from 0 to 65535, got "eighty" (e.g. PORT=8787 (0: any free port))',
      expect.stringMatching(
        /^DATABASE_URL: expected a URL starting with postgres:\/\/ .*unset it to use the embedded database/,
      ),
      expect.stringMatching(/^DRY_RUN: expected true or false/),
      expect.stringMatching(/^LOG_LEVEL: expected debug, info, warn, error or silent/),
    ]);
  });

  it('refuses live mode without the secrets that prove deliveries come from Meta', () => {
    expect(() => parseEnv({ DRY_RUN: 'false' })).toThrowError(
      /META_APP_SECRET: required when DRY_RUN=false \(copy it from the Meta app dashboard/,
    );
    expect(() => parseEnv({ DRY_RUN: 'false', INSTAGRAM_APP_SECRET: 'x'.repeat(32) })).toThrowError(
      /META_VERIFY_TOKEN: required/,
    );
    expect(
      parseEnv({ DRY_RUN: 'false', META_APP_SECRET: 's'.repeat(32), META_VERIFY_TOKEN: 'v' }).DRY_RUN,
    ).toBe(false);
  });
});

describe('logger', () => {
  it('never prints a secret, wherever it appears', () => {
    const env = parseEnv({
      META_APP_SECRET: 'app-secret-123',
      DATABASE_URL: 'postgres://u:db-pass-456@h/db',
      META_VERIFY_TOKEN: 'verify-789',
    });
    const lines: string[] = [];
    const log = createLogger({ secrets: secretsOf(env), write: (l) => lines.push(l) });
    log.info('connecting to postgres://u:db-pass-456@h/db with app-secret-123', {
      nested: { note: 'token verify-789 here' },
      accessToken: 'EAAB-whatever',
      error: new Error('bad secret app-secret-123'),
    });
    log.child({ requestId: 'r1' }).warn('x', { headers: { authorization: 'Bearer abc' } });
    const out = lines.join('\n');
    for (const secret of ['app-secret-123', 'db-pass-456', 'verify-789', 'EAAB-whatever', 'Bearer abc'])
      expect(out).not.toContain(secret);
    expect(JSON.parse(lines[0] as string)).toMatchObject({
      level: 'info',
      nested: { note: 'token [redacted] here' },
      accessToken: '[redacted]',
    });
    expect(JSON.parse(lines[1] as string)).toMatchObject({
      requestId: 'r1',
      headers: { authorization: '[redacted]' },
    });
  });

  it('respects the level', () => {
    const lines: string[] = [];
    const log = createLogger({ level: 'warn', write: (l) => lines.push(l) });
    log.info('hidden');
    log.error('shown');
    expect(lines.map((l) => JSON.parse(l).msg)).toEqual(['shown']);
  });
});
