// Step 3 of the reconcile: make the plan so. Server-side apply with one field manager, and only for
// objects whose desired form differs from the cached one, so an unchanged Gaim makes no API call.
import type { Caches } from '../controller/manager.js';
import type { ReconcileContext } from '../controller/result.js';
import { errorMessage, OperatorError } from '../errors.js';
import type { KubeClient } from '../kube/client.js';
import { isConflict, isNotFound } from '../kube/errors.js';
import { objectKey, type KubeObject } from '../kube/objects.js';
import { resourceOf, Resources, type Resource } from '../kube/resources.js';
import { Message } from '../messages.js';
import { needsApply, withAppliedHash } from '../resources/compare.js';
import { Reason } from '../status/reasons.js';
import type { Plan, SecretCompletion } from './plan.js';
import { decode, type Credentials } from './secrets.js';

export interface ApplyDeps {
  readonly caches: Caches;
  readonly client: KubeClient;
  readonly fieldManager: string;
}

/** Makes the plan so; returns the credentials it created, by Secret name (seeding needs their values). */
export async function applyPlan(plan: Plan, deps: ApplyDeps, context: ReconcileContext): Promise<Credentials> {
  const created = new Map<string, Record<string, string>>();
  for (const secret of plan.create) {
    if (await createSecret(secret, deps, context)) created.set(secret.metadata?.name ?? '', decode(secret));
  }
  for (const completion of plan.complete) {
    await completeSecret(completion, deps, context);
    created.set(completion.name, completion.values);
  }
  for (const desired of plan.apply) await applyObject(desired, deps, context);
  for (const { resource, name, namespace } of plan.remove) await deleteObject(resource, name, namespace, deps.client, context.signal);
  return created;
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
    throw new OperatorError('kubernetes', `${Message.createSecret(name)}: ${errorMessage(error)}`, { cause: error, reason: Reason.SecretFailed });
  }
}

/** Adds keys an existing Secret lacks; the keys it has are not in the patch, so they stay as they are. */
async function completeSecret({ name, namespace, add }: SecretCompletion, deps: ApplyDeps, context: ReconcileContext): Promise<void> {
  try {
    await deps.client.mergePatch(Resources.secret, name, namespace, { stringData: add }, context.signal);
    context.log.info({ secret: name, added: Object.keys(add) }, 'completed credentials');
  } catch (error: unknown) {
    throw new OperatorError('kubernetes', `${Message.updateSecret(name)}: ${errorMessage(error)}`, { cause: error, reason: Reason.SecretFailed });
  }
}

async function applyObject(desired: KubeObject, deps: ApplyDeps, context: ReconcileContext): Promise<void> {
  const resource = resourceOf(desired);
  const observed = deps.caches.get<KubeObject>(resource, objectKey(desired));
  if (!needsApply(desired, observed)) return;
  try {
    await deps.client.apply(resource, withAppliedHash(desired), { fieldManager: deps.fieldManager, signal: context.signal });
    context.log.info({ kind: desired.kind, name: desired.metadata?.name, created: observed === undefined }, 'applied');
  } catch (error: unknown) {
    throw new OperatorError('kubernetes', `${Message.applyObject(desired.kind ?? '', desired.metadata?.name ?? '')}: ${errorMessage(error)}`, { cause: error, reason: Reason.ApplyFailed });
  }
}

/** Deletes an object; one already gone is fine. */
export async function deleteObject(resource: Resource, name: string, namespace: string | undefined, client: KubeClient, signal: AbortSignal): Promise<void> {
  try {
    await client.delete(resource, name, namespace, { propagationPolicy: 'Background', signal });
  } catch (error: unknown) {
    if (!isNotFound(error)) throw new OperatorError('kubernetes', `${Message.deleteObject(resource.kind, name)}: ${errorMessage(error)}`, { cause: error, reason: Reason.DeleteFailed });
  }
}
