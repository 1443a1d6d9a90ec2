import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './stack.js';

describe('ManagedProcess.stop', () => {
  // A launcher with nothing else to do (a test run's global setup that failed, stopping what it had
  // started) must still wait for its components to exit: before, Node exited mid-stop with code 0.
  it('keeps the launcher alive until the component has exited, when nothing else does', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'managed-process-'));
    try {
      const script = join(dir, 'launcher.mts');
      await writeFile(script, [
        `import { ManagedProcess } from ${JSON.stringify(join(repoRoot, 'stack', 'process.ts'))};`,
        `const p = ManagedProcess.start({ name: 'sleeper', command: 'sleep', args: ['30'], logFile: ${JSON.stringify(join(dir, 'sleeper.log'))} });`,
        'await new Promise((resolve) => setTimeout(resolve, 200));',
        'await p.stop();',
        'console.log(`stopped: exited ${p.exit === undefined ? "not yet" : "yes"}`);',
      ].join('\n'));
      const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', script], { cwd: repoRoot });
      expect(stdout.trim()).toBe('stopped: exited yes');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 30_000);
});
