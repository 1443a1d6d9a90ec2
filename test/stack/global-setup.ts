import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdir, mkdtemp, readdir, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startControlServer } from './control.js';
import { installOperatorAccount, type OperatorAccount } from './operator-account.js';
import { repoRoot, Stack, type StackEnv } from './stack.js';

declare module 'vitest' {
  export interface ProvidedContext {
    stackEnv: StackEnv;
    /** Base URL of the stack's control API (test/stack/control.ts). */
    stackControl: string;
    /** How the operator runs in the tests: as the chart's ServiceAccount, as in a cluster. */
    operatorAccount: OperatorAccount;
  }
}

/**
 * Starts one local stack for the integration tests and stops it afterwards. A component that does
 * not start fails the whole run with a message naming it; nothing is skipped. Set
 * STACK_KEEP_LOGS=1 to keep the run directory (logs, certificates) after the run.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const parent = join(repoRoot, '.run');
  await mkdir(parent, { recursive: true });
  await removeAbandonedRuns(parent);
  const runDir = await mkdtemp(join(parent, 'test-'));
  await writeFile(join(runDir, 'owner.pid'), String(process.pid));
  const started = Date.now();
  // The seed Jobs' containers run the compiled operator, as the image does (and at a fraction of
  // tsx's start-up cost: the fault suite runs fifty at once on two cores).
  await promisify(execFile)(join(repoRoot, 'bin', 'node'), [join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(repoRoot, 'tsconfig.build.json')], { cwd: repoRoot });
  const stack = await Stack.start({ runDir, seedEntry: 'compiled', log: (m) => { if (process.env['STACK_VERBOSE']) console.log(`[stack] ${m}`); } });
  console.log(`[stack] ready in ${((Date.now() - started) / 1000).toFixed(1)}s (${runDir})`);
  // Install the Gaim CRD now: the garbage collector discovers new resource types only every 30 s,
  // and deletion tests depend on it collecting objects owned by Gaims.
  await promisify(execFile)(join(repoRoot, 'bin', 'kubectl'), ['apply', '--server-side', '-f', join(repoRoot, 'crds')],
    { env: { ...process.env, KUBECONFIG: stack.env.KUBECONFIG } });
  const account = await installOperatorAccount(stack.env, runDir);
  const control = await startControlServer(stack);
  project.provide('stackEnv', stack.env);
  project.provide('stackControl', control.url);
  project.provide('operatorAccount', account);
  return async () => {
    await control.close();
    await stack.stop({ keepData: process.env['STACK_KEEP_LOGS'] === '1' });
    if (process.env['STACK_KEEP_LOGS'] !== '1') await rm(runDir, { recursive: true, force: true });
  };
}

/** Run directories of test runs whose process is gone (killed before teardown). */
async function removeAbandonedRuns(parent: string): Promise<void> {
  for (const entry of await readdir(parent)) {
    if (!entry.startsWith('test-')) continue;
    const owner = Number(await readFile(join(parent, entry, 'owner.pid'), 'utf8').catch(() => '0'));
    if (owner > 0 && isAlive(owner)) continue;
    // Its node's filesystem (volumes) lives in the temporary directory, named by a link.
    const nodeRoot = await readlink(join(parent, entry, 'node')).catch(() => undefined);
    if (nodeRoot !== undefined) await rm(nodeRoot, { recursive: true, force: true });
    await rm(join(parent, entry), { recursive: true, force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
