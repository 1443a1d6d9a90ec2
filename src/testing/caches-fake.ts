// The informer caches for unit tests of the reconcile's steps: objects of several resources, read as
// the reconciler reads them (get by `namespace/name`, or `name` for cluster-scoped kinds; list by
// resource and namespace). The test changes them as watch events would.
import type { Caches } from '../controller/caches.js';
import type { KubeObject } from '../kube/objects.js';
import type { Resource } from '../kube/resources.js';

export interface FakeCaches extends Caches {
  put(resource: Resource, object: KubeObject): void;
  remove(resource: Resource, key: string): void;
}

export function cachesOf(entries: readonly (readonly [Resource, KubeObject])[] = []): FakeCaches {
  const stores = new Map<string, Map<string, KubeObject>>();
  const keyOf = (object: KubeObject) => (object.metadata?.namespace === undefined ? '' : `${object.metadata.namespace}/`) + (object.metadata?.name ?? '');
  const store = (resource: Resource) => stores.get(resource.plural) ?? stores.set(resource.plural, new Map()).get(resource.plural) ?? new Map<string, KubeObject>();
  const caches: FakeCaches = {
    get: <T extends KubeObject>(resource: Resource, key: string) => store(resource).get(key) as T | undefined,
    list: <T extends KubeObject>(resource: Resource, namespace?: string) =>
      [...store(resource).values()].filter((o) => namespace === undefined || o.metadata?.namespace === namespace) as T[],
    put: (resource, object) => { store(resource).set(keyOf(object), object); },
    remove: (resource, key) => { store(resource).delete(key); },
  };
  for (const [resource, object] of entries) caches.put(resource, object);
  return caches;
}
