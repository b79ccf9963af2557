import { defineConfig } from 'vitest/config';

// Node tests. They run on embedded PGlite, or on a real Postgres when DATABASE_URL is set
// (each test file then gets its own database cloned from a migrated template).
// Workers tests run separately: vitest.worker.config.ts.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/worker/**', 'node_modules/**'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
