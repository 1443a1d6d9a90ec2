import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../stack/stack.js';
import { integrationOrder, timedFiles } from './sequencer.js';

describe('the integration files\' order', () => {
  const files = timedFiles();
  const BAD_INPUT = 'test/faults/bad-input.test.ts';
  const QUEUES = 'test/queues/queues.test.ts';

  it('times only files that exist (a renamed file would start as an unknown one)', () => {
    expect(files.filter((file) => !existsSync(join(repoRoot, file)))).toEqual([]);
  });

  it('starts the first crowd first and the second one wave later, the rest slowest first', () => {
    const order = integrationOrder(files, 3);
    expect(order.slice(0, 5)).toEqual([BAD_INPUT, 'test/backups/backups.test.ts', 'test/helm/helm.test.ts', QUEUES, 'test/isolation/isolation.test.ts']);
    expect([...order].sort()).toEqual([...files].sort());
    expect(integrationOrder(files, 1).slice(0, 2)).toEqual([BAD_INPUT, QUEUES]);
  });

  it('starts a file it has no timing for among the slow ones', () => {
    const order = integrationOrder(['test/smoke/stores.test.ts', 'test/new/unknown.test.ts', 'test/helm/helm.test.ts'], 2);
    expect(order).toEqual(['test/new/unknown.test.ts', 'test/helm/helm.test.ts', 'test/smoke/stores.test.ts']);
  });

  it('runs only the crowds it is given: one file alone stays one file', () => {
    expect(integrationOrder([QUEUES], 3)).toEqual([QUEUES]);
    expect(integrationOrder([QUEUES, 'test/smoke/stores.test.ts'], 3)).toEqual([QUEUES, 'test/smoke/stores.test.ts']);
  });
});
