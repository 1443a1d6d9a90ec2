// Why the operator will not act on a Gaim, as one chain of policies in order (cert-manager's
// certificate-request policy chain): each looks at what was observed and returns a refusal or
// nothing; the first refusal fails the Gaim, before the step it guards writes anything. A refusal the spec
// causes is terminal (validation); one another object causes waits for it to change (conflict);
// missing credentials and a driver's refusal are retried (kubernetes, storage).
//
// A restore's source is judged by a chain of the same form (backups/restore.ts RESTORE_POLICIES), over
// the backup record it names.
import type { Gaim } from '../../api/v1alpha1/gaim.js';
import { DEFAULT_STORE_REPOSITORIES, fromRepositories } from '../../config/images.js';
import type { NfsAllowList } from '../../config/settings.js';
import { OperatorError, type ErrorType } from '../../errors.js';
import { Message } from '../../messages.js';
import { objectNames } from '../../resources/meta.js';
import { MongoSecretKeys } from '../../resources/mongodb.js';
import { RedisSecretKeys } from '../../resources/redis.js';
import type { TierSizes } from '../../resources/tiers.js';
import { Reason } from '../../status/reasons.js';
import { claimGrowths, planGrowth } from './grow.js';
import type { StorageClassView } from './observation.js';
import type { Observed } from './observe.js';
import type { Credentials } from './secrets.js';
import { shareRefusal } from './share-policy.js';

export interface Refusal {
  readonly type: ErrorType;
  readonly reason: string;
  readonly message: string;
}

export interface RefusalInput {
  readonly gaim: Gaim;
  readonly observed: Observed;
  readonly nfs: NfsAllowList;
  readonly storeRepositories?: readonly string[];
  /** The credentials Secrets as read (the operator may not cache Secrets); unknown before the read. */
  readonly credentials?: Credentials;
  /** The tier's sizes (Firestore's registry); unknown before they are read. */
  readonly sizes?: TierSizes;
  /** The StorageClasses of the claims to grow, as read (undefined in the map: the class does not exist). */
  readonly storageClasses?: ReadonlyMap<string, StorageClassView | undefined>;
}

/** A policy: a refusal, or undefined to let the Gaim through (also when what it needs is not known yet). */
export type Policy<I = RefusalInput> = (input: I) => Refusal | undefined;

/** The keys a credentials Secret must hold: without one of them the data cannot be reached. */
const SECRET_KEYS = {
  mongodb: [MongoSecretKeys.rootUsername, MongoSecretKeys.rootPassword, MongoSecretKeys.appUsername, MongoSecretKeys.appPassword],
  redis: [RedisSecretKeys.password],
} as const;

/** A static NFS share the platform did not allow (GAIM_NFS_SERVERS, GAIM_NFS_PATH_TEMPLATE). */
export const shareAllowed: Policy = ({ gaim, nfs }) => {
  const refused = shareRefusal(gaim, nfs);
  return refused === undefined ? undefined : { type: 'validation', reason: Reason.ShareNotAllowed, message: `${Message.useShare}: ${refused}` };
};

/** A store image from a repository the platform did not allow (the chart's admission policy would refuse its StatefulSet anyway). */
export const imageAllowed: Policy = ({ gaim, storeRepositories = DEFAULT_STORE_REPOSITORIES }) => {
  for (const store of ['mongodb', 'redis'] as const) {
    const image = gaim.spec[store].image;
    if (gaim.spec[store].enabled && image !== undefined && !fromRepositories(image, storeRepositories)) {
      return { type: 'validation', reason: Reason.ImageNotAllowed,
        message: `${Message.useImage(image)}: spec.${store}.image is not from an allowed repository (GAIM_STORE_IMAGE_REPOSITORIES: ${storeRepositories.join(', ')})` };
    }
  }
  return undefined;
};

/** One Gaim per namespace: the oldest owns it. */
export const namespaceOwned: Policy = ({ gaim, observed }) => (observed.namespaceOwner === gaim.metadata.name ? undefined
  : { type: 'conflict', reason: Reason.NamespaceConflict, message: Message.namespaceTaken(gaim.metadata.namespace, observed.namespaceOwner) });

/** One Gaim per NFS share. */
export const shareFree: Policy = ({ gaim, observed }) => {
  const share = gaim.spec.lancedb.storage.nfs;
  return share === undefined || observed.shareOwner === undefined ? undefined
    : { type: 'conflict', reason: Reason.ShareConflict, message: Message.shareTaken(`${share.server}:${share.path}`, observed.shareOwner) };
};

/**
 * Credentials never drift from the data: a store's Secret is generated only while its data claim
 * does not exist. A Secret missing (or missing a key) while the data exists is not regenerated — the
 * data holds the old passwords — and the Gaim fails until the Secret is restored (the runbook says how).
 */
export const credentialsIntact: Policy = ({ gaim, observed, credentials }) => {
  if (credentials === undefined) return undefined;
  for (const store of ['mongodb', 'redis'] as const) {
    if (!gaim.spec[store].enabled) continue;
    const secret = store === 'mongodb' ? objectNames(gaim).mongodbSecret : objectNames(gaim).redisSecret;
    const data = credentials.get(secret);
    const claim = observed.claims.find((c) => c.store === store);
    const missingKeys = data === undefined ? [] : SECRET_KEYS[store].filter((key) => data[key] === undefined || data[key] === '');
    if (data !== undefined && missingKeys.length === 0) continue;
    if (data === undefined && claim === undefined) continue; // a new store: its credentials are generated now
    const what = data === undefined ? `it does not exist, but the data claim ${claim?.name ?? ''} does (its data holds the passwords)` : `it has no ${missingKeys.join(', ')}`;
    return { type: 'kubernetes', reason: Reason.CredentialsMissing,
      message: `${Message.useCredentials(secret)}: ${what}; restore it as docs/runbooks/credentials-missing.md says — nothing is regenerated over existing data` };
  }
  return undefined;
};

/**
 * Claim by claim: an explicit size below its capacity (the CRD cannot see it when the size was the
 * tier's default before), or a size the driver refused while the spec still asks for it (say how to
 * back out).
 */
export const claimsMayGrow: Policy = ({ gaim, observed, sizes }) => {
  if (sizes === undefined) return undefined;
  for (const { claim, growth } of claimGrowths(gaim, observed, sizes)) {
    if (growth.action === 'refuse') {
      return { type: 'validation', reason: Reason.VolumeShrinkRefused, message: `${Message.shrinkClaim(claim.name, growth.to)}: its volume has ${growth.from}, and volumes only grow` };
    }
    if (growth.action === 'none' && claim.resize.state === 'ResizeFailed') {
      return { type: 'storage', reason: Reason.VolumeResizeFailed,
        message: `${claim.resize.message}; set the size back to ${claim.capacity ?? 'the capacity'} (or to any size the driver accepts above it) to back out` };
    }
  }
  return undefined;
};

/**
 * A claim to grow whose StorageClass does not allow expansion (errorType storage, naming the class):
 * the API server would refuse the patch anyway (its PersistentVolumeClaimResize admission; Kubernetes
 * docs, Persistent Volumes, "Expanding Persistent Volumes Claims": a PVC can be expanded only if its
 * storage class's allowVolumeExpansion is true), with a message that does not say which Gaim field asked.
 */
export const classAllowsExpansion: Policy = ({ gaim, observed, sizes, storageClasses }) => {
  if (sizes === undefined || storageClasses === undefined) return undefined;
  for (const { claim, to } of planGrowth(gaim, observed, sizes)) {
    const className = claim.storageClassName ?? '';
    const storageClass = storageClasses.get(className);
    if (storageClass?.allowVolumeExpansion === true) continue;
    const why = className === '' ? 'it has no StorageClass (a static volume cannot be expanded)'
      : storageClass === undefined ? `its StorageClass ${className} does not exist`
        : `its StorageClass ${className} does not allow volume expansion (allowVolumeExpansion is not true)`;
    return { type: 'storage', reason: Reason.VolumeExpansionNotAllowed, message: `${Message.growClaim(claim.name, to)}: ${why}; nothing was changed` };
  }
  return undefined;
};

/** The chain, in order: the platform's allow-lists, then ownership, then the data's safety. */
export const POLICIES: readonly Policy[] = [shareAllowed, imageAllowed, namespaceOwned, shareFree, credentialsIntact, claimsMayGrow, classAllowsExpansion];

/**
 * The first refusal of the Gaim's chain, as the error the Gaim fails with; undefined lets it through.
 * The reconcile asks as each input becomes known (the caches; the credentials; the sizes; the
 * classes): a policy whose input is not known yet passes, so every refusal is the first in order
 * among those that could be judged, and none waits for a read it does not need.
 */
export function refusal(input: RefusalInput): OperatorError | undefined {
  return firstRefusal(input, POLICIES);
}

/** The first refusal of a chain (the Gaim's, a restore's: backups/restore.ts), as an error. */
export function firstRefusal<I>(input: I, policies: readonly Policy<I>[]): OperatorError | undefined {
  for (const policy of policies) {
    const refused = policy(input);
    if (refused !== undefined) return new OperatorError(refused.type, refused.message, { reason: refused.reason });
  }
  return undefined;
}
