import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';
import { ENVIRONMENTS, type Environment } from '../api/v1alpha1/gaim.js';
import { errorMessage, OperatorError } from '../errors.js';
import { LANCEDB_MOUNT_PATH } from '../datamodel.js';

/** Where Kubernetes reads a container's termination message from (the default terminationMessagePath). */
export const TERMINATION_LOG = '/dev/termination-log';

/** The most of a termination message the kubelet keeps (bytes). */
export const TERMINATION_MESSAGE_LIMIT = 4000;

/**
 * Exit codes of the seed and maintenance Jobs' commands: the contract by which the operator tells
 * their failures apart (the message itself is in the termination log, for people).
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
  /**
   * The share lacks an operation LanceDB's commits rely on (hard link, rename over a file,
   * exclusive create); no table was created.
   */
  filesystem: 5,
  /** The seed ran past its own deadline (counted from its start, not the Job's). */
  deadline: 6,
} as const;

/**
 * The Job-level backstop above the seed's own deadline: the time its claim may take to be provisioned
 * (a new Filestore instance takes minutes; the pod waits for it) before the Job itself gives up.
 */
export const PROVISIONING_ALLOWANCE_SECONDS = 3600;

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
  const values = parseOptions(argv, { root: { type: 'string', default: LANCEDB_MOUNT_PATH }, environments: { type: 'string' }, uid: { type: 'string' }, gid: { type: 'string' } });
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
  /** How long the seed may run, from its own start. */
  readonly deadlineSeconds: number;
}

/** The seed-storage command line, as the operator writes it into the seed Job. */
export function seedStorageArgs(options: SeedStorageOptions): string[] {
  return [
    'seed-storage',
    `--root=${options.root}`,
    `--environments=${options.environments.join(',')}`,
    `--video-dimensions=${options.dimensions.video}`,
    `--audio-dimensions=${options.dimensions.audio}`,
    `--deadline-seconds=${options.deadlineSeconds}`,
  ];
}

export function parseSeedStorageArgs(argv: string[]): SeedStorageOptions {
  const values = parseOptions(argv, {
    root: { type: 'string', default: LANCEDB_MOUNT_PATH },
    environments: { type: 'string' },
    'video-dimensions': { type: 'string', default: '1408' },
    'audio-dimensions': { type: 'string', default: '1408' },
    'deadline-seconds': { type: 'string', default: '900' },
  });
  const environments = parseEnvironments(values.environments);
  const dimension = (name: 'video-dimensions' | 'audio-dimensions') => {
    const n = Number(values[name]);
    if (!Number.isInteger(n) || n < 1 || n > 16384) throw new OperatorError('validation', `--${name} must be an integer from 1 to 16384`);
    return n;
  };
  const deadlineSeconds = Number(values['deadline-seconds']);
  if (!Number.isInteger(deadlineSeconds) || deadlineSeconds < 1) throw new OperatorError('validation', '--deadline-seconds must be a positive integer');
  return { root: values.root, environments, dimensions: { video: dimension('video-dimensions'), audio: dimension('audio-dimensions') }, deadlineSeconds };
}

export interface MaintainStorageOptions {
  readonly root: string;
  readonly environments: Environment[];
  /** Versions older than this are removed (the current one never is); 0 keeps only the current one. */
  readonly cleanupOlderThanSeconds: number;
}

/** Up to a hundred years: longer than any retention, and far inside what a Date can hold. */
const MAX_CLEANUP_OLDER_THAN_SECONDS = 100 * 365 * 24 * 3600;

/** The maintain-storage command line, as the operator writes it into the maintenance Job. */
export function maintainStorageArgs(options: MaintainStorageOptions): string[] {
  return ['maintain-storage', `--root=${options.root}`, `--environments=${options.environments.join(',')}`, `--cleanup-older-than=${options.cleanupOlderThanSeconds}`];
}

export function parseMaintainStorageArgs(argv: string[]): MaintainStorageOptions {
  const values = parseOptions(argv, {
    root: { type: 'string', default: LANCEDB_MOUNT_PATH },
    environments: { type: 'string' },
    'cleanup-older-than': { type: 'string' },
  });
  const seconds = values['cleanup-older-than'] ?? '';
  // A pattern, not Number(): Number('') and Number(' ') are 0, which would remove every old version.
  if (!/^\d{1,10}$/.test(seconds) || Number(seconds) > MAX_CLEANUP_OLDER_THAN_SECONDS) {
    throw new OperatorError('validation', `--cleanup-older-than must be a whole number of seconds from 0 to ${MAX_CLEANUP_OLDER_THAN_SECONDS} (got "${seconds}")`);
  }
  return { root: values.root, environments: parseEnvironments(values.environments), cleanupOlderThanSeconds: Number(seconds) };
}

/** node:util parseArgs, with an unknown or malformed option as a validation error (exit code usage). */
function parseOptions<const T extends ParseArgsOptionsConfig>(argv: string[], options: T) {
  try {
    return parseArgs({ args: argv, options, strict: true }).values;
  } catch (error: unknown) {
    throw new OperatorError('validation', errorMessage(error), { cause: error });
  }
}
