// A cache of one resource for unit tests: a map the test changes the way watch events would,
// behind the two reads (get by key, list) that slot counters and planners make.
import type { KubeObject } from '../kube/objects.js';
import type { Resource } from '../kube/resources.js';

export function cacheOf<O extends KubeObject>(items: readonly O[]) {
  const byKey = new Map<string, KubeObject>(items.map((o) => [`${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`, o]));
  return {
    byKey,
    caches: {
      get: <T extends KubeObject>(_r: Resource, key: string) => byKey.get(key) as T | undefined,
      list: <T extends KubeObject>() => [...byKey.values()] as T[],
    },
  };
}
