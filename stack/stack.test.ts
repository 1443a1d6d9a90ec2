// The launcher itself: a component that cannot start fails start-up with a message naming it and
// the tail of its log, and nothing it started is left running.
import { chmod, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { StackError } from './errors.js';
import { repoRoot, Stack } from './stack.js';

describe('stack launcher', () => {
  const dirs: string[] = [];
  afterAll(async () => { await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))); });

  it('names the component that failed, shows its log, and stops everything else', async () => {
    const binDir = await mkdtemp(join(repoRoot, '.run', 'broken-bin-'));
    const runDir = await mkdtemp(join(repoRoot, '.run', 'broken-stack-'));
    dirs.push(binDir, runDir);
    for (const tool of await readdir(join(repoRoot, 'bin'))) {
      if (tool !== 'etcd') await symlink(join(repoRoot, 'bin', tool), join(binDir, tool));
    }
    await writeFile(join(binDir, 'etcd'), '#!/bin/sh\necho "etcd: cannot open data dir: disk on fire" >&2\nexit 3\n');
    await chmod(join(binDir, 'etcd'), 0o755);

    const started: string[] = [];
    const failure = await Stack.start({ runDir, binDir, timeoutMs: 30_000, log: (m) => started.push(m) })
      .then(() => undefined, (error: unknown) => error);

    expect(failure).toBeInstanceOf(StackError);
    const error = failure as StackError;
    expect(error.component).toBe('etcd');
    expect(error.message).toMatch(/^stack: etcd exited during start-up \(code 3\)/);
    expect(error.message).toContain('disk on fire');
    // The stores started in parallel (the Firestore emulator among them) were stopped again.
    expect(started).toEqual(expect.arrayContaining(['starting redis-server', 'starting ferretdb', 'starting firestore-emulator']));
    expect(await alivePidsUnder(runDir)).toEqual([]);
  });
});

/** Pids of processes whose command line mentions the run directory. */
async function alivePidsUnder(runDir: string): Promise<number[]> {
  const alive: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(join('/proc', entry, 'cmdline'), 'utf8').catch(() => '');
    if (cmdline.includes(runDir)) alive.push(Number(entry));
  }
  return alive;
}
