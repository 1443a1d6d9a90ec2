import { Redis } from 'ioredis';
import type { Environment } from '../api/v1alpha1/gaim.js';
import { consumerGroup, deadLetterStream, taskStream } from '../datamodel.js';
import { abortedByDeadline, errorMessage, wrap } from '../errors.js';
import { Message } from '../messages.js';
import { redisAclCommand } from '../resources/rotation.js';

/**
 * Creates an empty stream only when the key does not exist: XADD a marker entry and XDEL it in one
 * atomic step. The stream then exists (empty) before the first failure is ever dead-lettered, so
 * tools that read or monitor it find it; an existing key is never touched.
 */
const CREATE_EMPTY_STREAM = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local id = redis.call('XADD', KEYS[1], '*', 'seeded_by', 'gaim-operator')
redis.call('XDEL', KEYS[1], id)
return 1`;

/** Where a GAIM's Redis listens, and the user (Redis's default user without one) to connect as. */
export interface RedisTarget {
  /** host:port */
  readonly address: string;
  readonly username?: string;
  readonly password: string;
}

export interface RedisSeedReport {
  readonly created: string[];
}

/**
 * Seeds each environment's task stream with its consumer group, and the dead-letter stream. An
 * existing group is left alone (BUSYGROUP); a new group on an existing stream starts at its first
 * entry, so no queued task is skipped. The connection lives for this call only and is dropped when
 * `signal` aborts.
 */
export async function seedRedis(target: RedisTarget, environments: readonly Environment[], signal?: AbortSignal): Promise<RedisSeedReport> {
  const created: string[] = [];
  await withRedis(target, Message.seedRedis, signal, async (redis) => {
    for (const env of environments) {
      try {
        await redis.xgroup('CREATE', taskStream(env), consumerGroup(env), '0', 'MKSTREAM');
        created.push(`${taskStream(env)} group ${consumerGroup(env)}`);
      } catch (error: unknown) {
        if (!(error instanceof Error && error.message.startsWith('BUSYGROUP'))) throw error;
      }
      if ((await redis.eval(CREATE_EMPTY_STREAM, 1, deadLetterStream(env))) === 1) created.push(deadLetterStream(env));
    }
  });
  return { created };
}

/**
 * Makes `user` accept exactly `passwords` (a credential rotation's apply and expire steps: see
 * resources/rotation.ts). Connections already authenticated stay so; only new AUTHs are checked.
 */
export async function setUserPasswords(target: RedisTarget, user: string, passwords: readonly string[], signal?: AbortSignal): Promise<void> {
  const [command, ...args] = redisAclCommand(user, passwords);
  await withRedis(target, Message.rotateCredentials('redis'), signal, async (redis) => {
    await redis.call(command ?? 'ACL', ...args);
  });
}

/** What a backup's flush found: the append-only file rewritten, or Redis keeping none. */
export type AofFlush = 'rewritten' | 'no-aof';

/**
 * Before a snapshot: BGREWRITEAOF, and waits until it is done. The rewrite's base file holds every
 * write acknowledged before it started, fsynced; with appendfsync everysec, a snapshot right after it
 * can lose at most the last second of writes (as a crash could). A rewrite already running is
 * waited for. Works on Redis 7.0 (WAITAOF, which would do it per write, is 7.2).
 */
export async function rewriteAppendOnlyFile(target: RedisTarget, timeoutMs: number, signal?: AbortSignal): Promise<AofFlush> {
  let outcome: AofFlush = 'rewritten';
  await withRedis(target, Message.flushRedis, signal, async (redis) => {
    const persistence = async (): Promise<Record<string, string>> =>
      Object.fromEntries((await redis.info('persistence')).split(/\r?\n/).filter((l) => l.includes(':')).map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1)]));
    const deadline = Date.now() + timeoutMs;
    const idle = (info: Record<string, string>) => info['aof_rewrite_in_progress'] === '0' && info['aof_rewrite_scheduled'] === '0';
    const waitIdle = async (): Promise<Record<string, string>> => {
      for (;;) {
        const info = await persistence();
        if (idle(info)) return info;
        if (Date.now() > deadline) throw new Error(`the append-only file rewrite did not finish within ${String(timeoutMs / 1000)}s`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    };
    let info = await persistence();
    if (info['aof_enabled'] !== '1') { outcome = 'no-aof'; return; }
    // A rewrite that started before this call holds less than it must: let it end, then start ours.
    info = await waitIdle();
    const done = Number(info['aof_rewrites'] ?? '0');
    await redis.call('BGREWRITEAOF');
    info = await waitIdle();
    if (info['aof_last_bgrewrite_status'] !== 'ok') throw new Error(`the append-only file rewrite failed (aof_last_bgrewrite_status: ${info['aof_last_bgrewrite_status'] ?? '?'})`);
    // aof_rewrites (Redis 7.0+) counts finished rewrites: ours is among them.
    if (info['aof_rewrites'] !== undefined && Number(info['aof_rewrites']) <= done) throw new Error('the append-only file rewrite did not run');
  });
  return outcome;
}

const CONNECT_TIMEOUT_MS = 10_000;

/** One connection for `work`, dropped afterwards or when `signal` aborts; errors become OperatorErrors. */
export async function withRedis(target: RedisTarget, what: string, signal: AbortSignal | undefined, work: (redis: Redis) => Promise<void>): Promise<void> {
  const separator = target.address.lastIndexOf(':');
  const redis = new Redis({
    host: target.address.slice(0, separator), port: Number(target.address.slice(separator + 1)),
    ...(target.username === undefined ? {} : { username: target.username }), password: target.password,
    lazyConnect: true, connectTimeout: CONNECT_TIMEOUT_MS, commandTimeout: 10_000,
    maxRetriesPerRequest: 1, retryStrategy: () => null, enableOfflineQueue: false,
  });
  redis.on('error', () => undefined); // failures surface through the commands' rejections
  // Reached but never ready: a server that accepts the connection and does not answer, closed by the
  // connect timeout — a timeout, not a refusal (which never reaches `connect`).
  let reached = false;
  redis.once('connect', () => { reached = true; });
  const abort = () => { redis.disconnect(); };
  signal?.addEventListener('abort', abort, { once: true });
  try {
    signal?.throwIfAborted();
    await redis.connect().catch((error: unknown) => {
      if (reached && errorMessage(error) === 'Connection is closed.') {
        throw Object.assign(new Error(`connected, but the server did not answer within ${String(CONNECT_TIMEOUT_MS / 1000)}s`), { code: 'ETIMEDOUT' });
      }
      throw error;
    });
    await work(redis);
  } catch (error: unknown) {
    const timedOut = isTimeout(error) || (signal !== undefined && abortedByDeadline(signal));
    throw wrap(error, what, { type: timedOut ? 'timeout' : 'redis', reason: timedOut ? 'RedisTimeout' : 'RedisSeedFailed' });
  } finally {
    signal?.removeEventListener('abort', abort);
    redis.disconnect();
  }
}

/** ioredis's own timeouts: the connect timeout (ETIMEDOUT) and the command timeout. */
function isTimeout(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === 'ETIMEDOUT' || (error instanceof Error && error.message === 'Command timed out');
}
