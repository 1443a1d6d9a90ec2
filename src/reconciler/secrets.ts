import type { Gaim } from '../api/v1alpha1/gaim.js';
import type { Caches } from '../controller/manager.js';
import { OperatorError } from '../errors.js';
import type { KubeClient } from '../kube/client.js';
import { isNotFound } from '../kube/errors.js';
import type { KubeObject } from '../kube/objects.js';
import { Resources } from '../kube/resources.js';
import { Message } from '../messages.js';

type Secret = KubeObject & { data?: Record<string, string> };

/**
 * Values of a Gaim's Secret, decoded: from the cache when the Secret carries the operator's labels,
 * else read once from the API (a Secret a platform team created itself). A missing Secret or key is
 * a `kubernetes` error naming it; values are never logged.
 */
export async function secretValues<K extends string>(gaim: Gaim, name: string, keys: readonly K[], deps: { caches: Caches; client: KubeClient }, signal: AbortSignal): Promise<Record<K, string>> {
  let secret = deps.caches.get<Secret>(Resources.secret, `${gaim.metadata.namespace}/${name}`);
  if (secret === undefined) {
    try {
      secret = await deps.client.get<Secret>(Resources.secret, name, gaim.metadata.namespace, signal);
    } catch (error: unknown) {
      if (isNotFound(error)) throw new OperatorError('kubernetes', `${Message.readSecret(name)}: it does not exist`, { cause: error });
      throw error;
    }
  }
  const values = {} as Record<K, string>;
  for (const key of keys) {
    const value = secret.data?.[key];
    if (value === undefined) throw new OperatorError('kubernetes', `${Message.readSecret(name)}: it has no key ${key}`);
    values[key] = Buffer.from(value, 'base64').toString('utf8');
  }
  return values;
}
