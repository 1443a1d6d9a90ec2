import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Settings } from '../config/settings.js';
import type { KubeClient } from '../kube/client.js';
import { objectKey, splitKey, type KubeObject } from '../kube/objects.js';
import type { Resource } from '../kube/resources.js';
import type { Metrics } from '../observability/metrics.js';
import type { Logger } from '../observability/logger.js';
import { cachesOver, type CacheChange, type Caches } from './caches.js';
import { Informer, type InformerEvent } from './informer.js';
import { LeaderElector } from './leader-election.js';
import { asOperatorError } from '../errors.js';
import type { ReconcileResult, Reconciler } from './result.js';
import { isAborted } from './signals.js';
import { WorkQueue, type Priority } from './workqueue.js';

/**
 * One controller: a kind whose objects are its work-queue keys, a reconciler, and which changes of
 * other cached kinds concern which of its objects. Each has its own queue and workers.
 */
export interface ControllerSpec {
  /** The `controller` label of its metrics: gaim, gaimbackup. */
  readonly name: string;
  readonly primary: Resource;
  readonly workers: number;
  readonly reconciler: (caches: Caches) => Reconciler;
  /** Keys (`namespace/name` of `primary` objects) to reconcile after a change of another kind, or its own delete. */
  readonly keysFor: (change: CacheChange, caches: Caches) => readonly string[];
}

/** A kind cached for the controllers: all of it, or only objects with a label selector. */
export interface WatchedKind {
  readonly resource: Resource;
  readonly labelSelector?: string;
  /** What of each object to keep in the cache (fields nothing reads cost memory at 1,000 Gaims). */
  readonly transform?: (object: KubeObject) => KubeObject;
}

/**
 * Work that runs beside the controllers while this replica leads (controller-runtime's Runnable that
 * needs leader election): until `signal` aborts. It may ask a controller to reconcile a key.
 */
export type LeaderTask = (context: { readonly caches: Caches; readonly enqueue: (controller: string, key: string) => void; readonly signal: AbortSignal }) => Promise<void>;

export interface ManagerOptions {
  readonly client: KubeClient;
  readonly settings: Settings;
  readonly log: Logger;
  readonly metrics: Metrics;
  readonly controllers: readonly ControllerSpec[];
  /** Kinds cached besides the controllers' own (owned kinds, label-selected). */
  readonly watched: readonly WatchedKind[];
  readonly leaderTasks?: readonly LeaderTask[];
}

/** Why `run` returned. Losing leadership ends the process, as in controller-runtime: it restarts as a candidate. */
export type StopReason = 'shutdown' | 'lost-leadership';

interface Running {
  readonly spec: ControllerSpec;
  readonly queue: WorkQueue;
  /** The reconciler of the current term of leadership. */
  reconciler?: Reconciler;
}

/** A reconcile longer than this is logged (a store or Firestore slow to answer holds the Gaim's key). */
const SLOW_RECONCILE_SECONDS = 10;

/**
 * The priority of a change's keys: low while no worker runs — the informers' first list at start-up,
 * or everything a standby's caches heard before it took over — as for the start-up pass itself, so
 * a change that comes once the workers run goes ahead of them.
 */
export function eventPriority(workersRunning: boolean): Priority {
  return workersRunning ? 'normal' : 'low';
}

/**
 * Wires watches, the work queues, leader election and workers: the machinery every reconcile runs
 * on. Caches run on every replica (a standby is ready to lead at once); workers only on the leader.
 */
export class Manager {
  readonly #informers = new Map<Resource, Informer<KubeObject>[]>();
  readonly #controllers: Running[];
  #workersRunning = false;
  #inFlight = 0;

  constructor(private readonly options: ManagerOptions) {
    const { settings, metrics } = options;
    this.#controllers = options.controllers.map((spec) => {
      metrics.maxConcurrent.set({ controller: spec.name }, spec.workers);
      metrics.activeWorkers.set({ controller: spec.name }, 0);
      metrics.initController(spec.name);
      return {
        spec,
        queue: new WorkQueue({ backoff: settings.backoff, retryQps: settings.retryQps, retryBurst: settings.retryBurst, metrics: metrics.queue(spec.name) }),
      };
    });
    // Watching some namespaces: the operator's own too (the backup catalog's claims and snapshots live there).
    const namespaces = settings.watchNamespaces.length === 0 ? [undefined] : [...new Set([...settings.watchNamespaces, settings.leaderElection.namespace])];
    const kinds: WatchedKind[] = [...new Map([...options.controllers.map((c) => ({ resource: c.primary })), ...options.watched]
      .map((kind) => [kind.resource, kind])).values()];
    for (const { resource, labelSelector, transform } of kinds) {
      const scopes = resource.namespaced ? namespaces : [undefined];
      this.#informers.set(resource, scopes.map((ns) => this.#informer(resource, ns, labelSelector, transform, (event, object, old) => {
        this.#dispatch({ event, resource, object, ...(old === undefined ? {} : { old }) });
      })));
    }
  }

  readonly caches: Caches = cachesOver((resource) => this.#informers.get(resource) ?? []);

  get synced(): boolean {
    return [...this.#informers.values()].flat().every((i) => i.synced);
  }

  /** Why the operator is not ready, or undefined when it is. */
  notReadyReason(leading: boolean): string | undefined {
    if (!this.synced) return 'caches are not synced';
    if (leading && !this.#workersRunning) return 'workers are not running';
    return undefined;
  }

  #informer(resource: Resource, namespace: string | undefined, labelSelector: string | undefined, transform: ((object: KubeObject) => KubeObject) | undefined, onEvent: (event: InformerEvent, object: KubeObject, old?: KubeObject) => void): Informer<KubeObject> {
    return new Informer({
      client: this.options.client,
      resource,
      ...(namespace === undefined ? {} : { namespace }),
      ...(labelSelector === undefined ? {} : { labelSelector }),
      ...(transform === undefined ? {} : { transform }),
      inactivityMs: this.options.settings.watchInactivityMs,
      watchTimeoutSeconds: Math.max(60, Math.round(this.options.settings.watchInactivityMs / 1000 / 2)),
      retry: { baseMs: 500, capMs: 30_000, jitter: 0.2 },
      log: this.options.log,
      onEvent,
      onRelist: () => { this.options.metrics.relists.inc({ resource: resource.plural }); },
    });
  }

  /** A change goes to every controller: its own objects as keys, the rest through keysFor. */
  #dispatch(change: CacheChange): void {
    // Cluster-scoped objects (PersistentVolumes) are watched cluster-wide: keep to our namespaces.
    const watched = this.options.settings.watchNamespaces;
    const priority = eventPriority(this.#workersRunning);
    for (const running of this.#controllers) {
      const { spec, queue } = running;
      if (change.resource === spec.primary) {
        const key = objectKey(change.object);
        // The operator's own status writes come back as updates; they change nothing to act on.
        if (change.event === 'update' && change.old !== undefined
          && !wakesOnUpdate(change.old, change.object, running.reconciler?.observedUpdate?.(key, change.object.metadata?.resourceVersion) === true)) continue;
        queue.add(key, priority);
        if (change.event === 'delete') queue.forget(key);
      }
      for (const key of [...spec.keysFor(change, this.caches), ...(running.reconciler?.wakeFor?.(change) ?? [])]) {
        // A cluster-scoped key (a backup record) has no namespace to keep to.
        const namespace = key.slice(0, Math.max(0, key.indexOf('/')));
        if (watched.length > 0 && key.includes('/') && !watched.includes(namespace)) continue;
        queue.add(key, priority);
      }
    }
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
      log.info({ cached: Object.fromEntries([...this.#informers].map(([r, i]) => [r.plural, i.reduce((n, x) => n + x.size, 0)])) }, 'caches synced');
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
    const work = new AbortController();
    const workers: Promise<void>[] = [];
    const resyncs: NodeJS.Timeout[] = [];
    for (const running of this.#controllers) {
      const { spec, queue } = running;
      const reconciler = spec.reconciler(this.caches);
      running.reconciler = reconciler;
      // At low priority: a change that comes meanwhile goes first (see WorkQueue).
      const everyObject = () => { for (const object of this.caches.list(spec.primary)) queue.add(objectKey(object), 'low'); };
      everyObject();
      if (settings.resyncMs > 0) {
        const timer = setInterval(everyObject, settings.resyncMs);
        timer.unref();
        resyncs.push(timer);
      }
      for (let i = 0; i < spec.workers; i++) workers.push(this.#worker(running, reconciler, work.signal));
    }
    const enqueue = (controller: string, key: string) => { this.#controllers.find((c) => c.spec.name === controller)?.queue.add(key); };
    // Leader tasks stop as soon as leading ends (they hold no work a shutdown should wait for).
    const taskStop = new AbortController();
    const tasks = (this.options.leaderTasks ?? []).map((task) => task({ caches: this.caches, enqueue, signal: taskStop.signal })
      .catch((error: unknown) => { if (!taskStop.signal.aborted) log.error({ err: error }, 'a leader task failed'); }));
    this.#workersRunning = true;
    log.info({ workers: Object.fromEntries(this.#controllers.map((c) => [c.spec.name, c.spec.workers])) }, 'workers started');

    await new Promise<void>((resolve) => {
      if (leading.aborted) resolve();
      else leading.addEventListener('abort', () => { resolve(); }, { once: true });
    });
    for (const timer of resyncs) clearInterval(timer);
    taskStop.abort(new Error('not leading'));
    for (const { queue } of this.#controllers) queue.shutDown();
    this.#workersRunning = false;
    if (!shutdown.aborted) work.abort(new Error('leadership lost'));
    log.info({ inFlight: this.#inFlight }, 'stopping: no new work; waiting for in-flight reconciles');
    const drained = Promise.all([...workers, ...tasks]).then(() => 'drained' as const);
    const outcome = await Promise.race([drained, sleep(settings.shutdownTimeoutMs, 'timeout' as const, { ref: false })]);
    if (outcome === 'timeout') {
      log.warn({ inFlight: this.#inFlight }, 'shutdown timeout: aborting in-flight reconciles');
      work.abort(new Error('shutdown timeout'));
      await drained;
    }
    for (const { spec } of this.#controllers) metrics.activeWorkers.set({ controller: spec.name }, 0);
  }

  async #worker({ spec, queue }: Running, reconciler: Reconciler, signal: AbortSignal): Promise<void> {
    const { metrics, log } = this.options;
    const labels = { controller: spec.name };
    for (let key = await queue.get(); key !== undefined; key = await queue.get()) {
      this.#inFlight += 1;
      metrics.activeWorkers.inc(labels);
      const stopTimer = metrics.reconcileTime.startTimer(labels);
      let result: ReconcileResult;
      try {
        const { namespace, name } = splitKey(key);
        const reconcileLog = log.child({ [spec.name]: name, namespace, reconcileId: randomUUID() });
        // Every reconcile has a deadline: a store that never answers must not hold a worker forever.
        const deadline = AbortSignal.any([signal, AbortSignal.timeout(this.options.settings.reconcileTimeoutMs)]);
        result = await reconciler.reconcile(key, { signal: deadline, stop: signal, attempt: queue.failures(key), log: reconcileLog });
      } catch (error: unknown) {
        result = { kind: 'error', error: asOperatorError(error) };
      }
      const seconds = stopTimer();
      // A reconcile holds its key: nothing else happens to that Gaim until it ends. Say when that is long.
      if (seconds >= SLOW_RECONCILE_SECONDS) log.warn({ key, seconds: Math.round(seconds), result: result.kind }, 'slow reconcile');
      switch (result.kind) {
        case 'done':
          queue.forget(key);
          metrics.reconcileTotal.inc({ ...labels, result: 'success' });
          break;
        case 'requeue':
          queue.forget(key);
          queue.addAfter(key, result.afterMs);
          metrics.reconcileTotal.inc({ ...labels, result: 'requeue_after' });
          break;
        case 'error':
          metrics.reconcileTotal.inc({ ...labels, result: 'error' });
          if (result.error.terminal) {
            // Retrying cannot help: wait for the object to change.
            queue.forget(key);
            metrics.terminalErrors.inc({ ...labels, error_type: result.error.errorType });
            log.info({ key, errorType: result.error.errorType, error: result.error.message }, 'terminal reconcile error; not retrying until the object changes');
          } else {
            metrics.reconcileErrors.inc({ ...labels, error_type: result.error.errorType });
            let delay: number;
            if (result.retryAfterMs === undefined) {
              delay = queue.addRateLimited(key);
            } else {
              delay = result.retryAfterMs;
              metrics.queueRetries.inc({ name: spec.name, controller: spec.name });
              queue.addAfter(key, delay);
            }
            log.info({ key, errorType: result.error.errorType, error: result.error.message, retryInMs: delay }, 'reconcile failed; retrying');
          }
          break;
      }
      // One line per reconcile, at debug: what a test (or a person chasing a loop) counts per key;
      // the metrics count per controller only (a series per Gaim would not scale).
      log.debug({ controller: spec.name, key, result: result.kind, ...(result.kind === 'requeue' ? { afterMs: result.afterMs } : {}) }, 'reconciled');
      queue.done(key);
      metrics.activeWorkers.dec(labels);
      this.#inFlight -= 1;
    }
  }
}

/**
 * Whether an update of a controller's own object wakes it: not when only its status changed (that
 * is mostly the operator's own write coming back), unless a reconcile waits for exactly that echo.
 */
export function wakesOnUpdate(old: KubeObject, current: KubeObject, awaitsEcho: boolean): boolean {
  return awaitsEcho || specOrMetadataChanged(old, current);
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
