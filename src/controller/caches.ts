// Read access to the informer caches, the only way reconcilers read the cluster: every step and
// every controller depends on this interface, never on the manager that fills it.
import type { InformerEvent } from './informer.js';
import type { KubeObject } from '../kube/objects.js';
import type { Resource } from '../kube/resources.js';

/** Read access to the informer caches, for reconcilers (reads never go to the API server). */
export interface Caches {
  get<T extends KubeObject>(resource: Resource, key: string): T | undefined;
  list<T extends KubeObject>(resource: Resource, namespace?: string): T[];
}

/** A change seen by a cache, handed to every controller to find the keys it must reconcile. */
export interface CacheChange {
  readonly event: InformerEvent;
  readonly resource: Resource;
  readonly object: KubeObject;
  /** The cached object an update replaced. */
  readonly old?: KubeObject;
}

/** Something that holds objects of one resource by key (an informer, for one namespace or all). */
export interface CacheScope {
  get(key: string): KubeObject | undefined;
  list(): KubeObject[];
}

/**
 * The caches over each resource's informers (one per watched namespace, or one for all): a get asks
 * each in turn, a list joins them and keeps one namespace when asked.
 */
export function cachesOver(scopes: (resource: Resource) => readonly CacheScope[]): Caches {
  return {
    get: <T extends KubeObject>(resource: Resource, key: string): T | undefined => {
      for (const scope of scopes(resource)) {
        const found = scope.get(key);
        if (found !== undefined) return found as T;
      }
      return undefined;
    },
    list: <T extends KubeObject>(resource: Resource, namespace?: string): T[] =>
      scopes(resource).flatMap((s) => s.list())
        .filter((o) => namespace === undefined || o.metadata?.namespace === namespace) as T[],
  };
}
