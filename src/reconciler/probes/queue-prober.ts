// Samples every Gaim's task queues beside the reconciles, on the leader, at a bounded rate: each
// Gaim about every GAIM_QUEUE_SAMPLE_SECONDS (±10 %, so 1,000 Gaims spread out), at most
// GAIM_QUEUE_SAMPLE_CONCURRENCY at once, never while its Redis is not ready. Each sample sets the
// gaim_stream_* metrics, runs the opt-in auto-pilot (spec.redis.queues), and asks the Gaim's
// reconcile to write status only when it is worth it (queue-health.ts: the health changed, or the
// figures moved and the written ones are old) — so idle queues cost no API write at all.
//
// The operator's Redis password is read once per Gaim and kept: it is the operator's own user, which
// no rotation changes; a failed login reads it again.
import type { Environment, Gaim } from '../../api/v1alpha1/gaim.js';
import { parseGaim } from '../../api/v1alpha1/validate.js';
import type { Settings } from '../../config/settings.js';
import type { Caches } from '../../controller/caches.js';
import { errorMessage } from '../../errors.js';
import type { KubeClient } from '../../kube/client.js';
import type { EventRecorder } from '../../kube/events.js';
import type { KubeObject } from '../../kube/objects.js';
import { objectKey } from '../../kube/objects.js';
import { Resources } from '../../kube/resources.js';
import type { Logger } from '../../observability/logger.js';
import type { Metrics } from '../../observability/metrics.js';
import { objectNames } from '../../resources/meta.js';
import { durationMs, POISON_DELIVERIES, queueCondition, queueEntries, statusWorthWriting, type QueueCondition, type QueueEntry } from '../../resources/queue-health.js';
import { statefulSetReadiness } from '../../resources/readiness.js';
import { REDIS_OPERATOR_USER, RedisSecretKeys } from '../../resources/redis.js';
import { otherClients, runQueueActions, sampleQueues, type QueueSample } from '../../seeders/redis-queues.js';
import { decode } from '../gaim/secrets.js';
import { storeAddress } from '../stores/store-address.js';

/** Dead letters count as growing when the stream is longer than at any sample in this window. */
const DLQ_WINDOW_MS = 15 * 60_000;
const TICK_MS = 250;
const SAMPLE_TIMEOUT_MS = 10_000;

/** The latest sample of each Gaim, shared by the prober (writer) and the Gaim reconcile (reader). */
export class QueueSamples {
  readonly #latest = new Map<string, { readonly entries: QueueEntry[]; readonly condition: QueueCondition }>();
  readonly #dlq = new Map<string, { at: number; length: number }[]>();
  readonly #idle = new Map<string, { since: Date; ids: string }>();
  readonly #restarted = new Map<string, Date>();

  /** Records a sample; returns the condition it gives. */
  record(key: string, samples: readonly QueueSample[], now: Date): QueueCondition {
    const grew = new Set<Environment>();
    for (const s of samples) {
      const id = `${key}|${s.env}`;
      const history = (this.#dlq.get(id) ?? []).filter((h) => now.getTime() - h.at <= DLQ_WINDOW_MS);
      if (history.some((h) => s.dlqLength > h.length)) grew.add(s.env);
      history.push({ at: now.getTime(), length: s.dlqLength });
      this.#dlq.set(id, history);
    }
    const condition = queueCondition(samples, grew);
    this.#latest.set(key, { entries: queueEntries(samples, now), condition });
    return condition;
  }

  /** Redis is not ready: nothing can be said of the queues. */
  unknown(key: string, why: string): void {
    const previous = this.#latest.get(key);
    this.#latest.set(key, { entries: previous?.entries ?? [], condition: { type: 'QueuesHealthy', status: 'Unknown', reason: 'Unknown', message: why } });
  }

  latest(key: string): { readonly entries: QueueEntry[]; readonly condition: QueueCondition } | undefined {
    return this.#latest.get(key);
  }

  /**
   * The latest figures and QueuesHealthy when they are worth a status write against what the Gaim's
   * status holds (queue-health.ts statusWorthWriting): the one decision, made by the prober to ask for a
   * reconcile and by the reconcile to write them.
   */
  statusUpdate(gaim: Pick<Gaim, 'metadata' | 'status'>, now: Date): { readonly entries: QueueEntry[]; readonly condition: QueueCondition } | undefined {
    const latest = this.#latest.get(`${gaim.metadata.namespace}/${gaim.metadata.name}`);
    if (latest === undefined) return undefined;
    const previousReason = gaim.status?.conditions?.find((c) => c.type === 'QueuesHealthy')?.reason;
    return statusWorthWriting(gaim.status?.queues, previousReason, latest.entries, latest.condition.reason, now) ? latest : undefined;
  }

  /**
   * The idle clock of a Gaim with hibernation mode Auto: idle while no environment has an entry
   * pending or not yet delivered (lag), no new entry was added (each stream's last-generated-id
   * unchanged) and no client but the operator's is connected; a new entry starts it again, the others
   * stop it. True when it started or stopped — when the Gaim's reconcile must look again (a restart
   * needs none: the reconcile's recheck at the old deadline finds the new one). It lives in memory: a
   * new operator starts it anew.
   */
  recordIdle(key: string, samples: readonly QueueSample[], otherClients: number, now: Date, sampledFrom: Date = now): boolean {
    // A sample begun before the Gaim last slept or woke says nothing of it now.
    if (sampledFrom < (this.#restarted.get(key) ?? sampledFrom)) return false;
    const idle = otherClients === 0 && samples.every((s) => s.pending === 0 && (s.lag ?? 0) === 0);
    const ids = samples.map((s) => `${s.env}=${s.lastId}`).join(' ');
    const before = this.#idle.get(key);
    if (!idle) {
      this.#idle.delete(key);
      return before !== undefined;
    }
    if (before?.ids === ids) return false;
    this.#idle.set(key, { since: now, ids });
    return before === undefined;
  }

  /** Since when the Gaim's queues have been idle (recordIdle); undefined while in use or not known. */
  idleSince(key: string): Date | undefined {
    return this.#idle.get(key)?.since;
  }

  /** The clock stops: the Gaim sleeps, or no longer hibernates by itself. */
  forgetIdle(key: string): void {
    this.#idle.delete(key);
  }

  /**
   * The Gaim goes to sleep or wakes (the reconcile says so as it acts): the clock starts afresh, and
   * a sample still in flight from before cannot set it back (recordIdle's `sampledFrom`).
   */
  restartIdle(key: string, now: Date): void {
    this.#idle.delete(key);
    this.#restarted.set(key, now);
  }

  forget(key: string): void {
    this.#idle.delete(key);
    this.#restarted.delete(key);
    this.#latest.delete(key);
    for (const id of this.#dlq.keys()) if (id.startsWith(`${key}|`)) this.#dlq.delete(id);
  }
}

/** The prober's side of Redis (seeders/redis-queues.ts), an adapter; the prober's unit test gives its own. */
export interface QueueRedis {
  readonly sampleQueues: typeof sampleQueues;
  readonly runQueueActions: typeof runQueueActions;
  readonly otherClients: typeof otherClients;
}
const REDIS: QueueRedis = { sampleQueues, runQueueActions, otherClients };

export interface ProberDeps {
  readonly client: KubeClient;
  readonly events: EventRecorder;
  readonly metrics: Metrics;
  readonly log: Logger;
  readonly settings: Pick<Settings, 'overrides' | 'queueSampling'>;
  /** Where samples come from: Redis itself unless a test says otherwise. */
  readonly redis?: QueueRedis;
}

type StatefulSetView = KubeObject;

export class QueueProber {
  readonly #due = new Map<string, number>();
  readonly #passwords = new Map<string, string>();
  readonly #reasons = new Map<string, string>();

  constructor(private readonly deps: ProberDeps, private readonly samples: QueueSamples) {}

  /** Samples until `signal` aborts: a scheduler marks Gaims due; `concurrency` workers sample them as they come. */
  async run(caches: Caches, enqueue: (key: string) => void, signal: AbortSignal): Promise<void> {
    const { intervalMs, concurrency } = this.deps.settings.queueSampling;
    if (intervalMs === 0) return;
    const ready: string[] = [];
    const queued = new Set<string>();
    const waiters: (() => void)[] = [];
    const wake = () => { for (const w of waiters.splice(0)) w(); };
    signal.addEventListener('abort', wake, { once: true });
    const sleep = (ms: number) => new Promise<void>((resolve) => {
      // The listener goes with its timer: one left per tick (four a second) would pile up on `signal`.
      const abort = () => { clearTimeout(timer); resolve(); };
      const timer = setTimeout(() => { signal.removeEventListener('abort', abort); resolve(); }, ms);
      signal.addEventListener('abort', abort, { once: true });
    });

    const scheduler = (async () => {
      while (!signal.aborted) {
        const now = Date.now();
        const present = new Set<string>();
        for (const object of caches.list<KubeObject>(Resources.gaim)) {
          const key = objectKey(object);
          present.add(key);
          // A Gaim first seen is sampled within one interval, at a random moment: 1,000 Gaims spread out.
          const due = this.#due.get(key) ?? now + Math.random() * intervalMs;
          this.#due.set(key, due);
          if (due > now || queued.has(key)) continue;
          queued.add(key);
          ready.push(key);
        }
        for (const key of [...this.#due.keys()]) if (!present.has(key)) this.#gone(key);
        wake();
        await sleep(TICK_MS);
      }
    })();

    const worker = async () => {
      while (!signal.aborted) {
        const key = ready.shift();
        if (key === undefined) {
          await new Promise<void>((resolve) => { waiters.push(resolve); });
          continue;
        }
        // The next sample is due an interval (±10 %) after this one starts.
        this.#due.set(key, Date.now() + intervalMs * (0.9 + 0.2 * Math.random()));
        const object = caches.get<KubeObject>(Resources.gaim, key);
        if (object !== undefined) await this.#sample(object, caches, enqueue, signal);
        queued.delete(key);
      }
    };
    await Promise.all([scheduler, ...Array.from({ length: concurrency }, worker)]);
  }

  async #sample(object: KubeObject, caches: Caches, enqueue: (key: string) => void, stop: AbortSignal): Promise<void> {
    const key = objectKey(object);
    const parsed = parseGaim(object);
    if (!parsed.ok) return;
    const gaim = parsed.gaim;
    if (gaim.metadata.deletionTimestamp !== undefined || gaim.spec.suspend || !gaim.spec.redis.enabled) return;
    // Asleep: no pod, no connection, no idle clock until it wakes, and no figures that would go stale.
    const hibernation = gaim.spec.hibernation?.mode ?? 'Off';
    if (gaim.status?.hibernatedAt !== undefined) {
      this.samples.forgetIdle(key);
      this.#removeMetrics(key);
      return;
    }
    const redis = statefulSetReadiness(caches.get<StatefulSetView>(Resources.statefulSet, `${gaim.metadata.namespace}/${objectNames(gaim).redis}`));
    if (!redis.ready) {
      if (gaim.status?.queues !== undefined) {
        this.samples.unknown(key, `Redis is not ready (${redis.message}): the queues are not sampled`);
        this.#maybeWrite(gaim, enqueue);
      }
      return;
    }
    const signal = AbortSignal.any([stop, AbortSignal.timeout(SAMPLE_TIMEOUT_MS)]);
    const sampledFrom = new Date();
    const queues = this.deps.redis ?? REDIS;
    try {
      const target = { address: await storeAddress(gaim, 'redis', this.deps.settings.overrides), username: REDIS_OPERATOR_USER, password: await this.#password(gaim, signal) };
      const policy = gaim.spec.redis.queues;
      const maxDeliveries = policy?.maxDeliveries;
      const removeIdleAfterMs = policy?.removeIdleConsumersAfter === undefined ? undefined : durationMs(policy.removeIdleConsumersAfter);
      let samples = await queues.sampleQueues(target, gaim.spec.environments, Math.min(maxDeliveries ?? POISON_DELIVERIES, POISON_DELIVERIES), signal);
      if (maxDeliveries !== undefined || removeIdleAfterMs !== undefined) {
        let acted = false;
        for (const sample of samples) acted = this.#record(gaim, sample.env, await queues.runQueueActions(target, sample, { maxDeliveries, removeIdleAfterMs }, signal)) || acted;
        // Say what the queues look like after the actions, not before.
        if (acted) samples = await queues.sampleQueues(target, gaim.spec.environments, POISON_DELIVERIES, signal);
      }
      this.deps.metrics.queueSamples.inc({ result: 'ok' });
      this.#setMetrics(gaim, samples);
      const condition = this.samples.record(key, samples, new Date());
      this.#announce(gaim, condition);
      // Auto hibernation's idle clock: a start or a stop is the reconcile's to act on (hibernation.ts).
      if (hibernation === 'Auto') {
        if (this.samples.recordIdle(key, samples, await queues.otherClients(target, REDIS_OPERATOR_USER, signal), new Date(), sampledFrom)) enqueue(key);
      } else if (this.samples.idleSince(key) !== undefined) {
        this.samples.forgetIdle(key);
        enqueue(key);
      }
      this.#maybeWrite(gaim, enqueue);
    } catch (error: unknown) {
      if (stop.aborted) return;
      this.deps.metrics.queueSamples.inc({ result: 'failed' });
      this.#passwords.delete(key); // a recreated or restored Secret: read it again
      // What cannot be sampled is not known to be idle: the clock stops.
      if (this.samples.idleSince(key) !== undefined) {
        this.samples.forgetIdle(key);
        enqueue(key);
      }
      this.deps.log.debug({ gaim: gaim.metadata.name, namespace: gaim.metadata.namespace, error: errorMessage(error) }, 'cannot sample the queues');
    }
  }

  /** The auto-pilot's actions, as metrics and events; true when it did anything. */
  #record(gaim: Gaim, env: Environment, actions: { deadLettered: readonly string[]; removed: readonly string[] }): boolean {
    const labels = { namespace: gaim.metadata.namespace, gaim: gaim.metadata.name, env };
    for (const id of actions.deadLettered) {
      this.deps.metrics.queueActions.inc({ ...labels, action: 'dead_lettered' });
      this.deps.events.record(gaim, 'Warning', 'TaskDeadLettered', 'AutoPilot', `${env}: task ${id} delivered ${String(gaim.spec.redis.queues?.maxDeliveries ?? 0)} or more times without being acknowledged was moved to the dead-letter stream and acknowledged`);
    }
    for (const consumer of actions.removed) {
      this.deps.metrics.queueActions.inc({ ...labels, action: 'consumer_removed' });
      this.deps.events.record(gaim, 'Normal', 'IdleConsumerRemoved', 'AutoPilot', `${env}: consumer ${consumer}, idle for ${gaim.spec.redis.queues?.removeIdleConsumersAfter ?? ''} with nothing pending, was deleted from the group`);
    }
    return actions.deadLettered.length + actions.removed.length > 0;
  }

  #setMetrics(gaim: Gaim, samples: readonly QueueSample[]): void {
    const m = this.deps.metrics;
    for (const s of samples) {
      const labels = { namespace: gaim.metadata.namespace, gaim: gaim.metadata.name, env: s.env };
      m.streamLength.set(labels, s.length);
      if (s.lag === undefined) m.streamLag.remove(labels);
      else m.streamLag.set(labels, s.lag);
      m.streamPending.set(labels, s.pending);
      m.streamOldestPending.set(labels, s.oldestPendingSeconds);
      m.streamMaxDeliveries.set(labels, s.maxDeliveries);
      m.streamConsumers.set(labels, s.consumers);
      m.streamConsumersIdle.set(labels, s.consumersIdle);
      m.dlqLength.set(labels, s.dlqLength);
    }
  }

  /** An event when the health's reason changes (not on the first sample of a healthy Gaim). */
  #announce(gaim: Gaim, condition: QueueCondition): void {
    const key = `${gaim.metadata.namespace}/${gaim.metadata.name}`;
    const before = this.#reasons.get(key) ?? gaim.status?.conditions?.find((c) => c.type === 'QueuesHealthy')?.reason ?? 'Healthy';
    this.#reasons.set(key, condition.reason);
    if (before === condition.reason) return;
    this.deps.events.record(gaim, condition.status === 'True' ? 'Normal' : 'Warning', `Queues${condition.reason}`, 'Probe', condition.message);
  }

  #maybeWrite(gaim: Gaim, enqueue: (key: string) => void): void {
    if (this.samples.statusUpdate(gaim, new Date()) !== undefined) enqueue(`${gaim.metadata.namespace}/${gaim.metadata.name}`);
  }

  async #password(gaim: Gaim, signal: AbortSignal): Promise<string> {
    const id = `${gaim.metadata.namespace}/${gaim.metadata.name}`;
    const known = this.#passwords.get(id);
    if (known !== undefined) return known;
    const secret = await this.deps.client.get(Resources.secret, objectNames(gaim).redisSecret, gaim.metadata.namespace, signal);
    const password = decode(secret)[RedisSecretKeys.operatorPassword];
    if (password === undefined) throw new Error(`secret ${objectNames(gaim).redisSecret} has no ${RedisSecretKeys.operatorPassword}`);
    this.#passwords.set(id, password);
    return password;
  }

  #gone(key: string): void {
    this.#due.delete(key);
    this.#reasons.delete(key);
    this.#passwords.delete(key);
    this.samples.forget(key);
    this.#removeMetrics(key);
  }

  #removeMetrics(key: string): void {
    const [namespace = '', gaim = ''] = key.split('/');
    for (const gauge of [this.deps.metrics.streamLength, this.deps.metrics.streamLag, this.deps.metrics.streamPending, this.deps.metrics.streamOldestPending,
      this.deps.metrics.streamMaxDeliveries, this.deps.metrics.streamConsumers, this.deps.metrics.streamConsumersIdle, this.deps.metrics.dlqLength]) {
      for (const env of ['local', 'stage', 'prod'] as const) gauge.remove({ namespace, gaim, env });
    }
  }
}
