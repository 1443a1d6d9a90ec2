// A Gaim's task queues, as Redis tells them: one sample per environment (length, lag, pending,
// oldest pending, deliveries, consumers, dead letters) in one pipelined round trip, and the two
// auto-pilot actions, each one Lua script so that an operator killed half-way loses or duplicates
// nothing: moving a poison task to the dead-letter stream and acknowledging it happen together or not
// at all; deleting an idle consumer checks, in the same step, that it holds no pending entry.
import type { Redis } from 'ioredis';
import type { Environment } from '../api/v1alpha1/gaim.js';
import { consumerGroup, deadLetterStream, taskStream } from '../datamodel.js';
import { Message } from '../messages.js';
import type { QueueFigures } from '../resources/queue-health.js';
import { withRedis, type RedisTarget } from './redis.js';

/** What one environment's queue looks like now, and what the auto-pilot may act on. */
export interface QueueSample extends QueueFigures {
  /** Pending entries delivered at least `poisonAt` times: id and deliveries. */
  readonly poison: readonly { readonly id: string; readonly deliveries: number }[];
  /** Consumers with nothing pending, and how long they have been idle. */
  readonly idleConsumers: readonly { readonly name: string; readonly idleMs: number }[];
  /** The id of the stream's newest entry ever added (XINFO STREAM last-generated-id; '' without a stream): a new entry changes it. */
  readonly lastId: string;
}

/** How many of the oldest pending entries a sample looks at: bounded work per sample. */
export const PENDING_SCAN = 100;
/** A consumer without any interaction for this long counts as idle. */
export const IDLE_CONSUMER_MS = 60_000;
/** Commands one environment's sample sends (one pipeline). */
export const COMMANDS_PER_SAMPLE = 6;

type Entries = (string | number)[];
const fields = (reply: unknown): Record<string, unknown> => {
  const list = reply as unknown[];
  const out: Record<string, unknown> = {};
  for (let i = 0; i + 1 < list.length; i += 2) out[String(list[i])] = list[i + 1];
  return out;
};
const idTime = (id: string) => Number(id.split('-')[0]);
/** XINFO STREAM's last-generated-id: the id of the last entry added, which XDEL and XTRIM do not move back (redis.io/docs/latest/commands/xinfo-stream/). */
const lastGeneratedId = (reply: unknown): string => {
  const id = reply === undefined ? undefined : fields(reply)['last-generated-id'];
  return typeof id === 'string' ? id : '';
};

/** Samples every environment of a Gaim's Redis, `poisonAt` naming the deliveries that make a task poison. */
export async function sampleQueues(target: RedisTarget, environments: readonly Environment[], poisonAt: number, signal?: AbortSignal): Promise<QueueSample[]> {
  const samples: QueueSample[] = [];
  await withRedis(target, Message.sampleQueues, signal, async (redis) => {
    for (const env of environments) samples.push(await sampleOne(redis, env, poisonAt));
  });
  return samples;
}

async function sampleOne(redis: Redis, env: Environment, poisonAt: number): Promise<QueueSample> {
  const stream = taskStream(env);
  const group = consumerGroup(env);
  const replies = await redis.pipeline()
    .xlen(stream)
    .call('XINFO', 'GROUPS', stream)
    .call('XINFO', 'CONSUMERS', stream, group)
    .call('XPENDING', stream, group, '-', '+', String(PENDING_SCAN))
    .xlen(deadLetterStream(env))
    .call('XINFO', 'STREAM', stream)
    .exec();
  // A stream or group that does not exist (not seeded yet, or deleted by someone) reads as empty.
  const value = (i: number): unknown => { const [error, result] = replies?.[i] ?? [null, undefined]; return error === null ? result : undefined; };
  const groupInfo = ((value(1) as unknown[] | undefined) ?? []).map(fields).find((g) => g['name'] === group);
  const consumers = ((value(2) as unknown[] | undefined) ?? []).map(fields);
  const pendingEntries = ((value(3) as Entries[] | undefined) ?? []).map((e) => ({ id: String(e[0]), deliveries: Number(e[3]) }));
  const oldest = pendingEntries[0];
  const lag = groupInfo?.['lag'];
  return {
    env,
    length: Number(value(0) ?? 0),
    ...(typeof lag === 'number' ? { lag } : {}),
    pending: Number(groupInfo?.['pending'] ?? 0),
    oldestPendingSeconds: oldest === undefined ? 0 : Math.max(0, Math.floor((Date.now() - idTime(oldest.id)) / 1000)),
    maxDeliveries: Math.max(0, ...pendingEntries.map((e) => e.deliveries)),
    consumers: consumers.length,
    consumersIdle: consumers.filter((c) => Number(c['idle'] ?? 0) > IDLE_CONSUMER_MS).length,
    dlqLength: Number(value(4) ?? 0),
    poison: pendingEntries.filter((e) => e.deliveries >= poisonAt),
    idleConsumers: consumers.filter((c) => Number(c['pending'] ?? 0) === 0).map((c) => ({ name: String(c['name']), idleMs: Number(c['idle'] ?? 0) })),
    lastId: lastGeneratedId(value(5)),
  };
}

/**
 * Connections to the Gaim's Redis of any user but `operatorUser` (CLIENT LIST, every type: a
 * subscriber counts): the apps' clients. CLIENT LIST's `user` field is "the authenticated username of
 * the client", one connection per line (redis.io/docs/latest/commands/client-list/).
 * The operator's own — this prober, the seeder, the pods' readiness probe — log in as its user.
 */
export async function otherClients(target: RedisTarget, operatorUser: string, signal?: AbortSignal): Promise<number> {
  let count = 0;
  await withRedis(target, Message.sampleQueues, signal, async (redis) => {
    const list = String(await redis.call('CLIENT', 'LIST'));
    const users = list.split('\n').map((line) => line.trim().split(' ').find((f) => f.startsWith('user='))?.slice('user='.length)).filter((u) => u !== undefined);
    count = users.filter((u) => u !== operatorUser).length;
  });
  return count;
}

/**
 * Moves one pending task to the dead-letter stream, in the data model's dead-letter entry format
 * (the task's fields, `error`, `timestamp`, `retry_count`), and acknowledges it, atomically: only if
 * it is still pending with at least ARGV[3] deliveries (a worker may have acknowledged it since the
 * sample, or an earlier run moved it), so a retry after a crash never moves it twice.
 */
const DEAD_LETTER = `
local pending = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[2], ARGV[2], 1)
if #pending == 0 or tonumber(pending[1][4]) < tonumber(ARGV[3]) then return 0 end
local entry = redis.call('XRANGE', KEYS[1], ARGV[2], ARGV[2])
local fields = {}
if #entry > 0 then
  local kv = entry[1][2]
  for i = 1, #kv, 2 do
    if kv[i] ~= 'error' and kv[i] ~= 'timestamp' and kv[i] ~= 'retry_count' then
      table.insert(fields, kv[i]); table.insert(fields, kv[i + 1])
    end
  end
end
table.insert(fields, 'error'); table.insert(fields, ARGV[4])
table.insert(fields, 'timestamp'); table.insert(fields, ARGV[5])
table.insert(fields, 'retry_count'); table.insert(fields, tostring(pending[1][4]))
redis.call('XADD', KEYS[2], '*', unpack(fields))
redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
return 1`;

/**
 * Deletes a consumer only if it holds no pending entry and has been idle at least ARGV[3] ms, checked
 * in the same atomic step: XGROUP DELCONSUMER would drop a consumer's pending entries with it.
 */
const REMOVE_IDLE_CONSUMER = `
local consumers = redis.call('XINFO', 'CONSUMERS', KEYS[1], ARGV[1])
for _, c in ipairs(consumers) do
  local info = {}
  for i = 1, #c, 2 do info[c[i]] = c[i + 1] end
  if info['name'] == ARGV[2] then
    if tonumber(info['pending']) ~= 0 or tonumber(info['idle']) < tonumber(ARGV[3]) then return 0 end
    redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], ARGV[2])
    return 1
  end
end
return 0`;

export interface QueueActions {
  /** Task ids moved to the dead-letter stream. */
  readonly deadLettered: readonly string[];
  /** Consumers deleted. */
  readonly removed: readonly string[];
}

/** Runs the auto-pilot on one environment's sample: poison tasks out, idle consumers gone. */
export async function runQueueActions(target: RedisTarget, sample: QueueSample, actions: { maxDeliveries?: number | undefined; removeIdleAfterMs?: number | undefined }, signal?: AbortSignal): Promise<QueueActions> {
  const deadLettered: string[] = [];
  const removed: string[] = [];
  const stream = taskStream(sample.env);
  const group = consumerGroup(sample.env);
  await withRedis(target, Message.queueActions, signal, async (redis) => {
    if (actions.maxDeliveries !== undefined) {
      for (const task of sample.poison.filter((p) => p.deliveries >= (actions.maxDeliveries ?? Infinity))) {
        const error = `delivered ${String(task.deliveries)} times without being acknowledged (spec.redis.queues.maxDeliveries: ${String(actions.maxDeliveries)}); moved by gaim-operator`;
        const moved = await redis.eval(DEAD_LETTER, 2, stream, deadLetterStream(sample.env), group, task.id, String(actions.maxDeliveries), error, new Date().toISOString());
        if (moved === 1) deadLettered.push(task.id);
      }
    }
    if (actions.removeIdleAfterMs !== undefined) {
      for (const consumer of sample.idleConsumers.filter((c) => c.idleMs >= (actions.removeIdleAfterMs ?? Infinity))) {
        const gone = await redis.eval(REMOVE_IDLE_CONSUMER, 1, stream, group, consumer.name, String(actions.removeIdleAfterMs));
        if (gone === 1) removed.push(consumer.name);
      }
    }
  });
  return { deadLettered, removed };
}
