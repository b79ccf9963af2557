import { cloudflareTest } from '@cloudflare/vitest-pool-workers';
import { defineConfig } from 'vitest/config';

// The webhook contract shared with Node (test/contract/webhook-endpoint.ts) and the Worker-only
// tests, inside workerd (the Workers runtime), against a real Postgres.
// test/worker/global-setup.ts creates and migrates a database of its own for the run, provides its URL
// (the HYPERDRIVE binding below) and drops it afterwards.
export default defineConfig({
  plugins: [
    cloudflareTest(({ inject }) => ({
      wrangler: { configPath: './wrangler.toml' },
      miniflare: {
        // Through the Hyperdrive binding, as in production (trust auth ignores the password).
        hyperdrives: { HYPERDRIVE: inject('workerDatabaseUrl') },
        bindings: {
          META_APP_SECRET: 'test_app_secret',
          INSTAGRAM_APP_SECRET: 'ig_secret',
          META_VERIFY_TOKEN: 'verify-me-please',
          LOG_LEVEL: 'silent',
          WEBHOOK_MAX_BODY_BYTES: '1048576',
        },
      },
    })),
  ],
  test: {
    include: ['test/worker/**/*.test.ts'],
    // obscenity ships CommonJS behind an ESM wrapper that workerd's module loader cannot link;
    // pre-bundling it (as wrangler's esbuild does for deploys) fixes that.
    deps: { optimizer: { ssr: { enabled: true, include: ['obscenity'] } } },
    globalSetup: ['test/worker/global-setup.ts'],
    testTimeout: 30_000,
  },
});
