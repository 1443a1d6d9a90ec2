import type { Redis } from 'ioredis';
import type { Environment } from '../api/v1alpha1/gaim.js';
import { consumerGroup, deadLetterStream, taskStream } from '../datamodel.js';
import { OperatorError } from '../errors.js';

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

export interface RedisSeedReport {
  readonly created: string[];
}

/**
 * Seeds each environment's task stream with its consumer group, and the dead-letter stream. An
 * existing group is left alone (BUSYGROUP); a new group on an existing stream starts at its first
 * entry, so no queued task is skipped.
 */
export async function seedRedis(redis: Redis, environments: readonly Environment[]): Promise<RedisSeedReport> {
  const created: string[] = [];
  try {
    for (const env of environments) {
      try {
        await redis.xgroup('CREATE', taskStream(env), consumerGroup(env), '0', 'MKSTREAM');
        created.push(`${taskStream(env)} group ${consumerGroup(env)}`);
      } catch (error: unknown) {
        if (!(error instanceof Error && error.message.startsWith('BUSYGROUP'))) throw error;
      }
      if ((await redis.eval(CREATE_EMPTY_STREAM, 1, deadLetterStream(env))) === 1) created.push(deadLetterStream(env));
    }
  } catch (error: unknown) {
    throw new OperatorError('redis', `cannot seed redis: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  return { created };
}
