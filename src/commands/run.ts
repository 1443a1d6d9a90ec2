// `gaim-operator run`: settings, logging, Firestore and the Gaim reconciler wired onto the engine.
import { parseSettings, SettingsError } from '../config/settings.js';
import { connectFirestore } from '../firestore/client.js';
import { LeaseNamespaceMissing } from '../controller/leader-election.js';
import { createLogger } from '../observability/logger.js';
import type { Caches } from '../controller/caches.js';
import { backupController, FIELD_MANAGER, gaimController, operatorWatches, recordController, runOperator } from '../operator.js';
import { BackupReconciler } from '../reconciler/backups/backup-reconciler.js';
import { InstanceLocks } from '../reconciler/backups/instance-locks.js';
import { RecordReconciler } from '../reconciler/backups/record-reconciler.js';
import { QueueProber, QueueSamples } from '../reconciler/probes/queue-prober.js';
import { pollWakeRequests, WakeRequests } from '../reconciler/probes/wake-poller.js';
import { GaimReconciler } from '../reconciler/gaim/gaim-reconciler.js';
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
    const queues = new QueueSamples();
    const wakeRequests = new WakeRequests();
    // One Filestore instance's shares are backed up one at a time, by GaimBackups and final backups alike.
    const locks = new WeakMap<Caches, InstanceLocks>();
    const instanceLocks = (caches: Caches) => locks.get(caches) ?? locks.set(caches, new InstanceLocks(caches)).get(caches) ?? new InstanceLocks(caches);
    const operatorNamespace = settings.leaderElection.namespace;
    const reason = await runOperator(settings, log, (apis) => ({
      watched: operatorWatches(apis),
      leaderTasks: [({ client, events, metrics, log: taskLog }) => ({ caches, enqueue, signal }) =>
        new QueueProber({ client, events, metrics, log: taskLog, settings }, queues).run(caches, (key) => { enqueue('gaim', key); }, signal),
      ({ log: taskLog }) => ({ caches, enqueue, signal }) =>
        pollWakeRequests(wakeRequests, { firestore, log: taskLog, intervalMs: settings.wakePollMs }, caches, (key) => { enqueue('gaim', key); }, signal)],
      controllers: [
        gaimController(settings, ({ caches, client, events, leaderEpoch, metrics }) => new GaimReconciler({
          caches, client, events, firestore, settings, leaderEpoch, metrics, queues, wakeRequests,
          backoff: settings.backoff,
          clusterName: settings.clusterName,
          fieldManager: FIELD_MANAGER,
          operatorNamespace: settings.leaderElection.namespace,
        })),
        backupController(settings, ({ caches, client, events, metrics }) => new BackupReconciler({
          caches, client, events, metrics, settings, apis, fieldManager: FIELD_MANAGER, instanceLocks: instanceLocks(caches), operatorNamespace,
        })),
        recordController(settings, ({ caches, client, events, metrics }) => new RecordReconciler({
          caches, client, events, metrics, settings, instanceLocks: instanceLocks(caches), operatorNamespace, clusterName: settings.clusterName,
        })),
      ],
    }), stop.signal, packageVersion());
    await firestore.close();
    log.info({ reason }, 'stopped');
    return reason === 'lost-leadership' ? 1 : 0;
  } catch (error: unknown) {
    if (error instanceof LeaseNamespaceMissing) {
      console.error(`gaim-operator: ${error.message}`);
      return 1;
    }
    log.fatal({ err: error }, 'gaim-operator failed');
    return 1;
  }
}
