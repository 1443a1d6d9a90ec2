// `gaim-operator seed-storage`: the seed Job's command. Creates the LanceDB layout and empty tables.
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
    await ensureWritable(options.root, options.environments);
    // Every environment first: a share that would corrupt tables gets none, in no environment.
    await preflightShare(options.root, options.environments);
    return { command: 'seed-storage', ...(await seedLanceDB(options.root, options.environments, options.dimensions)) };
  });
}
