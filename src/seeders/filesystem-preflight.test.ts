import { link, mkdir, mkdtemp, open, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OperatorError } from '../errors.js';
import { nodeFsOps, preflightDirectory, preflightShare, type FsOps } from './filesystem-preflight.js';

const errno = (code: string) => Object.assign(new Error(`${code}: refused`), { code });

describe('filesystem preflight', () => {
  let dir: string;
  beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'preflight-')); });
  afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

  it('passes on a local filesystem and leaves nothing behind', async () => {
    await preflightDirectory(dir);
    expect(await readdir(dir)).toEqual([]);
  });

  it('checks each environment directory of the share', async () => {
    await mkdir(join(dir, 'stage'));
    await mkdir(join(dir, 'prod'));
    const seen: string[] = [];
    const ops: FsOps = { ...nodeFsOps, mkdtemp: (prefix) => { seen.push(prefix); return nodeFsOps.mkdtemp(prefix); } };
    await preflightShare(dir, ['stage', 'prod'], ops);
    expect(seen).toEqual([join(dir, 'stage', '.gaim-preflight-'), join(dir, 'prod', '.gaim-preflight-')]);
  });

  it('fails with FilesystemUnsupported, naming the operation, path and errno, when hard links are refused', async () => {
    const failure = await preflightDirectory(dir, { ...nodeFsOps, link: () => Promise.reject(errno('EPERM')) }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(OperatorError);
    expect(failure).toMatchObject({ errorType: 'storage', reason: 'FilesystemUnsupported' });
    expect((failure as OperatorError).message).toBe(`cannot seed lancedb: the share at ${dir} does not support hard links (link: EPERM), `
      + 'which LanceDB\'s commits rely on; tables were not created');
    expect(await readdir(dir)).toEqual([]);
  });

  it.each<[string, Partial<FsOps>, string]>([
    ['a rename that leaves the existing file as it was', { rename: () => Promise.resolve() },
      'atomic rename over an existing file (rename: the existing file kept its content)'],
    ['a rename refused over an existing file', { rename: () => Promise.reject(errno('EEXIST')) },
      'atomic rename over an existing file (rename: EEXIST)'],
    ['a link that succeeds onto a taken name', { link: (from, to) => link(from, to).catch(() => undefined) },
      'hard links that refuse a taken name (link: succeeded on an existing file, expected EEXIST)'],
    ['an exclusive create that opens an existing file', { open: (path) => open(path, 'w') },
      'exclusive create (open wx: succeeded on an existing file, expected EEXIST)'],
  ])('fails on %s', async (_name, override, unsupported) => {
    const failure = await preflightDirectory(dir, { ...nodeFsOps, ...override }).catch((e: unknown) => e);
    expect(failure).toMatchObject({ errorType: 'storage', reason: 'FilesystemUnsupported' });
    expect((failure as Error).message).toContain(`the share at ${dir} does not support ${unsupported}`);
    expect(await readdir(dir)).toEqual([]);
  });

  it('reports a directory it cannot write as a share permission problem, not an unsupported filesystem', async () => {
    const failure = await preflightDirectory(dir, { ...nodeFsOps, mkdtemp: () => Promise.reject(errno('EACCES')) }).catch((e: unknown) => e);
    expect(failure).toMatchObject({ errorType: 'storage', reason: 'SharePermissionDenied' });
  });
});
