// Start-up wiring shared by the `run` command and the engine's integration tests: settings in,
// a running manager with its health and metrics servers out.
import type { Settings } from './config/settings.js';
import { Manager, type Caches, type StopReason } from './controller/manager.js';
import type { Reconciler } from './controller/result.js';
import { loadClusterAccess } from './kube/access.js';
import { KubeClient } from './kube/client.js';
import { KubeEventRecorder, type EventRecorder } from './kube/events.js';
import { Resources } from './kube/resources.js';
import { Metrics } from './observability/metrics.js';
import type { Logger } from './observability/logger.js';
import { startServers } from './observability/server.js';

export const CONTROLLER_NAME = 'gaim.livingcontent.io/gaim-operator';
export const FIELD_MANAGER = 'gaim-operator';

export interface OperatorContext {
  readonly settings: Settings;
  readonly log: Logger;
  readonly client: KubeClient;
  readonly events: EventRecorder;
  readonly metrics: Metrics;
  readonly caches: Caches;
  readonly leaderEpoch: () => number;
}

export type ReconcilerFactory = (context: OperatorContext) => Reconciler;

/**
 * Kinds the operator owns and watches (label-selected). Not Secrets: the operator may not list or
 * watch them (its token must not read every tenant's); it reads its own by name.
 */
export const OWNED_KINDS = [
  Resources.service, Resources.configMap, Resources.statefulSet, Resources.job,
  Resources.persistentVolumeClaim, Resources.persistentVolume, Resources.networkPolicy,
] as const;

/** Runs the operator until `signal` aborts or leadership is lost. */
export async function runOperator(settings: Settings, log: Logger, factory: ReconcilerFactory, signal: AbortSignal, version: string): Promise<StopReason> {
  const metrics = new Metrics();
  const access = await loadClusterAccess(settings.serviceAccountDir);
  const client = await KubeClient.create(access, { userAgent: `gaim-operator/${version}`, onRequest: metrics.onApiRequest });
  const events = new KubeEventRecorder(client, CONTROLLER_NAME, settings.leaderElection.identity, log);
  let leading = false;
  metrics.leaderStatus.set({ name: settings.leaderElection.name }, 0);
  const manager: Manager = new Manager({
    client,
    settings,
    log,
    metrics,
    ownedKinds: OWNED_KINDS,
    reconciler: (caches) => factory({ settings, log, client, events, metrics, caches, leaderEpoch: () => manager.leaderEpoch }),
  });
  const stopServers = await startServers({
    host: settings.bindAddress,
    healthPort: settings.healthPort,
    metricsPort: settings.metricsPort,
    registry: metrics.registry,
    probes: { healthy: () => true, ready: () => manager.notReadyReason(leading) },
  });
  log.info({ version, identity: settings.leaderElection.identity, namespaces: settings.watchNamespaces, workers: settings.workers, apiServer: access.server, credentials: access.source }, 'gaim-operator starting');
  try {
    return await manager.run(signal, (isLeader) => {
      leading = isLeader;
      metrics.leaderStatus.set({ name: settings.leaderElection.name }, isLeader ? 1 : 0);
    });
  } finally {
    await stopServers();
    await client.close();
  }
}
