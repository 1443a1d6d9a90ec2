// The Argo CD health check, run by a Lua 5.1 interpreter (Argo CD's dialect) over sample Gaims.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../stack/stack.js';

describe('Argo CD health check', () => {
  it('maps every status to Healthy, Progressing, Degraded or Suspended', async () => {
    const { stdout } = await promisify(execFile)(join(repoRoot, 'bin', 'lua5.1'), ['deploy/argocd/health_test.lua'], { cwd: repoRoot });
    // Every case of health_test.lua ran and passed (one line each), the Degraded-after-a-streak ones among them.
    const cases = stdout.split('\n').filter((line) => line.startsWith('ok   ')).length;
    expect(cases).toBeGreaterThanOrEqual(12);
    expect(stdout).toContain(`${String(cases)} passed, 0 failed`);
    expect(stdout).toContain('ok   the same transient error too many times in a row is Degraded');
    expect(stdout).not.toContain('FAIL');
  });
});
