import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Settings } from '../config/settings.js';
import type { KubeClient } from '../kube/client.js';
import { Labels, MANAGED_SELECTOR } from '../kube/labels.js';
import { objectKey, splitKey, type KubeObject } from '../kube/objects.js';
import { Resources, type Resource } from '../kube/resources.js';
import type { Metrics } from '../observability/metrics.js';
import type { Logger } from '../observability/logger.js';
import { Informer, type InformerEvent } from './informer.js';
import { LeaderElector } from './leader-election.js';
import { asOperatorError } from '../errors.js';
import type { ReconcileResult, Reconciler } from './result.js';
import { isAborted } from './signals.js';
import { WorkQueue } from './workqueue.js';

/** Read access to the informer caches, for reconcilers (reads never go to the API server). */
export interface Caches {
  get<T extends KubeObject>(resource: Resource, key: string): T | undefined;
  list<T extends KubeObject>(resource: Resource, namespace?: string): T[];
}

export interface ManagerOptions {
  readonly client: KubeClient;
  readonly settings: Settings;
  readonly log: Logger;
  readonly metrics: Metrics;
  /** Kinds the operator creates; cached only for objects with its managed-by label. */
  readonly ownedKinds: readonly Resource[];
  readonly reconciler: (caches: Caches) => Reconciler;
}

/** Why `run` returned. Losing leadership ends the process, as in controller-runtime: it restarts as a candidate. */
export type StopReason = 'shutdown' | 'lost-leadership';

/**
 * Wires watches, the work queue, leader election and workers: the machinery every reconcile runs
 * on. Caches run on every replica (a standby is ready to lead at once); workers only on the leader.
 */
export class Manager {
  readonly #informers = new Map<Resource, Informer<KubeObject>[]>();
  readonly queue: WorkQueue;
  #workersRunning = false;
  #inFlight = 0;

  constructor(private readonly options: ManagerOptions) {
    const { settings, metrics } = options;
    this.queue = new WorkQueue({
      backoff: settings.backoff,
      retryQps: settings.retryQps,
      retryBurst: settings.retryBurst,
      metrics: metrics.queue(),
    });
    metrics.maxConcurrent.set({ controller: 'gaim' }, settings.workers);
    const namespaces = settings.watchNamespaces.length === 0 ? [undefined] : settings.watchNamespaces;
    this.#informers.set(Resources.gaim, namespaces.map((ns) => this.#informer(Resources.gaim, ns, undefined, (event, gaim, old) => { this.#onGaim(event, gaim, old); })));
    for (const kind of options.ownedKinds) {
      const scopes = kind.namespaced ? namespaces : [undefined];
      this.#informers.set(kind, scopes.map((ns) => this.#informer(kind, ns, MANAGED_SELECTOR, (_event, object) => { this.#onOwned(object); })));
    }
  }

  readonly caches: Caches = {
    get: <T extends KubeObject>(resource: Resource, key: string): T | undefined => {
      for (const informer of this.#informers.get(resource) ?? []) {
        const found = informer.get(key);
        if (found !== undefined) return found as T;
      }
      return undefined;
    },
    list: <T extends KubeObject>(resource: Resource, namespace?: string): T[] =>
      (this.#informers.get(resource) ?? []).flatMap((i) => i.list())
        .filter((o) => namespace === undefined || o.metadata?.namespace === namespace) as T[],
  };

  get synced(): boolean {
    return [...this.#informers.values()].flat().every((i) => i.synced);
  }

  /** Why the operator is not ready, or undefined when it is. */
  notReadyReason(leading: boolean): string | undefined {
    if (!this.synced) return 'caches are not synced';
    if (leading && !this.#workersRunning) return 'workers are not running';
    return undefined;
  }

  #informer(resource: Resource, namespace: string | undefined, labelSelector: string | undefined, onEvent: (event: InformerEvent, object: KubeObject, old?: KubeObject) => void): Informer<KubeObject> {
    return new Informer({
      client: this.options.client,
      resource,
      ...(namespace === undefined ? {} : { namespace }),
      ...(labelSelector === undefined ? {} : { labelSelector }),
      inactivityMs: this.options.settings.watchInactivityMs,
      watchTimeoutSeconds: Math.max(60, Math.round(this.options.settings.watchInactivityMs / 1000 / 2)),
      retry: { baseMs: 500, capMs: 30_000, jitter: 0.2 },
      log: this.options.log,
      onEvent,
      onRelist: () => { this.options.metrics.relists.inc({ resource: resource.plural }); },
    });
  }

  #onGaim(event: InformerEvent, gaim: KubeObject, old?: KubeObject): void {
    // The operator's own status writes come back as updates; they change nothing to act on.
    if (event === 'update' && old !== undefined && !specOrMetadataChanged(old, gaim)) return;
    this.queue.add(objectKey(gaim));
    if (event === 'delete') {
      this.queue.forget(objectKey(gaim));
      // One Gaim per namespace: a Gaim refused for a sibling may now own the namespace.
      const namespace = gaim.metadata?.namespace;
      for (const sibling of this.caches.list(Resources.gaim, namespace)) this.queue.add(objectKey(sibling));
    }
  }

  /** An owned object changed: its Gaim may need to act (a deleted Service, a StatefulSet now Ready). */
  #onOwned(object: KubeObject): void {
    const labels = object.metadata?.labels ?? {};
    const name = labels[Labels.gaim];
    const namespace = object.metadata?.namespace ?? labels[Labels.gaimNamespace];
    if (name === undefined || namespace === undefined) return;
    // Cluster-scoped objects (PersistentVolumes) are watched cluster-wide: keep to our namespaces.
    const watched = this.options.settings.watchNamespaces;
    if (watched.length > 0 && !watched.includes(namespace)) return;
    this.queue.add(`${namespace}/${name}`);
  }

  /** Grows with every change of leader (the Lease's transition count when this replica took it). */
  leaderEpoch = 0;

  /**
   * Runs until `signal` aborts (graceful shutdown: returns 'shutdown') or leadership is lost
   * (returns 'lost-leadership'). Informers start at once; workers start when this replica leads.
   */
  async run(signal: AbortSignal, onLeading: (leading: boolean) => void = () => undefined): Promise<StopReason> {
    const { settings, log } = this.options;
    const informersStop = new AbortController();
    const informers = [...this.#informers.values()].flat().map((i) => i.run(informersStop.signal));
    try {
      await Promise.all([...this.#informers.values()].flat().map((i) => i.waitForSync(signal)));
      log.info({ gaims: this.caches.list(Resources.gaim).length }, 'caches synced');
      if (!settings.leaderElection.enabled) {
        onLeading(true);
        await this.#lead(signal, signal);
        return 'shutdown';
      }
      const elector = new LeaderElector(this.options.client, settings.leaderElection, log, (leading, epoch) => {
        if (leading) this.leaderEpoch = epoch;
        onLeading(leading);
      });
      const outcome = { lost: false };
      await elector.run(signal, async (leading) => {
        await this.#lead(leading, signal);
        outcome.lost = !isAborted(signal);
      });
      return outcome.lost ? 'lost-leadership' : 'shutdown';
    } catch (error: unknown) {
      if (isAborted(signal)) return 'shutdown';
      throw error;
    } finally {
      informersStop.abort();
      await Promise.all(informers);
    }
  }

  /**
   * Runs the workers until `leading` aborts. On shutdown, in-flight reconciles get the shutdown
   * timeout to finish; on lost leadership they are aborted at once, since another replica may be
   * about to start.
   */
  async #lead(leading: AbortSignal, shutdown: AbortSignal): Promise<void> {
    const { settings, log, metrics } = this.options;
    const reconciler = this.options.reconciler(this.caches);
    const work = new AbortController();
    for (const gaim of this.caches.list(Resources.gaim)) this.queue.add(objectKey(gaim));
    const resync = settings.resyncMs > 0
      ? setInterval(() => { for (const gaim of this.caches.list(Resources.gaim)) this.queue.add(objectKey(gaim)); }, settings.resyncMs)
      : undefined;
    resync?.unref();
    const workers = Array.from({ length: settings.workers }, () => this.#worker(reconciler, work.signal));
    this.#workersRunning = true;
    log.info({ workers: settings.workers }, 'workers started');

    await new Promise<void>((resolve) => {
      if (leading.aborted) resolve();
      else leading.addEventListener('abort', () => { resolve(); }, { once: true });
    });
    clearInterval(resync);
    this.queue.shutDown();
    this.#workersRunning = false;
    if (!shutdown.aborted) work.abort(new Error('leadership lost'));
    log.info({ inFlight: this.#inFlight }, 'stopping: no new work; waiting for in-flight reconciles');
    const drained = Promise.all(workers).then(() => 'drained' as const);
    const outcome = await Promise.race([drained, sleep(settings.shutdownTimeoutMs, 'timeout' as const, { ref: false })]);
    if (outcome === 'timeout') {
      log.warn({ inFlight: this.#inFlight }, 'shutdown timeout: aborting in-flight reconciles');
      work.abort(new Error('shutdown timeout'));
      await drained;
    }
    metrics.activeWorkers.set({ controller: 'gaim' }, 0);
  }

  async #worker(reconciler: Reconciler, signal: AbortSignal): Promise<void> {
    const { metrics, log } = this.options;
    const labels = { controller: 'gaim' };
    for (let key = await this.queue.get(); key !== undefined; key = await this.queue.get()) {
      this.#inFlight += 1;
      metrics.activeWorkers.inc(labels);
      const stopTimer = metrics.reconcileTime.startTimer(labels);
      let result: ReconcileResult;
      try {
        const { namespace, name } = splitKey(key);
        const reconcileLog = log.child({ gaim: name, namespace, reconcileId: randomUUID() });
        // Every reconcile has a deadline: a store that never answers must not hold a worker forever.
        const deadline = AbortSignal.any([signal, AbortSignal.timeout(this.options.settings.reconcileTimeoutMs)]);
        result = await reconciler.reconcile(key, { signal: deadline, stop: signal, attempt: this.queue.failures(key), log: reconcileLog });
      } catch (error: unknown) {
        result = { kind: 'error', error: asOperatorError(error) };
      }
      stopTimer();
      switch (result.kind) {
        case 'done':
          this.queue.forget(key);
          metrics.reconcileTotal.inc({ ...labels, result: 'success' });
          break;
        case 'requeue':
          this.queue.forget(key);
          this.queue.addAfter(key, result.afterMs);
          metrics.reconcileTotal.inc({ ...labels, result: 'requeue_after' });
          break;
        case 'error':
          metrics.reconcileTotal.inc({ ...labels, result: 'error' });
          if (result.error.terminal) {
            // Retrying cannot help: wait for the object to change.
            this.queue.forget(key);
            metrics.terminalErrors.inc({ ...labels, error_type: result.error.errorType });
            log.info({ key, errorType: result.error.errorType, error: result.error.message }, 'terminal reconcile error; not retrying until the object changes');
          } else {
            metrics.reconcileErrors.inc({ ...labels, error_type: result.error.errorType });
            let delay: number;
            if (result.retryAfterMs === undefined) {
              delay = this.queue.addRateLimited(key);
            } else {
              delay = result.retryAfterMs;
              metrics.queueRetries.inc({ name: 'gaim', controller: 'gaim' });
              this.queue.addAfter(key, delay);
            }
            log.info({ key, errorType: result.error.errorType, error: result.error.message, retryInMs: delay }, 'reconcile failed; retrying');
          }
          break;
      }
      this.queue.done(key);
      metrics.activeWorkers.dec(labels);
      this.#inFlight -= 1;
    }
  }
}

/** True unless only the status (or nothing the reconcile reads) changed. */
export function specOrMetadataChanged(old: KubeObject, current: KubeObject): boolean {
  const a = old.metadata ?? {};
  const b = current.metadata ?? {};
  return a.generation !== b.generation
    || a.deletionTimestamp !== b.deletionTimestamp
    || JSON.stringify(a.finalizers ?? []) !== JSON.stringify(b.finalizers ?? [])
    || JSON.stringify(a.annotations ?? {}) !== JSON.stringify(b.annotations ?? {})
    || JSON.stringify(a.labels ?? {}) !== JSON.stringify(b.labels ?? {});
}
