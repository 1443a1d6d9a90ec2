// The stack kubelet's fsGroup: which volumes get it (ReadWriteOnceWithFSType), and what it does to
// their files (SetVolumeOwnership), on real files.
import { chown, mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { applyFsGroup, fsGroupApplies, ownedMode } from './volume-ownership.js';

describe('fsGroup on the stack kubelet', () => {
  const dirs: string[] = [];
  afterAll(async () => { await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))); });

  it.each<[string, { fsType?: string; accessModes?: string[] }, boolean]>([
    ['a Persistent Disk (ext4, RWO)', { fsType: 'ext4', accessModes: ['ReadWriteOnce'] }, true],
    ['a Filestore volume (NFS: no fsType)', { accessModes: ['ReadWriteMany', 'ReadWriteOnce'] }, false],
    ['a ReadWriteMany volume with a fsType', { fsType: 'ext4', accessModes: ['ReadWriteMany'] }, false],
  ])('%s: %s', (_name, volume, applies) => {
    expect(fsGroupApplies(volume)).toBe(applies);
  });

  it('gives files group rw, directories group rwx and setgid, and nothing else', () => {
    expect(ownedMode(0o644, false).toString(8)).toBe('664');
    expect(ownedMode(0o755, true).toString(8)).toBe('2775');
    expect(ownedMode(0o700, true).toString(8)).toBe('2770');
  });

  it('hands a root-owned volume to the group, and skips a matching root OnRootMismatch', async () => {
    const root = await mkdtemp(join(tmpdir(), 'fsgroup-'));
    dirs.push(root);
    await mkdir(join(root, 'sub'));
    await writeFile(join(root, 'sub', 'file'), 'x', { mode: 0o600 });
    await applyFsGroup(root, 999);
    for (const [path, mode] of [[root, '2770'], [join(root, 'sub'), '2775'], [join(root, 'sub', 'file'), '660']] as const) {
      const info = await stat(path);
      expect(info.gid, path).toBe(999);
      expect((info.mode & 0o7777).toString(8), path).toBe(mode);
    }
    // OnRootMismatch: the root already matches, so a new file inside is left as it is.
    await writeFile(join(root, 'later'), 'y', { mode: 0o600 });
    await chown(join(root, 'later'), 0, 0); // (the setgid directory gave it the group: take it back)
    await applyFsGroup(root, 999, 'OnRootMismatch');
    expect((await stat(join(root, 'later'))).gid).toBe(0);
  });
});
