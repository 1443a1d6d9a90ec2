// The queue prober's own logic, on fake caches, a recording client and fake samples (its Redis side,
// seeders/redis-queues.ts, is proven against a real redis-server in test/queues/): which Gaims it
// samples, how often, how many at once, and what it does when a sample fails or a Gaim goes.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Environment, Gaim } from '../../api/v1alpha1/gaim.js';
import type { KubeObject } from '../../kube/objects.js';
import { Resources } from '../../kube/resources.js';
import { createLogger } from '../../observability/logger.js';
import { Metrics } from '../../observability/metrics.js';
import { objectNames } from '../../resources/meta.js';
import type { QueueSample } from '../../seeders/redis-queues.js';
import { cachesOf, type FakeCaches } from '../../testing/caches-fake.js';
import { recordingClient } from '../../testing/client-fake.js';
import { testGaim } from '../../testing/gaims.js';
import { QueueProber, QueueSamples, type QueueRedis } from './queue-prober.js';

const INTERVAL_MS = 10_000;

const idleSample = (env: Environment): QueueSample => ({
  env, length: 0, lag: 0, pending: 0, oldestPendingSeconds: 0, maxDeliveries: 0, consumers: 1, consumersIdle: 0, dlqLength: 0,
  poison: [], idleConsumers: [], lastId: '',
});

/** A Redis StatefulSet whose one pod is Ready on the current spec (or, with `ready` false, not yet). */
const redisSet = (gaim: Gaim, ready = true): KubeObject => ({
  metadata: { name: objectNames(gaim).redis, namespace: gaim.metadata.namespace, generation: 1 },
  spec: { replicas: 1 },
  status: { observedGeneration: 1, replicas: 1, readyReplicas: ready ? 1 : 0, updatedReplicas: 1 },
});

const named = (name: string, spec: Record<string, unknown> = {}, status?: Record<string, unknown>) =>
  testGaim(spec, { metadata: { name, uid: `u-${name}` }, ...(status === undefined ? {} : { status }) });

describe('QueueProber', () => {
  let caches: FakeCaches;
  let metrics: Metrics;
  let secretReads: number;
  let sampled: string[];
  let inFlight: number;
  let mostAtOnce: number;
  let failNext: Set<string>;
  let enqueued: string[];
  let stop: AbortController;
  let running: Promise<void> | undefined;

  /** Samples take 2 s each (fake time); the one Gaim named in failNext fails once. */
  const redis: QueueRedis = {
    sampleQueues: async (target, environments) => {
      const name = target.password; // the fake Secret's operator password is the Gaim's name
      sampled.push(name);
      inFlight += 1;
      mostAtOnce = Math.max(mostAtOnce, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 2000));
      inFlight -= 1;
      if (failNext.delete(name)) throw new Error('connection reset');
      return environments.map(idleSample);
    },
    runQueueActions: () => Promise.resolve({ deadLettered: [], removed: [] }),
    otherClients: () => Promise.resolve(0),
  };

  const start = (gaims: readonly Gaim[], options: { concurrency?: number; notReady?: readonly string[] } = {}) => {
    const objects: Record<string, KubeObject> = {};
    for (const gaim of gaims) {
      caches.put(Resources.gaim, gaim);
      caches.put(Resources.statefulSet, redisSet(gaim, !(options.notReady ?? []).includes(gaim.metadata.name)));
      // The operator's password stands for the Gaim in the fake samples: it says whose Redis was asked.
      objects[`Secret ${gaim.metadata.namespace}/${objectNames(gaim).redisSecret}`] = {
        metadata: { name: objectNames(gaim).redisSecret, namespace: gaim.metadata.namespace },
        data: { 'operator-password': Buffer.from(gaim.metadata.name).toString('base64') },
      };
    }
    const { client } = recordingClient(objects);
    const get = client.get.bind(client);
    client.get = ((...args: Parameters<typeof client.get>) => { secretReads += 1; return get(...args); });
    const prober = new QueueProber({
      client, events: { record: () => undefined }, metrics, log: createLogger('silent'), redis,
      settings: { overrides: { mongodb: undefined, redis: '127.0.0.1:1', addressMap: undefined }, queueSampling: { intervalMs: INTERVAL_MS, concurrency: options.concurrency ?? 2 } },
    }, new QueueSamples());
    running = prober.run(caches, (key) => { enqueued.push(key); }, stop.signal);
  };
  const count = (name: string) => sampled.filter((n) => n === name).length;
  const failedSamples = async () => (await metrics.queueSamples.get()).values.find((v) => v.labels['result'] === 'failed')?.value ?? 0;

  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    caches = cachesOf();
    metrics = new Metrics();
    secretReads = 0;
    sampled = [];
    inFlight = 0;
    mostAtOnce = 0;
    failNext = new Set();
    enqueued = [];
    stop = new AbortController();
    running = undefined;
  });
  afterEach(async () => {
    stop.abort();
    await vi.advanceTimersByTimeAsync(2500);
    await running;
    vi.useRealTimers();
    vi.restoreAllMocks();
  });

  it('samples each Gaim about once an interval (±10 %), never more at once than the concurrency', async () => {
    const gaims = ['gaim-a', 'gaim-b', 'gaim-c', 'gaim-d', 'gaim-e'].map((n) => named(n));
    start(gaims, { concurrency: 2 });
    await vi.advanceTimersByTimeAsync(60_000);
    // In 60 s: a first sample within the first interval, then one every 9 to 11 s (each lasting 2 s).
    for (const gaim of gaims) expect(count(gaim.metadata.name)).toBeGreaterThanOrEqual(5);
    for (const gaim of gaims) expect(count(gaim.metadata.name)).toBeLessThanOrEqual(7);
    expect(mostAtOnce).toBe(2);
    // The operator's password is read once per Gaim and kept.
    expect(secretReads).toBe(5);
  });

  it('samples no Gaim that is suspended, deleting, asleep or without Redis, and none whose Redis is not ready', async () => {
    const skipped = [
      named('suspended', { suspend: true }),
      named('no-redis', { redis: { enabled: false } }),
      named('asleep', {}, { hibernatedAt: '2026-12-01T00:00:00Z' }),
      testGaim({}, { metadata: { name: 'deleting', uid: 'u-deleting', deletionTimestamp: '2026-12-01T00:00:00Z', finalizers: ['x'] } }),
      named('starting'),
      named('known', {}, { queues: [] }),
    ];
    start([...skipped, named('awake')], { notReady: ['starting', 'known'] });
    await vi.advanceTimersByTimeAsync(30_000);
    expect(new Set(sampled)).toEqual(new Set(['awake']));
    // Redis not ready: a Gaim whose status shows queue figures is asked to say they are unknown now; one that shows none is left alone.
    expect(enqueued).toContain('team/known');
    expect(enqueued).not.toContain('team/starting');
  });

  it('counts a failed sample, reads the password again, and samples that Gaim again at its next turn', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.5); // first turn at 5 s, then every 10 s
    failNext.add('gaim-a');
    start([named('gaim-a')]);
    await vi.advanceTimersByTimeAsync(12_000); // the first sample, 5 to 7 s
    expect(count('gaim-a')).toBe(1);
    expect(await failedSamples()).toBe(1);
    await vi.advanceTimersByTimeAsync(11_000); // its next turn, 15 to 17 s
    expect(count('gaim-a')).toBe(2);
    expect(await failedSamples()).toBe(1);
    expect(secretReads).toBe(2); // a recreated or restored Secret would have a new password
  });

  it('stops sampling a Gaim that is gone and drops its series', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.5); // first turns at 5 s, then every 10 s
    start([named('gaim-a'), named('gaim-b')]);
    await vi.advanceTimersByTimeAsync(13_000);
    expect(count('gaim-a')).toBe(1);
    const series = async () => (await metrics.streamLength.get()).values.filter((v) => v.labels['gaim'] === 'gaim-a');
    expect(await series()).toHaveLength(1);
    caches.remove(Resources.gaim, 'team/gaim-a');
    await vi.advanceTimersByTimeAsync(30_000);
    expect(count('gaim-a')).toBe(1);
    expect(count('gaim-b')).toBe(4); // 5, 15, 25, 35 s
    expect(await series()).toEqual([]);
  });
});
