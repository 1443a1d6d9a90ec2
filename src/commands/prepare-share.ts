// `gaim-operator prepare-share`: the seed Job's init container (as root, only CHOWN and FOWNER).
// Hands each environment's directory on the share to the storage uid/gid.
import { parsePrepareShareArgs } from '../resources/seed-storage-args.js';
import { prepareShare } from '../seeders/share.js';
import { runJobCommand } from './job-output.js';

export function prepareShareCommand(argv: string[]): Promise<number> {
  return runJobCommand('prepare-share', async () => {
    const options = parsePrepareShareArgs(argv);
    return { command: 'prepare-share', ...(await prepareShare(options.root, options.environments, options.uid, options.gid)) };
  });
}
