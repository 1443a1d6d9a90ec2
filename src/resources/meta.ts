import type { Gaim } from '../api/v1alpha1/gaim.js';
import { API_VERSION, KIND } from '../api/v1alpha1/gaim.js';
import { Labels, MANAGED_BY } from '../kube/labels.js';
import type { ObjectMeta, OwnerReference } from '../kube/objects.js';

export type Component = 'mongodb' | 'redis' | 'lancedb' | 'connections' | 'network-policy' | 'seed' | 'maintenance';

/** Names of everything a Gaim owns. One Gaim per namespace, but names still carry the gaim_name. */
export function objectNames(gaim: Pick<Gaim, 'metadata'>) {
  const name = gaim.metadata.name;
  return {
    mongodb: `${name}-mongodb`,
    mongodbSecret: `${name}-mongodb-credentials`,
    redis: `${name}-redis`,
    redisSecret: `${name}-redis-credentials`,
    lancedbClaim: `${name}-lancedb`,
    /** Cluster-scoped, so it carries the namespace: two namespaces never collide. */
    lancedbVolume: `gaim-${gaim.metadata.namespace}-${name}-lancedb`,
    connections: `${name}-connections`,
    networkPolicy: `${name}-stores`,
  } as const;
}

export function labels(gaim: Pick<Gaim, 'metadata'>, component: Component): Record<string, string> {
  return {
    [Labels.name]: component,
    [Labels.instance]: gaim.metadata.name,
    [Labels.component]: component,
    [Labels.managedBy]: MANAGED_BY,
    [Labels.partOf]: 'living-content',
    [Labels.gaim]: gaim.metadata.name,
  };
}

/** The selector labels of a component's pods: a stable subset (selectors are immutable). */
export function selectorLabels(gaim: Pick<Gaim, 'metadata'>, component: Component): Record<string, string> {
  return { [Labels.instance]: gaim.metadata.name, [Labels.component]: component };
}

export function ownerReference(gaim: Pick<Gaim, 'metadata'>): OwnerReference {
  return {
    apiVersion: API_VERSION,
    kind: KIND,
    name: gaim.metadata.name,
    uid: gaim.metadata.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** Metadata of a namespaced object the Gaim owns. */
export function ownedMeta(gaim: Pick<Gaim, 'metadata'>, name: string, component: Component): ObjectMeta {
  return {
    name,
    namespace: gaim.metadata.namespace,
    labels: labels(gaim, component),
    ownerReferences: [ownerReference(gaim)],
  };
}
