import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdir, mkdtemp, readdir, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startControlServer } from './stack-control.js';
import { installOperatorAccount, type OperatorAccount } from './operator-account.js';
import { repoRoot, Stack, type StackEnv } from '../../stack/stack.js';
import { testStackCount } from './test-stacks.js';

/** One local stack as the tests reach it. */
export interface TestStack {
  env: StackEnv;
  /** Base URL of the stack's control API (stack-control.ts). */
  control: string;
  /** How the operator runs in the tests: as the chart's ServiceAccount, as in a cluster. */
  operatorAccount: OperatorAccount;
}

declare module 'vitest' {
  export interface ProvidedContext {
    /** One stack per worker: the worker with VITEST_POOL_ID n uses stacks[n - 1] (test/support/stack.ts). */
    stacks: TestStack[];
  }
}

/**
 * Starts the local stacks for the integration tests (testStackCount()) and stops them afterwards. A
 * component that does not start fails the whole run with a message naming it; nothing is skipped.
 * Set STACK_KEEP_LOGS=1 to keep the run directories (logs, certificates) after the run.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const count = testStackCount();
  const parent = join(repoRoot, '.run');
  await mkdir(parent, { recursive: true });
  await removeAbandonedRuns(parent);
  // The seed Jobs' containers run the compiled operator, as the image does (and at a fraction of
  // tsx's start-up cost: the fault suite runs fifty at once on two cores).
  await promisify(execFile)(join(repoRoot, 'bin', 'node'), [join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(repoRoot, 'tsconfig.build.json')], { cwd: repoRoot });
  const started: { stack: Stack; runDir: string; close: () => Promise<void> }[] = [];
  const stop = async (): Promise<void> => {
    for (const { stack, runDir, close } of started) {
      await close();
      await stack.stop({ keepData: process.env['STACK_KEEP_LOGS'] === '1' });
      if (process.env['STACK_KEEP_LOGS'] !== '1') await rm(runDir, { recursive: true, force: true });
    }
  };
  const provided: TestStack[] = [];
  try {
    // One after the other: a control plane's start-up takes both cores for a few seconds.
    for (let i = 0; i < count; i++) {
      const begun = Date.now();
      const runDir = await mkdtemp(join(parent, 'test-'));
      await writeFile(join(runDir, 'owner.pid'), String(process.pid));
      const stack = await Stack.start({ runDir, seedEntry: 'compiled', log: (m) => { if (process.env['STACK_VERBOSE']) console.log(`[stack ${String(i + 1)}] ${m}`); } });
      const control = await startControlServer(stack);
      started.push({ stack, runDir, close: control.close });
      // Install the Gaim CRD now: the garbage collector discovers new resource types only every 30 s,
      // and deletion tests depend on it collecting objects owned by Gaims.
      await promisify(execFile)(join(repoRoot, 'bin', 'kubectl'), ['apply', '--server-side', '-f', join(repoRoot, 'crds')],
        { env: { ...process.env, KUBECONFIG: stack.env.KUBECONFIG } });
      const operatorAccount = await installOperatorAccount(stack.env, runDir);
      provided.push({ env: stack.env, control: control.url, operatorAccount });
      console.log(`[stack ${String(i + 1)}/${String(count)}] ready in ${((Date.now() - begun) / 1000).toFixed(1)}s (${runDir})`);
    }
  } catch (error: unknown) {
    await stop();
    throw error;
  }
  project.provide('stacks', provided);
  return stop;
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
