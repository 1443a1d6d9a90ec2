import { defineConfig } from 'vitest/config';
import SlowestFirst from './test/support/sequencer.js';
import { testStackCount } from './test/support/test-stacks.js';

// Two projects, one runner: unit tests sit beside the code they prove and need nothing running;
// integration tests in test/ run against real local stacks (stack/), which the global setup starts once.
export default defineConfig({
  test: {
    reporters: ['default', './test/support/slowest-reporter.ts'],
    sequence: { sequencer: SlowestFirst },
    projects: [
      {
        test: {
          name: 'unit',
          // Also the stack's own parts, tested beside them (stack/*.test.ts), but its launcher's test.
          include: ['src/**/*.test.ts', 'hack/**/*.test.ts', 'stack/**/*.test.ts', 'test/support/*.test.ts'],
          exclude: ['stack/stack.test.ts'],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'integration',
          // And the launcher's test: it starts the stack's real binaries (one of them broken).
          include: ['test/**/*.test.ts', 'stack/stack.test.ts'],
          exclude: ['test/support/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/support/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 300_000,
          // One file per stack at a time: as many files side by side as the global setup starts stacks.
          maxWorkers: testStackCount(),
        },
      },
    ],
  },
});
