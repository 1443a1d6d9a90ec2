// Step 2 of the reconcile: what should exist, as a pure function of the spec, the tier's sizes and
// what was observed. No I/O; unit-tested with tables of cases.
import type { Gaim } from '../../api/v1alpha1/gaim.js';
import { DEFAULT_STORE_FORM, type StoreForm } from '../../config/images.js';
import type { KubeObject } from '../../kube/objects.js';
import { desiredObjects, desiredSecrets } from '../../resources/desired.js';
import { objectNames } from '../../resources/meta.js';
import { redisKeysToComplete } from '../../resources/redis.js';
import type { TierSizes } from '../../resources/tiers.js';
import type { ObjectRef, Observed } from './observe.js';
import type { Credentials } from './secrets.js';

export interface SecretCompletion {
  readonly name: string;
  readonly namespace: string;
  /** The keys to add. */
  readonly add: Readonly<Record<string, string>>;
  /** All the Secret's values once they are added. */
  readonly values: Readonly<Record<string, string>>;
}

export interface Plan {
  /** Credentials Secrets to create (missing ones only: an existing Secret is never changed). */
  readonly create: readonly KubeObject[];
  /**
   * Keys to add to existing Secrets: the Redis operator user's password and the grace password, which
   * Secrets made before them lack (they live only in the pod's arguments, so a new password is never
   * minted over data), or a grace password left behind (redisKeysToComplete).
   */
  readonly complete: readonly SecretCompletion[];
  /** Objects to server-side apply, in order (volumes before their users). */
  readonly apply: readonly KubeObject[];
  /** Objects to delete: the workloads of stores switched off. */
  readonly remove: readonly ObjectRef[];
}

export function plan(gaim: Gaim, observed: Observed, credentials: Credentials, sizes: TierSizes, operatorNamespace: string, form: StoreForm = DEFAULT_STORE_FORM): Plan {
  return {
    create: desiredSecrets(gaim).filter((secret) => credentials.get(secret.metadata?.name ?? '') === undefined),
    complete: missingRedisCredentials(gaim, credentials),
    apply: desiredObjects(gaim, sizes, observed.sizes, operatorNamespace, form),
    remove: observed.disabledWorkloads,
  };
}

function missingRedisCredentials(gaim: Gaim, credentials: Credentials): Plan['complete'] {
  const name = objectNames(gaim).redisSecret;
  const data = credentials.get(name);
  if (!gaim.spec.redis.enabled || data === undefined) return [];
  const add = redisKeysToComplete(data);
  if (Object.keys(add).length === 0) return [];
  return [{ name, namespace: gaim.metadata.namespace, add, values: { ...data, ...add } }];
}
