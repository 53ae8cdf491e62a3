import { defineConfig } from 'vitest/config';

// Four projects so CI and developers can run a slice alone:
//   unit    – plain Node, no external processes beyond our own test doubles
//   e2e     – the real UI in Debian Chromium via playwright-core against `npm run web`'s server
//   synapse – a real Synapse homeserver on 127.0.0.1 started by the harness
//   hma     – a real HMA 1.1.7 (three deployments) and PostgreSQL on 127.0.0.1, started once per run by its global
//             setup from ../shared/vendor/hma-1.1.7; where that is absent the tests print why and skip
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: ['test/e2e/**', 'test/synapse/**', 'test/crash/**', 'test/hma-real/**', 'node_modules/**'],
          environment: 'node',
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          environment: 'node',
          testTimeout: 180_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'hma',
          include: ['test/hma-real/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/hma-real/global-setup.ts'],
          testTimeout: 180_000,
          hookTimeout: 300_000,
          // The HMA processes are shared by every file: one file at a time, so a file's timing is its own.
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'synapse',
          include: ['test/synapse/**/*.test.ts'],
          environment: 'node',
          testTimeout: 300_000,
          hookTimeout: 600_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
