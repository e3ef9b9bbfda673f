import { defineConfig } from 'vitest/config';

// unit: pure, no servers. integration: real PostgreSQL, Redis and SMTP (and PGlite).
// e2e: a browser against the running app. Each project is run by its own npm script.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['tests/unit/**/*.test.ts'],
          setupFiles: ['tests/setup/luxon.ts'],
        },
      },
      {
        test: {
          name: 'integration',
          include: ['tests/integration/**/*.test.ts'],
          setupFiles: ['tests/setup/luxon.ts'],
          globalSetup: ['tests/setup/postgres-template.ts'],
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['tests/e2e/**/*.test.ts'],
          setupFiles: ['tests/setup/luxon.ts'],
          globalSetup: ['tests/setup/postgres-template.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
