// Fields of a StatefulSet the API server never lets change (podManagementPolicy, serviceName,
// selector): a StatefulSet made by an older operator version with another value is moved to the new
// form by deleting it with propagation Orphan — its pods keep running, its claims and controller
// revisions stay, all lose only their owner reference — and creating it again. The new one adopts the
// pods and revisions by its selector, so nothing restarts.
//
// It is created again with the pod template the old one had (kept here between the deletion and the
// creation), so a template the new version also changes still waits for a rollout slot like any
// other rollout (rollouts.ts); with the old template, the revision, hence the pods, stay the same.
// If the operator stops between the two steps, the next one creates the StatefulSet from its desired
// form: the pods roll at once, outside the slots — the one case where they do.
import type { ReconcileContext } from '../../controller/result.js';
import { wrap } from '../../errors.js';
import type { KubeClient } from '../../kube/client.js';
import { isNotFound } from '../../kube/errors.js';
import { objectKey, type KubeObject } from '../../kube/objects.js';
import { Resources } from '../../kube/resources.js';
import { Message } from '../../messages.js';
import { isSubset } from '../../resources/compare.js';
import { TEMPLATE_HASH } from '../../resources/stateful-store.js';
import { Reason } from '../../status/reasons.js';

type StatefulSetSpec = { podManagementPolicy?: string; serviceName?: string; selector?: unknown; template?: unknown };

/** StatefulSet fields that cannot be updated in place (the API server refuses), with their defaults. */
const IMMUTABLE: readonly { readonly field: keyof StatefulSetSpec; readonly default?: string }[] = [
  { field: 'podManagementPolicy', default: 'OrderedReady' },
  { field: 'serviceName' },
  { field: 'selector' },
];

/** The first immutable field `desired` sets to something else than `observed` has, or undefined. */
export function immutableChange(desired: KubeObject, observed: KubeObject | undefined): string | undefined {
  if (observed === undefined || desired.kind !== 'StatefulSet') return undefined;
  const want = (desired['spec'] ?? {}) as StatefulSetSpec;
  const have = (observed['spec'] ?? {}) as StatefulSetSpec;
  // Compared as values: the API server returns map keys in its own order (matchLabels sorted).
  const differs = IMMUTABLE.find(({ field, default: fallback }) =>
    want[field] !== undefined && !(isSubset(want[field], have[field] ?? fallback) && isSubset(have[field] ?? fallback, want[field])));
  return differs === undefined ? undefined : `spec.${differs.field}`;
}

export class Recreations {
  /** StatefulSet key → the pod template (and its hash) it had when it was deleted to be recreated. */
  readonly #templates = new Map<string, { readonly template: unknown; readonly hash: string | undefined }>();

  /** Deletes `observed` with its pods left running; the next reconcile creates it again. */
  async orphan(observed: KubeObject, field: string, client: KubeClient, context: ReconcileContext): Promise<void> {
    const { name = '', namespace, uid } = observed.metadata ?? {};
    this.#templates.set(objectKey(observed), { template: (observed['spec'] as StatefulSetSpec | undefined)?.template, hash: observed.metadata?.annotations?.[TEMPLATE_HASH] });
    try {
      // The precondition: only the StatefulSet seen, never one someone made since.
      await client.delete(Resources.statefulSet, name, namespace, { propagationPolicy: 'Orphan', ...(uid === undefined ? {} : { preconditions: { uid } }), signal: context.signal });
      context.log.info({ statefulSet: name, field }, 'deleted the statefulset, leaving its pods running, to recreate it with a new value of an immutable field');
    } catch (error: unknown) {
      if (isNotFound(error)) return;
      this.#templates.delete(objectKey(observed));
      throw wrap(error, `${Message.recreateStatefulSet(name)} (to change ${field})`, { reason: Reason.ApplyFailed });
    }
  }

  /** The StatefulSet to create: `desired` with the template its predecessor had, when there was one. */
  restore(desired: KubeObject): KubeObject {
    const kept = this.#templates.get(objectKey(desired));
    if (kept === undefined || kept.template === undefined) return desired;
    const { [TEMPLATE_HASH]: _desiredHash, ...others } = desired.metadata?.annotations ?? {};
    const annotations = kept.hash === undefined ? others : { ...others, [TEMPLATE_HASH]: kept.hash };
    return { ...desired, metadata: { ...desired.metadata, annotations }, spec: { ...(desired['spec'] as object), template: kept.template } };
  }

  /** A deleted Gaim's StatefulSets (`namespace/name`): nothing to remember of them. */
  forget(statefulSets: readonly string[]): void {
    for (const key of statefulSets) this.#templates.delete(key);
  }

  get size(): number {
    return this.#templates.size;
  }

  /** It exists again. */
  created(desired: KubeObject): void {
    this.#templates.delete(objectKey(desired));
  }
}
