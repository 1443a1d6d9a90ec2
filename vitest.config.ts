import { defineConfig } from 'vitest/config';
import { testStackCount } from './test/stack/test-stacks.js';

// Two projects, one runner: unit tests sit beside the code they prove and need nothing running;
// integration tests in test/ run against real local stacks, which the global setup starts once.
export default defineConfig({
  test: {
    reporters: ['default', './test/stack/slowest-reporter.ts'],
    projects: [
      {
        test: {
          name: 'unit',
          // Also the local stack's pure parts (test/stack/*.test.ts that need no stack).
          include: ['src/**/*.test.ts', 'hack/**/*.test.ts', 'test/stack/kubelet.test.ts', 'test/stack/storage-classes.test.ts', 'test/stack/volume-ownership.test.ts', 'test/stack/store-runtime.test.ts', 'test/support/eventually.test.ts'],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts'],
          exclude: ['test/stack/kubelet.test.ts', 'test/stack/storage-classes.test.ts', 'test/stack/volume-ownership.test.ts', 'test/stack/store-runtime.test.ts', 'test/support/eventually.test.ts'],
          environment: 'node',
          globalSetup: ['test/stack/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 300_000,
          // One file per stack at a time: as many files side by side as the global setup starts stacks.
          maxWorkers: testStackCount(),
        },
      },
    ],
  },
});
