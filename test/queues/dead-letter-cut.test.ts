// The dead-letter move against a real redis-server, its connection cut after every possible number
// of moving commands: what Redis sees when the operator is SIGKILLed at that point (the commands it
// received run, the rest never arrive). After each cut a second run (the restarted operator) finishes
// the job, and every poison task must be in the dead-letter stream exactly once, none left pending.
// The same harness run on a move split into separate XADD and XACK calls finds the duplicate a kill
// between them leaves: the atomic Lua move is what the property rests on, and this test would see it go.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, connect, type Server } from 'node:net';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runQueueActions, sampleQueues, type QueueSample } from '../../src/seeders/redis-queues.js';
import type { RedisTarget } from '../../src/seeders/redis.js';
import { freePort } from '../../stack/ports.js';
import { repoRoot } from '../../stack/stack.js';
import { eventually } from '../support/stack.js';

const STREAM = 'gaim:tasks:stage';
const GROUP = 'gaim:workers:stage';
const DLQ = 'gaim:tasks:stage:dlq';
const TASKS = 6;
const MAX_DELIVERIES = 3;
/** The commands that move a task; a cut is placed after any number of them. */
const MOVING = new Set(['EVAL', 'EVALSHA', 'XADD', 'XACK']);

/**
 * A TCP proxy to Redis that forwards whole commands (RESP arrays) and, at the (allowed + 1)-th moving
 * command, closes both sides: the commands before it reach Redis, it and everything after do not.
 */
class CuttingProxy {
  #moving = 0;
  readonly #server: Server;
  /** Each upstream connection's end: Redis closes its side once it has run everything it received. */
  readonly #upstreams: Promise<void>[] = [];
  private constructor(readonly port: number, redisPort: number, allowed: number) {
    this.#server = createServer((client) => {
      const upstream = connect(redisPort, '127.0.0.1');
      this.#upstreams.push(new Promise((resolve) => upstream.once('close', () => { resolve(); })));
      let buffered = Buffer.alloc(0);
      upstream.on('data', (data) => client.write(data));
      upstream.on('error', () => client.destroy());
      client.on('error', () => upstream.destroy());
      client.on('close', () => upstream.end());
      client.on('data', (data) => {
        buffered = Buffer.concat([buffered, data]);
        for (let command = nextCommand(buffered); command !== undefined; command = nextCommand(buffered)) {
          if (MOVING.has(command.name)) {
            if (this.#moving === allowed) {
              // The process dies here: what Redis has received runs, nothing more arrives.
              upstream.end();
              client.destroy();
              return;
            }
            this.#moving += 1;
          }
          upstream.write(buffered.subarray(0, command.length));
          buffered = buffered.subarray(command.length);
        }
      });
    });
    this.#server.listen(port, '127.0.0.1');
  }

  static async start(redisPort: number, allowed: number): Promise<CuttingProxy> {
    return new CuttingProxy(await freePort(), redisPort, allowed);
  }

  /** Stops accepting and waits until Redis has run what it received and closed every connection. */
  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.#server.close(() => { resolve(); }));
    await Promise.all(this.#upstreams);
  }
}

/** The first whole RESP command in `buffer`: its upper-cased name and length in bytes, or undefined. */
function nextCommand(buffer: Buffer): { name: string; length: number } | undefined {
  const line = (from: number) => {
    const end = buffer.indexOf('\r\n', from);
    return end === -1 ? undefined : { text: buffer.toString('utf8', from, end), next: end + 2 };
  };
  const header = line(0);
  if (header === undefined) return undefined;
  if (!header.text.startsWith('*')) throw new Error(`not a RESP array: ${header.text}`);
  let at = header.next;
  let name = '';
  for (let i = 0; i < Number(header.text.slice(1)); i++) {
    const size = line(at);
    if (size === undefined) return undefined;
    const start = size.next;
    const end = start + Number(size.text.slice(1));
    if (buffer.length < end + 2) return undefined;
    if (i === 0) name = buffer.toString('utf8', start, end).toUpperCase();
    at = end + 2;
  }
  return { name, length: at };
}

/** A move as it must not be written: read, add and acknowledge as three separate calls. */
async function splitMove(target: RedisTarget, sample: QueueSample): Promise<void> {
  const [host, port] = target.address.split(':');
  const redis = new Redis({ host, port: Number(port), lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    for (const task of sample.poison) {
      const [entry] = await redis.xrange(STREAM, task.id, task.id);
      await redis.xadd(DLQ, '*', ...(entry?.[1] ?? []), 'error', 'moved', 'timestamp', new Date().toISOString(), 'retry_count', String(task.deliveries));
      await redis.xack(STREAM, GROUP, task.id);
    }
  } finally {
    redis.disconnect();
  }
}

describe('the dead-letter move, cut by a kill after any of its commands', () => {
  let server: ChildProcess | undefined;
  let port = 0;
  let admin: Redis | undefined;

  beforeAll(async () => {
    port = await freePort();
    server = spawn(join(repoRoot, 'bin', 'redis-server'), ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    admin = await eventually('redis-server to answer', async () => {
      const client = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
      client.on('error', () => undefined);
      const answer = await client.connect().then(() => client.ping()).catch(() => undefined);
      if (answer === 'PONG') return client;
      client.disconnect();
      return undefined;
    }, 20_000);
  });
  afterAll(() => {
    admin?.disconnect();
    server?.kill('SIGKILL');
  });

  /** TASKS poison tasks, each delivered MAX_DELIVERIES times, and the sample the operator would take. */
  async function poisoned(): Promise<{ ids: string[]; sample: QueueSample }> {
    const redis = admin as Redis;
    await redis.flushall();
    await redis.xgroup('CREATE', STREAM, GROUP, '$', 'MKSTREAM');
    const ids: string[] = [];
    for (let i = 0; i < TASKS; i++) ids.push(await redis.xadd(STREAM, '*', 'task_name', 'process_query', 'task_id', `p${String(i)}`, 'args', '{}', 'enqueued_at', 'then') ?? '');
    await redis.xreadgroup('GROUP', GROUP, 'worker-1', 'COUNT', String(TASKS), 'STREAMS', STREAM, '>');
    for (let round = 1; round < MAX_DELIVERIES; round++) await redis.xclaim(STREAM, GROUP, 'worker-2', 0, ...ids);
    const [sample] = await sampleQueues(direct(), ['stage'], MAX_DELIVERIES);
    if (sample === undefined) throw new Error('no sample');
    expect(sample.poison).toHaveLength(TASKS);
    return { ids, sample };
  }
  const direct = (): RedisTarget => ({ address: `127.0.0.1:${String(port)}`, password: '' });

  /** Kills the mover after each possible number of its moving commands, restarts it, and says what the queue holds. */
  async function everyCut(move: (target: RedisTarget, sample: QueueSample) => Promise<unknown>): Promise<{ cut: number; letters: string[]; pending: number }[]> {
    const outcomes = [];
    for (let cut = 0; ; cut++) {
      await poisoned();
      const proxy = await CuttingProxy.start(port, cut);
      let finished = false;
      try {
        await move({ address: `127.0.0.1:${String(proxy.port)}`, password: '' }, (await sampleQueues(direct(), ['stage'], MAX_DELIVERIES))[0] as QueueSample);
        finished = true;
      } catch {
        // killed at this cut
      } finally {
        await proxy.close();
      }
      // The restarted operator samples again and finishes.
      await move(direct(), (await sampleQueues(direct(), ['stage'], MAX_DELIVERIES))[0] as QueueSample);
      const letters = (await (admin as Redis).xrange(DLQ, '-', '+')).map(([, kv]) => kv[kv.indexOf('task_id') + 1] ?? '').sort();
      const pending = ((await (admin as Redis).xpending(STREAM, GROUP)) as [number])[0];
      outcomes.push({ cut, letters, pending });
      if (finished) return outcomes; // the cut came after its last moving command: every point was tried
    }
  }

  const everyTaskOnce = Array.from({ length: TASKS }, (_, i) => `p${String(i)}`).sort();

  it('loses and doubles no task, wherever the kill lands (the Lua move)', async () => {
    const outcomes = await everyCut((target, sample) => runQueueActions(target, sample, { maxDeliveries: MAX_DELIVERIES }));
    for (const outcome of outcomes) expect(outcome, `killed after ${String(outcome.cut)} moving commands`).toEqual({ cut: outcome.cut, letters: everyTaskOnce, pending: 0 });
    expect(outcomes.map((o) => o.cut)).toEqual(Array.from({ length: TASKS + 1 }, (_, i) => i)); // one script per task, each cut tried
  });

  it('would see a move split into XADD and XACK: a kill between them doubles a task', async () => {
    const outcomes = await everyCut(splitMove);
    const doubled = outcomes.filter((o) => o.letters.length > TASKS);
    expect(doubled.length).toBeGreaterThan(0);
    for (const outcome of doubled) expect(outcome.cut % 2, 'each doubling is a kill between an XADD and its XACK').toBe(1);
  });
});
