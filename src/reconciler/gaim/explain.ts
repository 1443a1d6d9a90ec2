// Between observe and plan: what the caches cannot say. A claim that stays Pending says why only in
// its events (a provisioner's ProvisioningFailed: a size outside the class's limits, a quota); the
// StorageReady condition carries the latest one, so the user sees it without kubectl describe.
import type { Gaim } from '../../api/v1alpha1/gaim.js';
import type { KubeClient } from '../../kube/client.js';
import { latestEvent } from '../../kube/event-reader.js';
import { objectNames } from '../../resources/meta.js';
import type { Observed } from './observe.js';

/** Events that say how provisioning of a claim goes (the PV controller's and the provisioners'). */
const PROVISIONING_REASONS = ['ProvisioningFailed', 'ProvisioningSucceeded', 'Provisioning', 'ExternalProvisioning', 'WaitForFirstConsumer', 'WaitForPodScheduled'];

export async function explainPending(gaim: Gaim, observed: Observed, client: KubeClient, signal: AbortSignal): Promise<Observed> {
  const storage = observed.stores.storage;
  if (storage.reason !== 'ClaimPending') return observed;
  const claim = objectNames(gaim).lancedbClaim;
  // Best effort: the condition says Pending either way; a failed read must not fail the Gaim.
  const event = await latestEvent(client, { kind: 'PersistentVolumeClaim', name: claim, namespace: gaim.metadata.namespace }, signal, PROVISIONING_REASONS)
    .catch(() => undefined);
  if (event === undefined) return observed;
  return { ...observed, stores: { ...observed.stores, storage: { ...storage, message: `${storage.message}: ${event.reason}: ${event.note}` } } };
}
