// A newcomer's first hour, as the README has it: the operator's commands on a Node too old for them
// say so in one line instead of failing deep inside a library; the helm the Makefile builds renders
// the chart as helm's own release does (for the Kubernetes version it was built against).
import { execFile, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../stack/stack.js';

const run = promisify(execFile);
const outcome = async (file: string, args: string[]) =>
  run(file, args, { cwd: repoRoot, env: { PATH: '/usr/bin:/bin' } }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: unknown) => {
      const failed = error as { code?: number; stdout?: string; stderr?: string };
      return { code: failed.code ?? -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
    },
  );

/** The machine's own Node (not the pinned one in ./bin), and its version: v20 on the project's machines. */
const systemNode = ['/usr/bin/node', '/usr/local/bin/node'].find((path) => existsSync(path));
const systemVersion = systemNode === undefined ? '' : execFileSync(systemNode, ['--version'], { encoding: 'utf8' }).trim();
const oldNode = systemNode !== undefined && Number(systemVersion.replace(/^v/, '').split('.')[0]) < 24;

describe('a newcomer\'s first hour', () => {
  // Skipped where the machine has no Node older than 24 to try it with.
  it.skipIf(!oldNode)('on a Node older than 24, every command says which Node it needs and how to get it, exit code 1', async () => {
    for (const args of [['--import', 'tsx', 'src/main.ts', 'run'], ['--import', 'tsx', 'src/main.ts', '--help'], ['--import', 'tsx', 'src/main.ts', 'seed-storage']]) {
      const result = await outcome(systemNode ?? '', args);
      expect(result.code, args.join(' ')).toBe(1);
      expect(result.stderr.trim().split('\n')).toEqual([
        `gaim-operator: needs Node 24 or newer, this is ${systemVersion}; run it through make (make run, make dev), or after \`make tools\` put the pinned Node first on PATH: export PATH="$PWD/bin:$PATH"`,
      ]);
    }
  });

  it('renders the chart with a plain `helm template`: the built helm knows the Kubernetes version its release would', async () => {
    const helm = join(repoRoot, 'bin', 'helm');
    const version = await outcome(helm, ['version', '--template', '{{ .Version }}']);
    expect(version.stdout).toMatch(/^v3\.\d+\.\d+$/);
    const rendered = await outcome(helm, ['template', 'gaim', join(repoRoot, 'helm', 'gaim-operator')]);
    expect(rendered.stderr).toBe('');
    expect(rendered.code).toBe(0);
    expect(rendered.stdout).toContain('kind: Deployment');
  });
});
