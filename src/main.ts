#!/usr/bin/env node
// gaim-operator: one executable, subcommands `run` (the controller), `prepare-share` and
// `seed-storage` (the seed Job's init container and container), and `maintain-storage` (the
// maintenance Job's container).
import './node-version.js';
import { parseArgs } from 'node:util';
import { isJobCommand } from './commands/names.js';
import { settingsHelp } from './config/settings.js';
import { packageVersion } from './version.js';

const USAGE = `Usage: gaim-operator <command> [--help] [--version]

Turns Gaim custom resources into the per-GAIM data stores of the Living Content platform.

Commands:
  run            Run the controller (leader election, watches, reconciles).
  prepare-share  Hand each environment's directory on the share to the storage uid/gid (the seed
                 Job's init container, as root with only CHOWN and FOWNER).
                 --root DIR (default /data)  --environments local,stage,prod  --uid N  --gid N
  seed-storage   Create the LanceDB layout and empty tables (the seed Job's container).
                 --root DIR (default /data)  --environments local,stage,prod
                 --video-dimensions N (default 1408)  --audio-dimensions N (default 1408)
  maintain-storage
                 Compact every LanceDB table and remove its versions older than the given age;
                 report rows, versions, fragments and bytes per table (the maintenance Job).
                 --root DIR (default /data)  --environments local,stage,prod
                 --cleanup-older-than SECONDS

Settings (environment variables, validated at start-up):
${settingsHelp()}

Kubernetes access: in a pod (KUBERNETES_SERVICE_HOST set, no KUBECONFIG) the service account;
otherwise $KUBECONFIG or ~/.kube/config.
Firestore: Application Default Credentials, or FIRESTORE_EMULATOR_HOST for the emulator.`;

async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: false,
    options: { help: { type: 'boolean', short: 'h' }, version: { type: 'boolean', short: 'v' } },
  });
  if (values['version'] === true) {
    console.log(packageVersion());
    return 0;
  }
  const command = positionals[0];
  if (values['help'] === true || command === 'help' || command === undefined) {
    console.log(USAGE);
    return command === undefined && values['help'] !== true ? 2 : 0;
  }
  if (command !== 'run' && !isJobCommand(command)) {
    console.error(`gaim-operator: unknown command "${command}" (see gaim-operator --help)`);
    return 2;
  }

  // Each command loads only what it needs: a seed Job's start-up skips the controller's libraries.
  if (command === 'seed-storage') return (await import('./commands/seed-storage.js')).seedStorage(argv.slice(1));
  if (command === 'prepare-share') return (await import('./commands/prepare-share.js')).prepareShareCommand(argv.slice(1));
  if (command === 'maintain-storage') return (await import('./commands/maintain-storage.js')).maintainStorage(argv.slice(1));
  return (await import('./commands/run.js')).run();
}

process.exitCode = await main(process.argv.slice(2));
