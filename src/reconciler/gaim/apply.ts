// Step 3 of the reconcile: make the plan so. Server-side apply with one field manager, and only for
// objects whose desired form differs from the cached one, so an unchanged Gaim makes no API call.
import type { Caches } from '../../controller/caches.js';
import type { ReconcileContext } from '../../controller/result.js';
import { wrap } from '../../errors.js';
import type { KubeClient } from '../../kube/client.js';
import { isConflict, isNotFound } from '../../kube/errors.js';
import { objectKey, type KubeObject } from '../../kube/objects.js';
import { resourceOf, Resources, type Resource } from '../../kube/resources.js';
import { Message } from '../../messages.js';
import { needsApply, withAppliedHash } from '../../resources/compare.js';
import { Reason } from '../../status/reasons.js';
import type { Plan, SecretCompletion } from './plan.js';
import { immutableChange, type Recreations } from './recreate.js';
import { changesTemplate, type RolloutSlots } from './rollouts.js';
import { decode, type Credentials } from './secrets.js';
import type { StepResult } from './step.js';

export interface ApplyDeps {
  readonly caches: Caches;
  readonly client: KubeClient;
  readonly fieldManager: string;
  /** Without it (tests of one Gaim), rollouts are not limited. */
  readonly rollouts?: RolloutSlots;
  /** StatefulSets being recreated for an immutable field; without it such a change is applied (and refused). */
  readonly recreations?: Recreations;
}

/** How often a rollout waiting for a slot asks again (a slot frees with no event on this Gaim). */
const ROLLOUT_RECHECK_MS = 5_000;
/** How soon to look again at a StatefulSet being recreated (its deletion waits for the garbage collector). */
const RECREATE_RECHECK_MS = 2_000;

export interface Applied extends StepResult {
  /** The credentials it created or completed, by Secret name (seeding needs their values). */
  readonly created: Credentials;
  /** StatefulSets whose changed template waits for a rollout slot: they keep their running form. */
  readonly waiting: readonly { readonly name: string; readonly inFlight: number }[];
  /** StatefulSets deleted (pods left running) to be created again with a new immutable field. */
  readonly recreating: readonly string[];
}

/** Makes the plan so, except the rollouts that must wait for a slot. */
export async function applyPlan(plan: Plan, deps: ApplyDeps, context: ReconcileContext): Promise<Applied> {
  const created = new Map<string, Record<string, string>>();
  const waiting: { name: string; inFlight: number }[] = [];
  const recreating: string[] = [];
  for (const secret of plan.create) {
    if (await createSecret(secret, deps, context)) created.set(secret.metadata?.name ?? '', decode(secret));
  }
  for (const completion of plan.complete) {
    await completeSecret(completion, deps, context);
    created.set(completion.name, completion.values);
  }
  for (const desired of plan.apply) {
    const held = await applyObject(desired, deps, context);
    if (held === 'recreating') recreating.push(desired.metadata?.name ?? '');
    else if (held !== undefined) waiting.push(held);
  }
  for (const { resource, name, namespace } of plan.remove) await deleteObject(resource, name, namespace, deps.client, context.signal);
  const recheckAfterMs = Math.min(waiting.length > 0 ? ROLLOUT_RECHECK_MS : Infinity, recreating.length > 0 ? RECREATE_RECHECK_MS : Infinity);
  return { created, waiting, recreating, ...(Number.isFinite(recheckAfterMs) ? { recheckAfterMs } : {}) };
}

/** Credentials are created once; an existing Secret is never changed. True when this call created it. */
async function createSecret(secret: KubeObject, deps: ApplyDeps, context: ReconcileContext): Promise<boolean> {
  const name = secret.metadata?.name ?? '';
  try {
    await deps.client.create(Resources.secret, secret, context.signal);
    context.log.info({ secret: name }, 'created credentials');
    return true;
  } catch (error: unknown) {
    if (isConflict(error)) return false; // someone created it a moment ago: theirs stays; the next reconcile reads it
    throw wrap(error, Message.createSecret(name), { reason: Reason.SecretFailed });
  }
}

/** Adds keys an existing Secret lacks; the keys it has are not in the patch, so they stay as they are. */
async function completeSecret({ name, namespace, add }: SecretCompletion, deps: ApplyDeps, context: ReconcileContext): Promise<void> {
  try {
    await deps.client.mergePatch(Resources.secret, name, namespace, { stringData: add }, context.signal);
    context.log.info({ secret: name, added: Object.keys(add) }, 'completed credentials');
  } catch (error: unknown) {
    throw wrap(error, Message.updateSecret(name), { reason: Reason.SecretFailed });
  }
}

/**
 * Applies one object if it differs. A rollout without a free slot is not applied, and says so; a
 * StatefulSet whose immutable fields change is deleted, its pods left running, and created again
 * once the cache shows it gone (recreate.ts).
 */
async function applyObject(wanted: KubeObject, deps: ApplyDeps, context: ReconcileContext): Promise<{ name: string; inFlight: number } | 'recreating' | undefined> {
  const resource = resourceOf(wanted);
  const key = objectKey(wanted);
  const observed = deps.caches.get<KubeObject>(resource, key);
  if (deps.recreations !== undefined && resource === Resources.statefulSet && needsApply(wanted, observed)) {
    if (observed?.metadata?.deletionTimestamp !== undefined) return 'recreating'; // its pods are being orphaned
    const field = immutableChange(wanted, observed);
    if (observed !== undefined && field !== undefined) {
      await deps.recreations.orphan(observed, field, deps.client, context);
      return 'recreating';
    }
  }
  const desired = observed === undefined && deps.recreations !== undefined && resource === Resources.statefulSet ? deps.recreations.restore(wanted) : wanted;
  if (!needsApply(desired, observed)) return undefined;
  // A StatefulSet at zero replicas (a Gaim waking from hibernation) has no pod to restart: its new
  // template needs no rollout slot, and waiting for one would keep the stores stopped.
  const scaledToZero = (observed as { spec?: { replicas?: number } } | undefined)?.spec?.replicas === 0;
  const rollouts = resource === Resources.statefulSet && changesTemplate(desired, observed) && !scaledToZero ? deps.rollouts : undefined;
  if (rollouts !== undefined) {
    const slot = rollouts.tryAcquire(key);
    if (!slot.granted) return { name: desired.metadata?.name ?? '', inFlight: slot.inFlight };
  }
  try {
    const applied = await deps.client.apply(resource, withAppliedHash(desired), { fieldManager: deps.fieldManager, signal: context.signal });
    rollouts?.started(key, applied.metadata?.generation ?? 1);
    if (observed === undefined && resource === Resources.statefulSet) deps.recreations?.created(desired);
    context.log.info({ kind: desired.kind, name: desired.metadata?.name, created: observed === undefined, rollout: rollouts !== undefined }, 'applied');
    return undefined;
  } catch (error: unknown) {
    rollouts?.release(key);
    throw wrap(error, Message.applyObject(desired.kind ?? '', desired.metadata?.name ?? ''), { reason: Reason.ApplyFailed });
  }
}

/** Deletes an object; one already gone is fine. */
export async function deleteObject(resource: Resource, name: string, namespace: string | undefined, client: KubeClient, signal: AbortSignal): Promise<void> {
  try {
    await client.delete(resource, name, namespace, { propagationPolicy: 'Background', signal });
  } catch (error: unknown) {
    if (!isNotFound(error)) throw wrap(error, Message.deleteObject(resource.kind, name), { reason: Reason.DeleteFailed });
  }
}
