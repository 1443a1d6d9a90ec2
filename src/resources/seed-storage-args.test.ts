import { describe, expect, it } from 'vitest';
import {
  maintainStorageArgs, parseMaintainStorageArgs, parsePrepareShareArgs, parseSeedStorageArgs, prepareShareArgs, seedStorageArgs,
} from './seed-storage-args.js';

// The Jobs' command lines: what the operator writes is what the command reads back, and anything
// else is a validation error (exit code usage), not a crash.
describe('job command lines', () => {
  it('reads back what the operator writes', () => {
    const seed = { root: '/data', environments: ['stage', 'prod'], dimensions: { video: 1408, audio: 768 }, deadlineSeconds: 900 } as const;
    expect(parseSeedStorageArgs(seedStorageArgs({ ...seed, environments: [...seed.environments] }).slice(1))).toEqual(seed);
    const prepare = { root: '/data', environments: ['local'], uid: 1000, gid: 1000 } as const;
    expect(parsePrepareShareArgs(prepareShareArgs({ ...prepare, environments: [...prepare.environments] }).slice(1))).toEqual(prepare);
    const maintain = { root: '/data', environments: ['stage'], cleanupOlderThanSeconds: 604_800 } as const;
    expect(parseMaintainStorageArgs(maintainStorageArgs({ ...maintain, environments: [...maintain.environments] }).slice(1))).toEqual(maintain);
  });

  it.each<[string, () => unknown]>([
    ['an unknown seed-storage option', () => parseSeedStorageArgs(['--environments=stage', '--drop-tables'])],
    ['a seed-storage option without its value', () => parseSeedStorageArgs(['--environments'])],
    ['a seed deadline that is not a positive integer', () => parseSeedStorageArgs(['--environments=stage', '--deadline-seconds=0'])],
    ['an unknown prepare-share option', () => parsePrepareShareArgs(['--environments=stage', '--uid=1', '--gid=1', '--recursive'])],
    ['a maintenance run without an age', () => parseMaintainStorageArgs(['--environments=stage'])],
    ['an age that is not whole seconds', () => parseMaintainStorageArgs(['--environments=stage', '--cleanup-older-than=1e3'])],
    ['a negative age', () => parseMaintainStorageArgs(['--environments=stage', '--cleanup-older-than=-1'])],
    ['an age past a hundred years', () => parseMaintainStorageArgs(['--environments=stage', '--cleanup-older-than=3153600001'])],
  ])('refuses %s as a validation error', (_name, parse) => {
    expect(parse).toThrow(expect.objectContaining({ errorType: 'validation' }) as Error);
  });
});
