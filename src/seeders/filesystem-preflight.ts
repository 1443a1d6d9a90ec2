// Whether the share can hold LanceDB tables, proven before the seed creates any. LanceDB commits a
// version by hard-linking a temporary manifest to the version's name (the link fails with EEXIST
// when another writer took that version first), replaces files by renaming over them, and creates
// others exclusively. A share that refuses or fakes one of these does not fail at once: two writers
// commit the same version, or a table is left torn, long after the seed said it was fine.
import { link, mkdtemp, open, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Environment } from '../api/v1alpha1/gaim.js';
import { lancePaths } from '../datamodel.js';
import { OperatorError } from '../errors.js';
import { Message } from '../messages.js';
import { Reason } from '../status/reasons.js';
import { shareError } from './share.js';

/** The filesystem calls the preflight makes: node:fs/promises, or a stand-in that misbehaves. */
export interface FsOps {
  mkdtemp(prefix: string): Promise<string>;
  writeFile(path: string, data: string): Promise<void>;
  readFile(path: string, encoding: 'utf8'): Promise<string>;
  link(existingPath: string, newPath: string): Promise<void>;
  rename(oldPath: string, newPath: string): Promise<void>;
  open(path: string, flags: 'wx'): Promise<{ close(): Promise<void> }>;
  rm(path: string, options: { recursive: true; force: true }): Promise<void>;
}

export const nodeFsOps: FsOps = { mkdtemp, writeFile, readFile, link, rename, open, rm };

/** Runs the preflight in each environment's directory (all of them before any table is made). */
export async function preflightShare(root: string, environments: readonly Environment[], ops: FsOps = nodeFsOps): Promise<void> {
  for (const env of environments) await preflightDirectory(lancePaths(env, root).root, ops);
}

/**
 * Proves, in a scratch directory inside `dir` (removed afterwards), that hard links work and refuse
 * a taken name, that a rename replaces an existing file, and that an exclusive create refuses one.
 * A failure is a `storage` error with reason FilesystemUnsupported naming the operation and errno.
 */
export async function preflightDirectory(dir: string, ops: FsOps = nodeFsOps): Promise<void> {
  const scratch = await ops.mkdtemp(join(dir, '.gaim-preflight-')).catch((error: unknown) => { throw shareError(error, dir); });
  const file = (name: string) => join(scratch, name);
  try {
    await ops.writeFile(file('manifest'), 'first').catch((error: unknown) => { throw shareError(error, dir); });
    await verify(dir, 'hard links', 'link', async () => {
      await ops.link(file('manifest'), file('linked'));
      return (await ops.readFile(file('linked'), 'utf8')) === 'first' ? undefined : 'the link does not read as its file';
    });
    await verify(dir, 'hard links that refuse a taken name', 'link', () => refused(ops.link(file('manifest'), file('linked'))));
    await verify(dir, 'atomic rename over an existing file', 'rename', async () => {
      await ops.writeFile(file('replacement'), 'second');
      await ops.rename(file('replacement'), file('manifest'));
      return (await ops.readFile(file('manifest'), 'utf8')) === 'second' ? undefined : 'the existing file kept its content';
    });
    await verify(dir, 'exclusive create', 'open wx', () => refused(ops.open(file('manifest'), 'wx').then((handle) => handle.close())));
  } finally {
    // Never lets a failed cleanup hide the verdict; a leftover has a name no later run reuses.
    await ops.rm(scratch, { recursive: true, force: true }).catch(() => undefined);
  }
}

/** Runs one check; a rejected call or a described problem fails the preflight. */
async function verify(dir: string, feature: string, op: string, run: () => Promise<string | undefined>): Promise<void> {
  let problem: string | undefined;
  let cause: unknown;
  try {
    problem = await run();
  } catch (error: unknown) {
    cause = error;
    problem = (error as NodeJS.ErrnoException | null)?.code ?? String(error);
  }
  if (problem === undefined) return;
  throw new OperatorError('storage', Message.filesystemUnsupported(dir, feature, `${op}: ${problem}`), { cause, reason: Reason.FilesystemUnsupported });
}

/** Undefined when `call` fails with EEXIST, as it must on an existing name; any other error is rethrown. */
async function refused(call: Promise<unknown>): Promise<string | undefined> {
  try {
    await call;
    return 'succeeded on an existing file, expected EEXIST';
  } catch (error: unknown) {
    if ((error as NodeJS.ErrnoException | null)?.code === 'EEXIST') return undefined;
    throw error;
  }
}
