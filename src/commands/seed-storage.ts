// `gaim-operator seed-storage`: the seed Job's command. Creates the LanceDB layout and empty tables.
import { OperatorError } from '../errors.js';
import { parseSeedStorageArgs } from '../resources/seed-storage-args.js';
import { preflightShare } from '../seeders/filesystem-preflight.js';
import { seedLanceDB } from '../seeders/lancedb.js';
import { ensureWritable } from '../seeders/share.js';
import { runJobCommand } from './job-output.js';

export function seedStorage(argv: string[]): Promise<number> {
  return runJobCommand('seed-storage', async () => {
    const options = parseSeedStorageArgs(argv);
    // Files and directories it makes are group-writable: every app of the storage group writes the tables.
    process.umask(0o002);
    // Its own deadline, from its own start: the time the pod waited for its claim to be provisioned
    // does not count (the Job's activeDeadlineSeconds, which does, is only a backstop above it).
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => { reject(new OperatorError('timeout', `the seed ran past its own deadline of ${String(options.deadlineSeconds)} s`, { reason: 'SeedDeadlineExceeded' })); }, options.deadlineSeconds * 1000);
    });
    const work = async () => {
      await ensureWritable(options.root, options.environments);
      // Every environment first: a share that would corrupt tables gets none, in no environment.
      await preflightShare(options.root, options.environments);
      return { command: 'seed-storage', ...(await seedLanceDB(options.root, options.environments, options.dimensions)) };
    };
    try {
      return await Promise.race([work(), deadline]);
    } finally {
      clearTimeout(timer);
    }
  });
}
