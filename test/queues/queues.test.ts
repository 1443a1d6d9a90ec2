// Queue health against the stack's real redis-server, one per Gaim: tasks nobody consumes raise the
// lag, a task read and never acknowledged shows as pending, a task delivered maxDeliveries times ends
// up once in the dead-letter stream in the data model's format — and twenty of them survive a SIGKILL
// of the operator in the middle, none lost, none twice; an idle consumer with nothing pending goes,
// one with pending entries stays; and 100 Gaims are sampled within the configured rate, counted on
// the Redis servers' side.
import { readFile } from 'node:fs/promises';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { Resources } from '../../src/kube/resources.js';
import type { KubeObject } from '../../src/kube/objects.js';
import { COMMANDS_PER_SAMPLE } from '../../src/seeders/redis-queues.js';
import { metricValue } from '../support/operator-process.js';
import { createGaim } from '../support/gaims.js';
import { condition, isSynced, waitForGaim, type GaimObject } from '../support/operator.js';
import { createNamespace, eventually, stackEnv } from '../support/stack.js';
import { useSuite } from '../support/suite.js';

type Secret = KubeObject & { data?: Record<string, string> };
type QueueEntry = { env: string; length: number; lag?: number; pending: number; oldestPendingSeconds: number; maxDeliveries: number; consumers: number; consumersIdle: number; dlqLength: number };
const queuesOf = (g: GaimObject) => (g.status as { queues?: QueueEntry[] } | undefined)?.queues ?? [];
const STREAM = 'gaim:tasks:stage';
const GROUP = 'gaim:workers:stage';
const DLQ = 'gaim:tasks:stage:dlq';

describe('queue health', () => {
  const suite = useSuite();

  /** The Gaim's own Redis, as its workers reach it (the apps' password). */
  async function redisOf(ns: string, gaim: string): Promise<Redis> {
    const map = JSON.parse(await readFile(stackEnv().STORE_ADDRESS_MAP, 'utf8')) as Record<string, string>;
    const [host = '', port = ''] = (map[`${gaim}-redis.${ns}.svc.cluster.local:6379`] ?? '').split(':');
    const { data = {} } = await suite.client.get<Secret>(Resources.secret, `${gaim}-redis-credentials`, ns);
    const redis = new Redis({ host, port: Number(port), password: Buffer.from(data['password'] ?? '', 'base64').toString('utf8'), maxRetriesPerRequest: 1 });
    redis.on('error', () => undefined);
    return redis;
  }
  const task = (id: string) => ['task_name', 'process_query', 'task_id', id, 'args', JSON.stringify({ query_id: `q-${id}`, user_id: 'dent42' }), 'enqueued_at', new Date().toISOString()];

  it('reports lag, pending and the oldest pending task, and says the consumers stalled', async () => {
    const operator = await suite.operator('', { GAIM_QUEUE_SAMPLE_SECONDS: '2' });
    const ns = await createNamespace('queues');
    await createGaim(suite.client, ns, 'que');
    await waitForGaim(suite.client, ns, 'que', 'to be Synced', isSynced, 120_000);
    const redis = await redisOf(ns, 'que');
    for (let i = 0; i < 5; i++) await redis.xadd(STREAM, '*', ...task(`t${String(i)}`));
    const labels = { namespace: ns, gaim: 'que', env: 'stage' };
    await eventually('gaim_stream_lag to count the 5 undelivered tasks', async () => (metricValue(await operator.metrics(), 'gaim_stream_lag', labels) === 5 ? true : undefined));
    const stalled = await waitForGaim(suite.client, ns, 'que', 'to say its consumers stalled', (g) => condition(g, 'QueuesHealthy')?.reason === 'ConsumersStalled');
    expect(queuesOf(stalled).find((q) => q.env === 'stage')).toMatchObject({ length: 5, lag: 5, pending: 0, consumers: 0 });

    // A worker reads one and dies without acknowledging it.
    await redis.xreadgroup('GROUP', GROUP, 'worker-1', 'COUNT', '1', 'STREAMS', STREAM, '>');
    await eventually('gaim_stream_pending to show it', async () => {
      const text = await operator.metrics();
      return metricValue(text, 'gaim_stream_pending', labels) === 1 && metricValue(text, 'gaim_stream_lag', labels) === 4 ? text : undefined;
    });
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(metricValue(await operator.metrics(), 'gaim_stream_oldest_pending_seconds', labels)).toBeGreaterThanOrEqual(2);
    expect(metricValue(await operator.metrics(), 'gaim_stream_max_deliveries', labels)).toBe(1);
    const events = (await suite.client.list<KubeObject & { reason?: string }>(Resources.event, { namespace: ns })).items.map((e) => e.reason);
    expect(events).toContain('QueuesConsumersStalled');
    redis.disconnect();
  });

  it('dead-letters a task delivered maxDeliveries times, once, in the data model\'s format — and loses or doubles none across a SIGKILL', async () => {
    const ns = await createNamespace('poison');
    // Sampled rarely until the test has made its poison tasks.
    const quiet = await suite.operator('', { GAIM_QUEUE_SAMPLE_SECONDS: '3600' });
    await createGaim(suite.client, ns, 'poi', { redis: { queues: { maxDeliveries: 3 } } });
    await waitForGaim(suite.client, ns, 'poi', 'to be Synced', isSynced, 120_000);
    await quiet.stop();
    const redis = await redisOf(ns, 'poi');
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) ids.push(await redis.xadd(STREAM, '*', ...task(`p${String(i)}`)) ?? '');
    await redis.xreadgroup('GROUP', GROUP, 'worker-1', 'COUNT', '20', 'STREAMS', STREAM, '>');
    // Two more deliveries each (as a worker that keeps crashing and re-claiming would).
    for (let round = 0; round < 2; round++) await redis.xclaim(STREAM, GROUP, 'worker-2', 0, ...ids);

    // End to end, the kill lands wherever the operator is; that no kill point can lose or double a
    // task is proven cut by cut in dead-letter-cut.test.ts.
    const first = await suite.operator('', { GAIM_QUEUE_SAMPLE_SECONDS: '1' });
    await eventually('the operator to have moved some', async () => ((await redis.xlen(DLQ)) > 0 ? true : undefined), 30_000);
    first.kill('SIGKILL');
    await first.exited;
    await suite.operator('', { GAIM_QUEUE_SAMPLE_SECONDS: '1' });
    await eventually('every poison task to be dead-lettered', async () => ((await redis.xpending(STREAM, GROUP) as [number])[0] === 0 ? true : undefined), 30_000);
    const letters = (await redis.xrange(DLQ, '-', '+')).map(([, kv]) => Object.fromEntries(Array.from({ length: kv.length / 2 }, (_, i) => [kv[2 * i], kv[2 * i + 1]])) as Record<string, string>);
    expect(letters.map((l) => l['task_id']).sort()).toEqual(ids.map((_, i) => `p${String(i)}`).sort());
    for (const letter of letters) {
      expect(Object.keys(letter).sort()).toEqual(['args', 'enqueued_at', 'error', 'retry_count', 'task_id', 'task_name', 'timestamp']);
      expect(letter['retry_count']).toBe('3');
      expect(letter['error']).toContain('delivered 3 times');
      expect(JSON.parse(letter['args'] ?? '{}')).toMatchObject({ user_id: 'dent42' });
      expect(Date.parse(letter['timestamp'] ?? '')).toBeGreaterThan(0);
    }
    // The event is the operator's word on a move, written after it: the killed operator may have moved
    // every task and died before saying so, leaving the next one nothing to move. So one more poison
    // task, moved by the operator that lives, and its event waited for.
    const last = await redis.xadd(STREAM, '*', ...task('p20')) ?? '';
    await redis.xreadgroup('GROUP', GROUP, 'worker-1', 'COUNT', '1', 'STREAMS', STREAM, '>');
    for (let round = 0; round < 2; round++) await redis.xclaim(STREAM, GROUP, 'worker-2', 0, last);
    await eventually('the last one to be dead-lettered too', async () => ((await redis.xlen(DLQ)) === 21 ? true : undefined), 30_000);
    await eventually('a TaskDeadLettered event', async () => {
      const reasons = (await suite.client.list<KubeObject & { reason?: string }>(Resources.event, { namespace: ns })).items.map((e) => e.reason);
      return reasons.includes('TaskDeadLettered') ? true : undefined;
    }, 30_000);
    expect((await redis.xpending(STREAM, GROUP) as [number])[0]).toBe(0);
    redis.disconnect();
  });

  it('removes a consumer idle with nothing pending, never one with pending entries', async () => {
    await suite.operator('', { GAIM_QUEUE_SAMPLE_SECONDS: '1' });
    const ns = await createNamespace('idle');
    await createGaim(suite.client, ns, 'idl', { redis: { queues: { removeIdleConsumersAfter: '3s' } } });
    await waitForGaim(suite.client, ns, 'idl', 'to be Synced', isSynced, 120_000);
    const redis = await redisOf(ns, 'idl');
    await redis.xadd(STREAM, '*', ...task('kept'));
    await redis.xreadgroup('GROUP', GROUP, 'busy', 'COUNT', '1', 'STREAMS', STREAM, '>');
    await redis.call('XGROUP', 'CREATECONSUMER', STREAM, GROUP, 'idle');
    const names = async () => ((await redis.call('XINFO', 'CONSUMERS', STREAM, GROUP)) as unknown[][]).map((c) => String(c[1])).sort();
    expect(await names()).toEqual(['busy', 'idle']);
    await eventually('the idle consumer to be removed', async () => ((await names()).includes('idle') ? undefined : true), 30_000);
    await new Promise((resolve) => setTimeout(resolve, 5000)); // several more samples: the busy one, idle too, stays
    expect(await names()).toEqual(['busy']);
    redis.disconnect();
  });

  it('samples 100 Gaims within the configured rate, counted by their Redis servers', async () => {
    await suite.crowd();
    const interval = 10;
    const operator = await suite.operator('', { GAIM_QUEUE_SAMPLE_SECONDS: String(interval) });
    const namespaces = await Promise.all(Array.from({ length: 100 }, () => createNamespace('rate')));
    // Redis only: the prober's rate is the question, not MongoDB's start-up.
    await Promise.all(namespaces.map((ns, i) => createGaim(suite.client, ns, `rate${String(i)}`, { mongodb: { enabled: false } })));
    for (const [i, ns] of namespaces.entries()) await waitForGaim(suite.client, ns, `rate${String(i)}`, 'to be Synced', isSynced, 600_000);
    const servers = await Promise.all(namespaces.map((ns, i) => redisOf(ns, `rate${String(i)}`)));
    // The prober's commands, as each server counts them (INFO commandstats; the test's own INFO is not among them).
    const probed = async () => {
      let total = 0;
      for (const redis of servers) {
        const stats = await redis.info('commandstats');
        for (const command of ['xlen', 'xinfo|groups', 'xinfo|consumers', 'xpending', 'xinfo|stream']) total += Number(new RegExp(`cmdstat_${command.replace('|', '\\|')}:calls=(\\d+)`).exec(stats)?.[1] ?? 0);
      }
      return total;
    };
    const window = 60_000;
    const before = await probed();
    await new Promise((resolve) => setTimeout(resolve, window));
    const sent = (await probed()) - before;
    // COMMANDS_PER_SAMPLE (6) per environment per sample, each Gaim sampled every interval (±10 %).
    const bound = 100 * COMMANDS_PER_SAMPLE * Math.ceil(window / 1000 / (interval * 0.9));
    console.log(`[queues] the prober sent ${String(sent)} commands in ${String(window / 1000)} s to 100 Gaims' Redis servers (bound ${String(bound)})`);
    expect(sent).toBeLessThanOrEqual(bound);
    // And it did sample them all: at least four rounds' worth in the minute.
    expect(sent).toBeGreaterThanOrEqual(100 * COMMANDS_PER_SAMPLE * 4);
    expect(metricValue(await operator.metrics(), 'gaim_queue_samples_total', { result: 'failed' }) ?? 0).toBe(0);
    for (const redis of servers) redis.disconnect();
  }, 900_000); // a hundred Gaims on two cores, after the crowd before it (suite.crowd)
});
