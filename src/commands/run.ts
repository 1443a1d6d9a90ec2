// `gaim-operator run`: settings, logging, Firestore and the Gaim reconciler wired onto the engine.
import { parseSettings, SettingsError } from '../config/settings.js';
import { connectFirestore } from '../firestore/client.js';
import { createLogger } from '../observability/logger.js';
import { FIELD_MANAGER, runOperator } from '../operator.js';
import { GaimReconciler } from '../reconciler/gaim-reconciler.js';
import { packageVersion } from '../version.js';

/** Runs the controller until a signal or lost leadership; the process exit code. */
export async function run(): Promise<number> {
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
    const firestore = connectFirestore(settings, log);
    const reason = await runOperator(settings, log, ({ caches, client, events, leaderEpoch }) => new GaimReconciler({
      caches, client, events, firestore, settings, leaderEpoch,
      backoff: settings.backoff,
      clusterName: settings.clusterName,
      fieldManager: FIELD_MANAGER,
      operatorNamespace: settings.leaderElection.namespace,
    }), stop.signal, packageVersion());
    await firestore.close();
    log.info({ reason }, 'stopped');
    return reason === 'lost-leadership' ? 1 : 0;
  } catch (error: unknown) {
    log.fatal({ err: error }, 'gaim-operator failed');
    return 1;
  }
}
