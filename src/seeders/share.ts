// The share's side of seeding, for the seed Job: prepare each environment's directory for the
// storage uid/gid (as root, with only CHOWN and FOWNER), and tell a refused write apart from other
// failures, so the Gaim can say "permission denied, as uid 1000" instead of a stack trace.
import { constants } from 'node:fs';
import { access, chmod, chown, lstat, mkdir } from 'node:fs/promises';
import type { Environment } from '../api/v1alpha1/gaim.js';
import { lancePaths } from '../datamodel.js';
import { OperatorError, wrap } from '../errors.js';

const AS_PREPARER = 'root with only CHOWN and FOWNER';

/** rwxrwxr-x with setgid: the group can write, and what is made inside keeps the directory's group. */
export const SHARED_DIRECTORY_MODE = 0o2775;

export interface PrepareReport {
  /** Directories created, or handed over (owner, group or mode changed). */
  readonly prepared: string[];
  /** Directories that were already as wanted. */
  readonly unchanged: string[];
}

/**
 * Creates `<root>/<env>` for each environment and hands it to uid:gid, group-writable with the setgid
 * bit. Only the environment's own directory: what is inside (tables, files apps wrote) is never
 * touched. The mode is set before the owner: without CAP_FSETID, a chmod by root would drop the
 * setgid bit of a directory whose group root is not in.
 */
export async function prepareShare(root: string, environments: readonly Environment[], uid: number, gid: number): Promise<PrepareReport> {
  const prepared: string[] = [];
  const unchanged: string[] = [];
  for (const env of environments) {
    const dir = lancePaths(env, root).root;
    try {
      await mkdir(dir);
    } catch (error: unknown) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw shareError(error, dir, AS_PREPARER);
    }
    const stat = await lstat(dir);
    if (!stat.isDirectory()) throw new OperatorError('storage', `cannot prepare ${dir}: it exists and is not a directory`, { reason: 'SharePathNotDirectory' });
    const ownerOk = stat.uid === uid && stat.gid === gid;
    const modeOk = (stat.mode & 0o7777 & SHARED_DIRECTORY_MODE) === SHARED_DIRECTORY_MODE;
    if (ownerOk && modeOk) {
      unchanged.push(dir);
      continue;
    }
    try {
      if (!modeOk) await chmod(dir, (stat.mode & 0o777) | SHARED_DIRECTORY_MODE);
      if (!ownerOk) await chown(dir, uid, gid);
    } catch (error: unknown) {
      throw shareError(error, dir, AS_PREPARER);
    }
    prepared.push(dir);
  }
  return { prepared, unchanged };
}

/**
 * Makes sure each environment's directory exists and the current user may write it, before any
 * table is touched: a refusal is then a clear SharePermissionDenied, not a LanceDB error.
 */
export async function ensureWritable(root: string, environments: readonly Environment[]): Promise<void> {
  for (const env of environments) {
    const dir = lancePaths(env, root).root;
    try {
      await mkdir(dir, { recursive: true });
      await access(dir, constants.W_OK);
    } catch (error: unknown) {
      throw shareError(error, dir);
    }
  }
}

/** The current user as the share sees it, for messages: `uid 1000, gid 1000`. */
export function currentIdentity(): string {
  return process.getuid === undefined ? 'this user' : `uid ${process.getuid()}, gid ${process.getgid?.() ?? '?'}`;
}

/**
 * A failure of the share: EACCES/EPERM becomes a `storage` error with reason SharePermissionDenied
 * naming the path and who was refused; anything else keeps its message.
 */
export function shareError(error: unknown, path: string, who = currentIdentity()): OperatorError {
  if (error instanceof OperatorError) return error;
  const code = (error as NodeJS.ErrnoException | null)?.code;
  if (code === 'EACCES' || code === 'EPERM') {
    const at = (error as NodeJS.ErrnoException).path ?? path;
    return new OperatorError('storage', `cannot write ${at} as ${who}: permission denied (${code}); the share must be writable by the storage uid/gid — `
      + 'turn on the preparation step (GAIM_PREPARE_SHARES) or give the directory to them', { cause: error, reason: 'SharePermissionDenied' });
  }
  return wrap(error, `cannot prepare ${path}`, { type: 'storage' });
}
