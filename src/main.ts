#!/usr/bin/env node
// gaim-operator: one executable, subcommands `run` (the controller) and later `seed-storage`.
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { OperatorError } from './errors.js';
import { seedLanceDB } from './seeders/lancedb.js';
import { parseSeedStorageArgs, TERMINATION_LOG } from './seeders/seed-storage-args.js';
import { parseSettings, SettingsError, settingsHelp } from './config/settings.js';
import { createLogger } from './observability/logger.js';
import { FIELD_MANAGER, runOperator } from './operator.js';
import { createFirestore } from './firestore/client.js';
import { AppRegistry } from './firestore/app-registry.js';
import { FirestoreBreaker } from './firestore/breaker.js';
import { GaimReconciler } from './reconciler/gaim-reconciler.js';
import { packageVersion } from './version.js';

const USAGE = `Usage: gaim-operator <command> [--help] [--version]

Turns Gaim custom resources into the per-GAIM data stores of the Living Content platform.

Commands:
  run            Run the controller (leader election, watches, reconciles).
  seed-storage   Create the LanceDB layout and empty tables (run by the operator as a Job).
                 --root DIR (default /data)  --environments local,stage,prod
                 --video-dimensions N (default 1408)  --audio-dimensions N (default 1408)

Settings (environment variables, validated at start-up):
${settingsHelp()}

Kubernetes access: $KUBECONFIG, ~/.kube/config, or the in-cluster service account.
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
  if (command === 'seed-storage') return seedStorage(argv.slice(1));
  if (command !== 'run') {
    console.error(`gaim-operator: unknown command "${command}" (see gaim-operator --help)`);
    return 2;
  }

  let settings;
  try {
    settings = parseSettings();
  } catch (error: unknown) {
    if (error instanceof SettingsError) {
      console.error(`gaim-operator: ${error.message}`);
      return 1;
    }
    throw error;
  }
  const log = createLogger(settings.logLevel);
  const stop = new AbortController();
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      log.info({ signal }, 'shutting down');
      stop.abort(new Error(signal));
    });
  }
  try {
    const firestore = createFirestore(settings);
    const breaker = new FirestoreBreaker();
    const registry = new AppRegistry(firestore, log, breaker);
    const reason = await runOperator(settings, log, ({ caches, client, events, leaderEpoch }) => new GaimReconciler({
      caches, client, events, registry, firestore, settings, leaderEpoch, breaker,
      backoff: settings.backoff,
      clusterName: settings.clusterName,
      fieldManager: FIELD_MANAGER,
      operatorNamespace: settings.leaderElection.namespace,
    }), stop.signal, packageVersion());
    await firestore.terminate();
    log.info({ reason }, 'stopped');
    return reason === 'lost-leadership' ? 1 : 0;
  } catch (error: unknown) {
    log.fatal({ err: error }, 'gaim-operator failed');
    return 1;
  }
}

/** The seed Job's command: prints a JSON report; on failure the message also goes to the termination log. */
async function seedStorage(argv: string[]): Promise<number> {
  try {
    const options = parseSeedStorageArgs(argv);
    const report = await seedLanceDB(options.root, options.environments, options.dimensions);
    console.log(JSON.stringify({ seeded: 'lancedb', ...report }));
    return 0;
  } catch (error: unknown) {
    const message = error instanceof Error ? error.message : String(error);
    console.error(`gaim-operator seed-storage: ${message}`);
    await writeFile(TERMINATION_LOG, message.slice(0, 4000)).catch(() => undefined);
    return error instanceof OperatorError && error.errorType === 'storage' ? 3 : 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
