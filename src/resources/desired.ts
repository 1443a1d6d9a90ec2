import type { Gaim } from '../api/v1alpha1/gaim.js';
import { DEFAULT_STORE_FORM, type StoreForm } from '../config/images.js';
import type { KubeObject } from '../kube/objects.js';
import { connectionsConfigMap } from './connections.js';
import { storeImage } from './images.js';
import { lancedbObjects } from './lancedb.js';
import { mongodbObjects, mongodbSecret } from './mongodb.js';
import { storesNetworkPolicy } from './network-policy.js';
import { redisObjects, redisSecret } from './redis.js';
import type { TierSizes } from './tiers.js';

/** What the plan needs to know of the current objects: sizes that cannot change in place. */
export interface CurrentSizes {
  /** Claim size in the existing MongoDB StatefulSet's volumeClaimTemplates (immutable). */
  readonly mongodbClaim?: string;
  readonly redisClaim?: string;
  /** Current request of the LanceDB claim (claims only grow). */
  readonly lancedbClaim?: string;
  /** The LanceDB claim's capacity (its request may go back down to above it: an expansion backed out). */
  readonly lancedbCapacity?: string;
  /** The LanceDB claim's class, where it exists (immutable; a restored claim may differ from the spec's). */
  readonly lancedbClass?: string;
}

/**
 * Every object the Gaim should own, in apply order (volumes before their users), as a pure function
 * of the spec, the tier's sizes and what cannot change in place. Secrets are separate: they are
 * created once and never applied again.
 */
export function desiredObjects(gaim: Gaim, sizes: TierSizes, current: CurrentSizes, operatorNamespace: string, form: StoreForm = DEFAULT_STORE_FORM): KubeObject[] {
  return [
    ...lancedbObjects(gaim, current.lancedbClaim, current.lancedbClass, current.lancedbCapacity),
    ...(gaim.spec.mongodb.enabled ? mongodbObjects(gaim, sizes.mongodb, current.mongodbClaim, storeImage('mongodb', gaim.spec.mongodb.image, form.images), form.startupBaseSeconds) : []),
    ...(gaim.spec.redis.enabled ? redisObjects(gaim, sizes.redis, current.redisClaim, storeImage('redis', gaim.spec.redis.image, form.images)) : []),
    connectionsConfigMap(gaim),
    storesNetworkPolicy(gaim, operatorNamespace, form.operatorPods),
  ];
}

/** The credentials Secrets the Gaim needs, with fresh values: used only when one does not exist. */
export function desiredSecrets(gaim: Gaim): KubeObject[] {
  return [
    ...(gaim.spec.mongodb.enabled ? [mongodbSecret(gaim)] : []),
    ...(gaim.spec.redis.enabled ? [redisSecret(gaim)] : []),
  ];
}
