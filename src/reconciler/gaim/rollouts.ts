// How many store StatefulSets roll at once, cluster-wide. A new operator version whose desired pod
// template differs from what older versions applied would otherwise restart every tenant's databases
// in the same minute; here a changed template of an existing store waits for one of
// GAIM_MAX_CONCURRENT_ROLLOUTS slots, and a slot frees when that StatefulSet is back to ready on its new
// revision. The count comes from the StatefulSet cache (rollouts anyone started, including the ones
// before a restart of the operator) plus the slots this process granted that the cache does not show
// yet. Only the leader reconciles, so one process counts.
import type { Caches } from '../../controller/caches.js';
import { objectKey, type KubeObject } from '../../kube/objects.js';
import { Resources } from '../../kube/resources.js';
import { TEMPLATE_HASH } from '../../resources/stateful-store.js';


export type StatefulSetView = KubeObject & {
  spec?: { replicas?: number };
  status?: { observedGeneration?: number; currentRevision?: string; updateRevision?: string; readyReplicas?: number; updatedReplicas?: number };
};

/** Whether a StatefulSet is mid-rollout: its controller has not caught up, or pods are not all updated and ready. */
export function isRolling(sts: StatefulSetView): boolean {
  const status = sts.status ?? {};
  const replicas = sts.spec?.replicas ?? 1;
  return (status.observedGeneration ?? 0) < (sts.metadata?.generation ?? 0)
    || (status.updateRevision !== undefined && status.currentRevision !== status.updateRevision)
    || (status.updatedReplicas ?? 0) < replicas
    || (status.readyReplicas ?? 0) < replicas;
}

/** Whether applying `desired` over `observed` changes its pod template, that is, rolls its pods. */
export function changesTemplate(desired: KubeObject, observed: KubeObject | undefined): boolean {
  return observed !== undefined && observed.metadata?.annotations?.[TEMPLATE_HASH] !== desired.metadata?.annotations?.[TEMPLATE_HASH];
}

export class RolloutSlots {
  /** Slots granted by this process: StatefulSet key → its generation once the change was applied (0 before). */
  readonly #granted = new Map<string, number>();

  constructor(private readonly max: number, private readonly caches: Pick<Caches, 'get' | 'list'>) {}

  /** StatefulSets rolling now, by key. */
  inFlight(): Set<string> {
    const keys = new Set<string>();
    for (const sts of this.caches.list<StatefulSetView>(Resources.statefulSet)) if (isRolling(sts)) keys.add(objectKey(sts));
    for (const [key, generation] of this.#granted) {
      const sts = this.caches.get<StatefulSetView>(Resources.statefulSet, key);
      const settled = sts === undefined || (generation > 0 && (sts.status?.observedGeneration ?? 0) >= generation && !isRolling(sts));
      if (settled) this.#granted.delete(key);
      else keys.add(key);
    }
    return keys;
  }

  /** A slot for `key`: granted when it already rolls (a fix of a broken rollout) or fewer than max do. */
  tryAcquire(key: string): { granted: boolean; inFlight: number } {
    const inFlight = this.inFlight();
    if (!inFlight.has(key) && inFlight.size >= this.max) return { granted: false, inFlight: inFlight.size };
    this.#granted.set(key, 0);
    return { granted: true, inFlight: inFlight.size };
  }

  /** The change was applied: the slot frees once the cache shows this generation rolled out. */
  started(key: string, generation: number): void {
    this.#granted.set(key, generation);
  }

  /** A deleted Gaim's StatefulSets (`namespace/name`): nothing to remember of them. */
  forget(statefulSets: readonly string[]): void {
    for (const key of statefulSets) this.#granted.delete(key);
  }

  get size(): number {
    return this.#granted.size;
  }

  /** The change was not applied: give the slot back. */
  release(key: string): void {
    this.#granted.delete(key);
  }
}
