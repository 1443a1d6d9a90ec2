// The Argo CD health check, run by a Lua 5.1 interpreter (Argo CD's dialect) over sample Gaims.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../stack/stack.js';

describe('Argo CD health check', () => {
  it('maps every status to Healthy, Progressing, Degraded or Suspended', async () => {
    const { stdout } = await promisify(execFile)(join(repoRoot, 'bin', 'lua5.1'), ['deploy/argocd/health_test.lua'], { cwd: repoRoot });
    expect(stdout).toContain('10 passed, 0 failed');
    expect(stdout).not.toContain('FAIL');
  });
});
