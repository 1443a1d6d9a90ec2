// The Gaim's credentials Secrets, read by name: the operator may not list or watch Secrets (a leak of
// its token must not read every tenant's), so it asks for exactly the two it owns, each reconcile —
// which is also how it notices a deleted one.
import type { Gaim } from '../../api/v1alpha1/gaim.js';
import { OperatorError, wrap } from '../../errors.js';
import type { KubeClient } from '../../kube/client.js';
import { isNotFound } from '../../kube/errors.js';
import type { KubeObject } from '../../kube/objects.js';
import { Resources } from '../../kube/resources.js';
import { Message } from '../../messages.js';
import { objectNames } from '../../resources/meta.js';

type Secret = KubeObject & { data?: Record<string, string>; stringData?: Record<string, string> };

/**
 * Decoded data of each credentials Secret, by name; undefined where it does not exist. As read, it
 * also carries each Secret's finalizers (guardSecrets keeps them as the deletion policy wants).
 */
export interface Credentials extends ReadonlyMap<string, Readonly<Record<string, string>> | undefined> {
  readonly finalizers?: ReadonlyMap<string, readonly string[]>;
}

export async function readCredentials(gaim: Gaim, client: KubeClient, signal: AbortSignal): Promise<Credentials> {
  const names = objectNames(gaim);
  const wanted = [...(gaim.spec.mongodb.enabled ? [names.mongodbSecret] : []), ...(gaim.spec.redis.enabled ? [names.redisSecret] : [])];
  const read = await Promise.all(wanted.map(async (name) => [name, await readSecret(gaim, name, client, signal)] as const));
  const finalizers = new Map(read.flatMap(([name, secret]) => (secret === undefined ? [] : [[name, secret.metadata?.finalizers ?? []] as const])));
  return Object.assign(new Map(read.map(([name, secret]) => [name, secret === undefined ? undefined : decode(secret)] as const)), { finalizers });
}

async function readSecret(gaim: Gaim, name: string, client: KubeClient, signal: AbortSignal): Promise<Secret | undefined> {
  try {
    return await client.get<Secret>(Resources.secret, name, gaim.metadata.namespace, signal);
  } catch (error: unknown) {
    if (isNotFound(error)) return undefined;
    throw wrap(error, Message.readSecret(name));
  }
}

/**
 * deletionPolicy Snapshot: the credentials Secrets carry the operator's finalizer, so a namespace
 * being deleted cannot take them before the final backup has copied them into the catalog (the
 * restored data holds those passwords). Any other policy: the finalizer is taken off again.
 * Writes only when that changes.
 */
export async function guardSecrets(gaim: Gaim, credentials: Credentials, finalizer: string, client: KubeClient, signal: AbortSignal): Promise<void> {
  const wanted = gaim.spec.deletionPolicy === 'Snapshot';
  for (const [name, finalizers] of credentials.finalizers ?? []) {
    if (finalizers.includes(finalizer) === wanted) continue;
    const next = wanted ? [...finalizers, finalizer] : finalizers.filter((f) => f !== finalizer);
    await client.mergePatch(Resources.secret, name, gaim.metadata.namespace, { metadata: { finalizers: next } }, signal).catch((error: unknown) => {
      if (!isNotFound(error)) throw wrap(error, Message.updateSecret(name));
    });
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
