// Start-up wiring shared by the `run` command and the engine's integration tests: settings in,
// a running manager with its health and metrics servers out.
import type { Settings } from './config/settings.js';
import type { Caches } from './controller/caches.js';
import { Manager, type ControllerSpec, type LeaderTask, type StopReason, type WatchedKind } from './controller/manager.js';
import type { Reconciler } from './controller/result.js';
import { loadClusterAccess } from './kube/access.js';
import { KubeClient } from './kube/client.js';
import type { KubeObject } from './kube/objects.js';
import { KubeEventRecorder, type EventRecorder } from './kube/events.js';
import { serves } from './kube/discovery.js';
import { MANAGED_SELECTOR } from './kube/labels.js';
import { Resources } from './kube/resources.js';
import { Metrics } from './observability/metrics.js';
import type { Logger } from './observability/logger.js';
import { startServers } from './observability/server.js';
import { backupKeysFor, gaimKeysFor, recordKeysFor } from './reconciler/watches.js';

export const CONTROLLER_NAME = 'gaim.livingcontent.io/gaim-operator';
export const FIELD_MANAGER = 'gaim-operator';

/** Optional APIs the cluster serves (asked once at start-up). */
export interface ServedApis {
  readonly volumeSnapshots: boolean;
}

export interface OperatorContext {
  readonly settings: Settings;
  readonly log: Logger;
  readonly client: KubeClient;
  readonly events: EventRecorder;
  readonly metrics: Metrics;
  readonly caches: Caches;
  readonly leaderEpoch: () => number;
  readonly apis: ServedApis;
}

/** A controller as start-up wires it: its reconciler gets the operator's clients. */
export interface ControllerWiring extends Omit<ControllerSpec, 'reconciler'> {
  readonly reconciler: (context: OperatorContext) => Reconciler;
}

/** The controllers to run and the kinds they need cached, for what the cluster serves. */
export interface Wiring {
  readonly controllers: readonly ControllerWiring[];
  readonly watched: readonly WatchedKind[];
  /** Work beside the controllers on the leader (the queue prober). */
  readonly leaderTasks?: readonly ((context: OperatorContext) => LeaderTask)[];
}

/**
 * Kinds the operator owns and watches (label-selected). Not Secrets: the operator may not list or
 * watch them (its token must not read every tenant's); it reads its own by name.
 */
export const OWNED_KINDS = [
  Resources.service, Resources.configMap, Resources.statefulSet, Resources.job,
  Resources.persistentVolumeClaim, Resources.persistentVolume, Resources.networkPolicy,
] as const;

/**
 * A Job is only ever created and then watched for its end: its spec (a whole pod template) is never
 * read from the cache, only its metadata and status.
 */
const jobStatusOnly = (job: KubeObject): KubeObject => {
  const { spec: _spec, ...rest } = job;
  return rest;
};

export const OWNED_WATCHES: readonly WatchedKind[] = OWNED_KINDS.map((resource) => ({
  resource, labelSelector: MANAGED_SELECTOR, ...(resource === Resources.job ? { transform: jobStatusOnly } : {}),
}));

/** The Gaim controller, with its reconciler. */
export function gaimController(settings: Settings, reconciler: ControllerWiring['reconciler']): ControllerWiring {
  return { name: 'gaim', primary: Resources.gaim, workers: settings.workers, keysFor: gaimKeysFor, reconciler };
}

/** The GaimBackup controller, with its reconciler. */
export function backupController(settings: Settings, reconciler: ControllerWiring['reconciler']): ControllerWiring {
  return { name: 'gaimbackup', primary: Resources.gaimBackup, workers: settings.backups.workers, keysFor: backupKeysFor, reconciler };
}

/** The backup catalog's controller (GaimBackupRecords: cluster-scoped), with its reconciler. */
export function recordController(settings: Settings, reconciler: ControllerWiring['reconciler']): ControllerWiring {
  return { name: 'gaimbackuprecord', primary: Resources.gaimBackupRecord, workers: settings.backups.workers, keysFor: recordKeysFor, reconciler };
}

/** What the controllers need cached: the owned kinds, and the snapshots where the cluster serves them. */
export function operatorWatches(apis: ServedApis): WatchedKind[] {
  return [
    ...OWNED_WATCHES,
    // The Gaim reconcile reads the backups (schedules, retention, lastBackup) and the catalog (restore sources).
    { resource: Resources.gaimBackup },
    { resource: Resources.gaimBackupRecord },
    ...(apis.volumeSnapshots ? [{ resource: Resources.volumeSnapshot, labelSelector: MANAGED_SELECTOR }] : []),
  ];
}

/** Runs the operator until `signal` aborts or leadership is lost. */
export async function runOperator(settings: Settings, log: Logger, wire: (apis: ServedApis) => Wiring, signal: AbortSignal, version: string): Promise<StopReason> {
  const metrics = new Metrics();
  const access = await loadClusterAccess(settings.serviceAccountDir);
  const client = await KubeClient.create(access, { userAgent: `gaim-operator/${version}`, onRequest: metrics.onApiRequest });
  try {
    const apis: ServedApis = {
      volumeSnapshots: await serves(client, Resources.volumeSnapshot, signal),
    };
    const events = new KubeEventRecorder(client, CONTROLLER_NAME, settings.leaderElection.identity, log, undefined, settings.leaderElection.namespace);
    let leading = false;
    metrics.leaderStatus.set({ name: settings.leaderElection.name }, 0);
    const wiring = wire(apis);
    const manager: Manager = new Manager({
      client,
      settings,
      log,
      metrics,
      watched: wiring.watched,
      leaderTasks: (wiring.leaderTasks ?? []).map((task) => (run: Parameters<LeaderTask>[0]) =>
        task({ settings, log, client, events, metrics, caches: run.caches, apis, leaderEpoch: () => manager.leaderEpoch })(run)),
      controllers: wiring.controllers.map((c) => ({
        ...c,
        reconciler: (caches) => c.reconciler({ settings, log, client, events, metrics, caches, apis, leaderEpoch: () => manager.leaderEpoch }),
      })),
    });
    const stopServers = await startServers({
      host: settings.bindAddress,
      healthPort: settings.healthPort,
      metricsPort: settings.metricsPort,
      registry: metrics.registry,
      probes: { healthy: () => true, ready: () => manager.notReadyReason(leading) },
    });
    log.info({ version, identity: settings.leaderElection.identity, namespaces: settings.watchNamespaces, workers: settings.workers, apiServer: access.server, credentials: access.source, apis }, 'gaim-operator starting');
    try {
      return await manager.run(signal, (isLeader) => {
        leading = isLeader;
        metrics.leaderStatus.set({ name: settings.leaderElection.name }, isLeader ? 1 : 0);
      });
    } finally {
      await stopServers();
    }
  } finally {
    await client.close();
  }
}
