// The Gaim's credentials Secrets, read by name: the operator may not list or watch Secrets (a leak of
// its token must not read every tenant's), so it asks for exactly the two it owns, each reconcile —
// which is also how it notices a deleted one.
import type { Gaim } from '../api/v1alpha1/gaim.js';
import { errorMessage, OperatorError } from '../errors.js';
import type { KubeClient } from '../kube/client.js';
import { isNotFound } from '../kube/errors.js';
import type { KubeObject } from '../kube/objects.js';
import { Resources } from '../kube/resources.js';
import { Message } from '../messages.js';
import { objectNames } from '../resources/meta.js';

type Secret = KubeObject & { data?: Record<string, string>; stringData?: Record<string, string> };

/** Decoded data of each credentials Secret, by name; undefined where it does not exist. */
export type Credentials = ReadonlyMap<string, Readonly<Record<string, string>> | undefined>;

export async function readCredentials(gaim: Gaim, client: KubeClient, signal: AbortSignal): Promise<Credentials> {
  const names = objectNames(gaim);
  const wanted = [...(gaim.spec.mongodb.enabled ? [names.mongodbSecret] : []), ...(gaim.spec.redis.enabled ? [names.redisSecret] : [])];
  const entries = await Promise.all(wanted.map(async (name) => [name, await readSecret(gaim, name, client, signal)] as const));
  return new Map(entries);
}

async function readSecret(gaim: Gaim, name: string, client: KubeClient, signal: AbortSignal): Promise<Record<string, string> | undefined> {
  try {
    return decode(await client.get<Secret>(Resources.secret, name, gaim.metadata.namespace, signal));
  } catch (error: unknown) {
    if (isNotFound(error)) return undefined;
    throw new OperatorError('kubernetes', `${Message.readSecret(name)}: ${errorMessage(error)}`, { cause: error });
  }
}

/** A Secret's values as text: `data` decoded, or `stringData` (a Secret just built, not yet read back). */
export function decode(secret: Secret): Record<string, string> {
  const values: Record<string, string> = { ...secret.stringData };
  for (const [key, value] of Object.entries(secret.data ?? {})) values[key] = Buffer.from(value, 'base64').toString('utf8');
  return values;
}

/** The values of `keys` in a credentials Secret; a missing Secret or key is a `kubernetes` error naming it. */
export function secretValues<K extends string>(credentials: Credentials, name: string, keys: readonly K[]): Record<K, string> {
  const data = credentials.get(name);
  if (data === undefined) throw new OperatorError('kubernetes', `${Message.readSecret(name)}: it does not exist`);
  const values = {} as Record<K, string>;
  for (const key of keys) {
    const value = data[key];
    if (value === undefined) throw new OperatorError('kubernetes', `${Message.readSecret(name)}: it has no key ${key}`);
    values[key] = value;
  }
  return values;
}
