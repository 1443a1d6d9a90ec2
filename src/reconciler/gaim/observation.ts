// Step 1 of the reconcile, after the caches (observe.ts, pure, on which the admission refusals run
// first so that no failed read can hide them): what the decisions need beyond the caches — the tier's
// sizes (Firestore's registry) and a pending claim's latest provisioning event (why it waits, which
// only events say) — and the two reads that must wait for a step before them: the credentials
// Secrets (secrets.ts, by name: the operator may not cache Secrets), read once a restore has made its
// own, and the StorageClasses of claims to grow, read only once the refusals before
// classAllowsExpansion passed (`classesToGrow`, which stops at the first class that refuses).
//
// Reads that stay in their steps, and why: a restore reads its backup's credentials copy and class
// only while it restores; the start-up watch reads a store's pod only once it is past its budget;
// the seed Job's pods are listed only while it runs. An unchanged, running Gaim costs two reads (its
// Secrets, GETs) beyond Firestore's registry, which is cached.
import type { Gaim } from '../../api/v1alpha1/gaim.js';
import type { Caches } from '../../controller/caches.js';
import { asOperatorError, wrap } from '../../errors.js';
import type { PlatformFirestore } from '../../firestore/client.js';
import type { KubeClient } from '../../kube/client.js';
import { isNotFound } from '../../kube/errors.js';
import { latestEvent } from '../../kube/event-reader.js';
import type { KubeObject } from '../../kube/objects.js';
import { Resources } from '../../kube/resources.js';
import { Message } from '../../messages.js';
import { objectNames } from '../../resources/meta.js';
import { BUILT_IN_TIERS, keepRunning, type TierSizes } from '../../resources/tiers.js';
import type { ClaimToGrow } from './grow.js';
import type { Observed } from './observe.js';

/** Events that say how provisioning of a claim goes (the PV controller's and the provisioners'). */
const PROVISIONING_REASONS = ['ProvisioningFailed', 'ProvisioningSucceeded', 'Provisioning', 'ExternalProvisioning', 'WaitForFirstConsumer', 'WaitForPodScheduled'];

export type StorageClassView = KubeObject & { allowVolumeExpansion?: boolean };

export interface Observation {
  readonly observed: Observed;
  /** The tier's sizes; unknown in Firestore (unreachable since start-up): what the running stores have. */
  readonly sizes: TierSizes;
  /** Why the LanceDB claim is Pending, from its latest provisioning event (`reason: note`). */
  readonly provisioning?: string;
}

export interface ObservationDeps {
  readonly caches: Caches;
  readonly client: KubeClient;
  readonly firestore: Pick<PlatformFirestore, 'registry'>;
}

/** The reads, after the caches' `observed` (on which the admission refusals already ran). */
export async function observeGaim(gaim: Gaim, observed: Observed, deps: ObservationDeps, signal: AbortSignal): Promise<Observation> {
  const registered = await deps.firestore.registry.sizes(gaim.spec.tier, signal).catch((error: unknown) => {
    throw asOperatorError(error, 'firestore', signal);
  });
  const sizes = registered ?? keepRunning(BUILT_IN_TIERS[gaim.spec.tier], observed.running);
  const provisioning = await provisioningOf(gaim, observed, deps.client, signal);
  return { observed, sizes, ...(provisioning === undefined ? {} : { provisioning }) };
}

async function provisioningOf(gaim: Gaim, observed: Observed, client: KubeClient, signal: AbortSignal): Promise<string | undefined> {
  if (observed.stores.storage.reason !== 'ClaimPending') return undefined;
  const claim = objectNames(gaim).lancedbClaim;
  // Best effort: the condition says Pending either way; a failed read must not fail the Gaim.
  const event = await latestEvent(client, { kind: 'PersistentVolumeClaim', name: claim, namespace: gaim.metadata.namespace }, signal, PROVISIONING_REASONS)
    .catch(() => undefined);
  return event === undefined ? undefined : `${event.reason}: ${event.note}`;
}

/**
 * The StorageClass of each claim the spec grows, each read once, for classAllowsExpansion. Read only
 * once the refusals before it passed (a failed read must not hide a shrink refused before it).
 */
export async function classesToGrow(grow: readonly ClaimToGrow[], client: KubeClient, signal: AbortSignal): Promise<Map<string, StorageClassView | undefined>> {
  const classes = new Map<string, StorageClassView | undefined>();
  for (const { claim, to } of grow) {
    const className = claim.storageClassName ?? '';
    if (className === '') break; // refused as it is: a static volume cannot be expanded
    if (classes.has(className)) continue;
    const storageClass = await client.get<StorageClassView>(Resources.storageClass, className, undefined, signal).catch((error: unknown) => {
      if (isNotFound(error)) return undefined;
      throw wrap(error, Message.growClaim(claim.name, to));
    });
    classes.set(className, storageClass);
    // Claim by claim: the first class that refuses is the one to name; later ones need not be read.
    if (storageClass?.allowVolumeExpansion !== true) break;
  }
  return classes;
}
