import { parseArgs } from 'node:util';
import { ENVIRONMENTS, type Environment } from '../api/v1alpha1/gaim.js';
import { OperatorError } from '../errors.js';
import { LANCEDB_MOUNT_PATH } from '../datamodel.js';

/** Where Kubernetes reads a container's termination message from (the default terminationMessagePath). */
export const TERMINATION_LOG = '/dev/termination-log';

/**
 * Exit codes of the seed Job's commands: the contract by which the operator tells their failures
 * apart (the message itself is in the termination log, for people).
 */
export const SeedExit = {
  ok: 0,
  /** Anything unexpected. */
  failed: 1,
  /** Bad arguments (a bug in the operator that wrote them). */
  usage: 2,
  /** A table exists with a schema that disagrees with the data model; left as it is. */
  schema: 3,
  /** The share refused a write: not writable by the storage uid/gid. */
  permission: 4,
} as const;

export interface PrepareShareOptions {
  readonly root: string;
  readonly environments: Environment[];
  readonly uid: number;
  readonly gid: number;
}

/** The share preparation step's command line (the seed Job's init container, as root). */
export function prepareShareArgs(options: PrepareShareOptions): string[] {
  return ['prepare-share', `--root=${options.root}`, `--environments=${options.environments.join(',')}`, `--uid=${options.uid}`, `--gid=${options.gid}`];
}

export function parsePrepareShareArgs(argv: string[]): PrepareShareOptions {
  const { values } = parseArgs({
    args: argv,
    options: { root: { type: 'string', default: LANCEDB_MOUNT_PATH }, environments: { type: 'string' }, uid: { type: 'string' }, gid: { type: 'string' } },
  });
  const id = (name: 'uid' | 'gid') => {
    const n = Number(values[name]);
    if (!Number.isInteger(n) || n < 1 || n > 2_147_483_647) throw new OperatorError('validation', `--${name} must be a positive integer (not root)`);
    return n;
  };
  return { root: values.root, environments: parseEnvironments(values.environments), uid: id('uid'), gid: id('gid') };
}

function parseEnvironments(list: string | undefined): Environment[] {
  const environments = (list ?? '').split(',').filter(Boolean);
  const unknown = environments.filter((e) => !(ENVIRONMENTS as readonly string[]).includes(e));
  if (environments.length === 0 || unknown.length > 0) {
    throw new OperatorError('validation', `--environments must list local, stage and/or prod (got "${list ?? ''}")`);
  }
  return environments as Environment[];
}

export interface SeedStorageOptions {
  readonly root: string;
  readonly environments: Environment[];
  readonly dimensions: { video: number; audio: number };
}

/** The seed-storage command line, as the operator writes it into the seed Job. */
export function seedStorageArgs(options: SeedStorageOptions): string[] {
  return [
    'seed-storage',
    `--root=${options.root}`,
    `--environments=${options.environments.join(',')}`,
    `--video-dimensions=${options.dimensions.video}`,
    `--audio-dimensions=${options.dimensions.audio}`,
  ];
}

export function parseSeedStorageArgs(argv: string[]): SeedStorageOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      root: { type: 'string', default: LANCEDB_MOUNT_PATH },
      environments: { type: 'string' },
      'video-dimensions': { type: 'string', default: '1408' },
      'audio-dimensions': { type: 'string', default: '1408' },
    },
  });
  const environments = parseEnvironments(values.environments);
  const dimension = (name: 'video-dimensions' | 'audio-dimensions') => {
    const n = Number(values[name]);
    if (!Number.isInteger(n) || n < 1 || n > 16384) throw new OperatorError('validation', `--${name} must be an integer from 1 to 16384`);
    return n;
  };
  return { root: values.root, environments, dimensions: { video: dimension('video-dimensions'), audio: dimension('audio-dimensions') } };
}
