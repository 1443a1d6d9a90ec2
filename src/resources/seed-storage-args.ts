import { parseArgs } from 'node:util';
import { ENVIRONMENTS, type Environment } from '../api/v1alpha1/gaim.js';
import { OperatorError } from '../errors.js';
import { LANCEDB_MOUNT_PATH } from '../datamodel.js';

/** Where Kubernetes reads a container's termination message from (the default terminationMessagePath). */
export const TERMINATION_LOG = '/dev/termination-log';

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
  const environments = (values.environments ?? '').split(',').filter(Boolean);
  const unknown = environments.filter((e) => !(ENVIRONMENTS as readonly string[]).includes(e));
  if (environments.length === 0 || unknown.length > 0) {
    throw new OperatorError('validation', `--environments must list local, stage and/or prod (got "${values.environments ?? ''}")`);
  }
  const dimension = (name: 'video-dimensions' | 'audio-dimensions') => {
    const n = Number(values[name]);
    if (!Number.isInteger(n) || n < 1 || n > 16384) throw new OperatorError('validation', `--${name} must be an integer from 1 to 16384`);
    return n;
  };
  return { root: values.root, environments: environments as Environment[], dimensions: { video: dimension('video-dimensions'), audio: dimension('audio-dimensions') } };
}
