// Step 2 of the reconcile: what should exist, as a pure function of the spec, the tier's sizes and
// what was observed. No I/O; unit-tested with tables of cases.
import type { Gaim } from '../../api/v1alpha1/gaim.js';
import { DEFAULT_STORE_FORM, DEFAULT_STORE_REPOSITORIES, fromRepositories, type StoreForm } from '../../config/images.js';
import type { NfsAllowList } from '../../config/settings.js';
import { OperatorError } from '../../errors.js';
import type { KubeObject } from '../../kube/objects.js';
import { Message } from '../../messages.js';
import { desiredObjects, desiredSecrets } from '../../resources/desired.js';
import { objectNames } from '../../resources/meta.js';
import { MongoSecretKeys } from '../../resources/mongodb.js';
import { redisKeysToComplete, RedisSecretKeys } from '../../resources/redis.js';
import type { TierSizes } from '../../resources/tiers.js';
import { Reason } from '../../status/reasons.js';
import type { ObjectRef, Observed } from './observe.js';
import type { Credentials } from './secrets.js';
import { shareRefusal } from './share-policy.js';

/** The keys a credentials Secret must hold: without one of them the data cannot be reached. */
const SECRET_KEYS = {
  mongodb: [MongoSecretKeys.rootUsername, MongoSecretKeys.rootPassword, MongoSecretKeys.appUsername, MongoSecretKeys.appPassword],
  redis: [RedisSecretKeys.password],
} as const;
const credentialSecretName = (gaim: Gaim, store: 'mongodb' | 'redis') => (store === 'mongodb' ? objectNames(gaim).mongodbSecret : objectNames(gaim).redisSecret);

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

/**
 * Whether the Gaim may act at all: a Gaim naming an NFS share the platform did not allow, a second
 * Gaim in a namespace, or a Gaim naming another Gaim's share is refused (terminally) and touches nothing.
 */
export function admit(gaim: Gaim, observed: Observed, allowed: NfsAllowList, storeRepositories: readonly string[] = DEFAULT_STORE_REPOSITORIES): OperatorError | undefined {
  const shareRefused = shareRefusal(gaim, allowed);
  if (shareRefused !== undefined) {
    return new OperatorError('validation', `${Message.useShare}: ${shareRefused}`, { reason: Reason.ShareNotAllowed });
  }
  // A store image from a repository the platform did not allow (GAIM_STORE_IMAGE_REPOSITORIES; the
  // chart's admission policy would refuse the operator its StatefulSet anyway).
  for (const store of ['mongodb', 'redis'] as const) {
    const image = gaim.spec[store].image;
    if (gaim.spec[store].enabled && image !== undefined && !fromRepositories(image, storeRepositories)) {
      return new OperatorError('validation', `${Message.useImage(image)}: spec.${store}.image is not from an allowed repository (GAIM_STORE_IMAGE_REPOSITORIES: ${storeRepositories.join(', ')})`, { reason: Reason.ImageNotAllowed });
    }
  }
  if (observed.namespaceOwner !== gaim.metadata.name) {
    return new OperatorError('conflict', Message.namespaceTaken(gaim.metadata.namespace, observed.namespaceOwner), { reason: Reason.NamespaceConflict });
  }
  const nfs = gaim.spec.lancedb.storage.nfs;
  if (nfs !== undefined && observed.shareOwner !== undefined) {
    return new OperatorError('conflict', Message.shareTaken(`${nfs.server}:${nfs.path}`, observed.shareOwner), { reason: Reason.ShareConflict });
  }
  return undefined;
}

/**
 * Credentials never drift from the data: a store's Secret is generated only while its data claim
 * does not exist. A Secret missing (or missing a key) while the data exists is not regenerated — the
 * data holds the old passwords — and the Gaim fails until the Secret is restored (the runbook says how).
 */
export function credentialsProblem(gaim: Gaim, observed: Observed, credentials: Credentials): OperatorError | undefined {
  for (const store of ['mongodb', 'redis'] as const) {
    if (!gaim.spec[store].enabled) continue;
    const secret = credentialSecretName(gaim, store);
    const data = credentials.get(secret);
    const claim = observed.claims.find((c) => c.store === store);
    const missingKeys = data === undefined ? [] : SECRET_KEYS[store].filter((key) => data[key] === undefined || data[key] === '');
    if (data !== undefined && missingKeys.length === 0) continue;
    if (data === undefined && claim === undefined) continue; // a new store: its credentials are generated now
    const what = data === undefined ? `it does not exist, but the data claim ${claim?.name ?? ''} does (its data holds the passwords)` : `it has no ${missingKeys.join(', ')}`;
    return new OperatorError('kubernetes', `${Message.useCredentials(secret)}: ${what}; restore it as docs/runbooks/credentials-missing.md says — nothing is regenerated over existing data`,
      { reason: Reason.CredentialsMissing });
  }
  return undefined;
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
