import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../stack/stack.js';
import { timedFiles } from './sequencer.js';

describe('the integration files\' order', () => {
  it('times only files that exist (a renamed file would start as an unknown one)', () => {
    expect(timedFiles().filter((file) => !existsSync(join(repoRoot, file)))).toEqual([]);
  });

  it('starts the two crowds first', () => {
    expect(timedFiles().slice(0, 2)).toEqual(['test/queues/queues.test.ts', 'test/faults/bad-input.test.ts']);
  });
});
