import { defineConfig } from 'vitest/config';

// Three projects so CI and developers can run a slice alone:
//   unit    – plain Node, no external processes beyond our own test doubles
//   e2e     – the real UI in Debian Chromium via playwright-core against `npm run web`'s server
//   synapse – a real Synapse homeserver on 127.0.0.1 started by the harness
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: ['test/e2e/**', 'test/synapse/**', 'test/crash/**', 'node_modules/**'],
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
