// deletionPolicy Retain and Snapshot must survive what the operator does not see coming: a deleted
// namespace deletes the claims, and a dynamically provisioned volume follows its StorageClass's
// reclaim policy (Delete on GKE's classes), so its data would go with them — before a final backup
// could be taken. As soon as a claim of a Retain or Snapshot Gaim is bound, its volume's reclaim
// policy becomes Retain (and the volume gets the Gaim's labels, so the operator's cache holds it from
// then on). With Delete, and with Snapshot once its final backup is taken, volumes get their class's
// policy back.
import type { Gaim } from '../../api/v1alpha1/gaim.js';
import type { Caches } from '../../controller/caches.js';
import type { ReconcileContext } from '../../controller/result.js';
import { OperatorError, wrap } from '../../errors.js';
import type { KubeClient } from '../../kube/client.js';
import { isNotFound } from '../../kube/errors.js';
import { Labels } from '../../kube/labels.js';
import type { KubeObject } from '../../kube/objects.js';
import { Resources } from '../../kube/resources.js';
import { Message } from '../../messages.js';
import { labels, objectNames } from '../../resources/meta.js';
import { Reason } from '../../status/reasons.js';
import type { Observed } from './observe.js';

type Volume = KubeObject & { spec?: { storageClassName?: string; persistentVolumeReclaimPolicy?: string; nfs?: unknown } };

/**
 * Sets Retain on the volume of every bound claim of a Retain Gaim that does not have it yet.
 * `patched` remembers volumes patched but not yet seen with Retain in the cache: the cache selects
 * volumes by the labels this patch adds, so until its watch delivers the volume, the claim's policy
 * reads as unknown, and without the memory every reconcile in between would patch it again.
 */
export async function retainVolumes(gaim: Gaim, observed: Observed, client: KubeClient, context: ReconcileContext, patched: Set<string>): Promise<void> {
  // Snapshot too: no deletion order (a namespace deleted at once) may delete a volume before its final backup.
  if (gaim.spec.deletionPolicy === 'Delete') return;
  for (const claim of observed.claims) {
    if (claim.volumeName === undefined) continue;
    if (claim.reclaimPolicy === 'Retain') {
      patched.delete(claim.volumeName);
      continue;
    }
    if (claim.reclaimPolicy === undefined && patched.has(claim.volumeName)) continue;
    const component = claim.store === 'lancedb' ? 'lancedb' : claim.store;
    await patchVolume(claim.volumeName, {
      metadata: { labels: { ...labels(gaim, component), [Labels.gaimNamespace]: gaim.metadata.namespace } },
      spec: { persistentVolumeReclaimPolicy: 'Retain' },
    }, client, context.signal);
    patched.add(claim.volumeName);
    context.log.info({ volume: claim.volumeName, claim: claim.name, policy: gaim.spec.deletionPolicy }, 'the volume is kept whatever happens to its claim');
  }
}

/**
 * deletionPolicy Delete: the Gaim's dynamic volumes that were set to Retain (while the policy was
 * Retain) get their StorageClass's reclaim policy back, so deleting the claims deletes them.
 */
export async function releaseVolumes(gaim: Gaim, caches: Caches, client: KubeClient, context: ReconcileContext): Promise<void> {
  const mine = caches.list<Volume>(Resources.persistentVolume).filter((v) =>
    v.metadata?.labels?.[Labels.gaim] === gaim.metadata.name && v.metadata.labels[Labels.gaimNamespace] === gaim.metadata.namespace);
  for (const volume of mine) {
    const className = volume.spec?.storageClassName ?? '';
    if (className === '' || volume.spec?.nfs !== undefined || volume.spec?.persistentVolumeReclaimPolicy !== 'Retain') continue; // static shares stay Retain
    const storageClass = await client.get<KubeObject & { reclaimPolicy?: string }>(Resources.storageClass, className, undefined, context.signal)
      .catch((error: unknown) => { if (isNotFound(error)) return undefined; throw error; });
    await patchVolume(volume.metadata?.name ?? '', { spec: { persistentVolumeReclaimPolicy: storageClass?.reclaimPolicy ?? 'Delete' } }, client, context.signal);
  }
}

async function patchVolume(name: string, patch: Record<string, unknown>, client: KubeClient, signal: AbortSignal): Promise<void> {
  try {
    await client.mergePatch(Resources.persistentVolume, name, undefined, patch, signal);
  } catch (error: unknown) {
    if (!isNotFound(error)) throw wrap(error, Message.retainVolume(name));
  }
}

type StaticVolume = KubeObject & { spec?: { claimRef?: { uid?: string; namespace?: string; name?: string } }; status?: { phase?: string } };

/**
 * A static NFS volume whose claim went (its namespace deleted, the Gaim with it, deletionPolicy
 * Retain) stays Released, bound by uid to a claim that no longer exists, so the same Gaim applied
 * again would wait Pending for ever. The volume is the operator's and says whose data it holds: for
 * the same gaimId the stale claim reference is cleared and the volume binds the new claim; for any
 * other (or a volume that does not say), nothing changes and the Gaim fails, naming the volume.
 */
export async function rebindStaticVolume(gaim: Gaim, caches: Caches, client: KubeClient, context: ReconcileContext): Promise<void> {
  if (gaim.spec.lancedb.storage.nfs === undefined) return;
  const names = objectNames(gaim);
  const volume = caches.get<StaticVolume>(Resources.persistentVolume, names.lancedbVolume);
  const held = volume?.spec?.claimRef?.uid;
  if (volume === undefined || volume.status?.phase !== 'Released' || held === undefined) return;
  const claim = caches.get<KubeObject>(Resources.persistentVolumeClaim, `${gaim.metadata.namespace}/${names.lancedbClaim}`);
  if (claim?.metadata?.uid === held) return; // its own claim, being deleted: not stale
  const holder = volume.metadata?.labels?.[Labels.gaimId];
  if (holder === gaim.spec.gaimId && claim === undefined) {
    // Not before the new claim exists: a reference without a uid binds whichever claim of that name
    // comes next — in a namespace being deleted and made again, another gaimId's. The claim is made
    // by this reconcile's apply, and its creation brings the next one here.
    return;
  }
  if (holder !== gaim.spec.gaimId) {
    throw new OperatorError('conflict', `${Message.rebindVolume(names.lancedbVolume)}: it is Released and holds ${holder === undefined ? 'data of a Gaim it does not name' : `the data of gaimId ${holder}`}, not gaimId ${gaim.spec.gaimId}; only the same gaimId binds it again (to start afresh, delete the volume)`,
      { reason: Reason.ShareConflict });
  }
  await patchVolume(names.lancedbVolume, { spec: { claimRef: { uid: null, resourceVersion: null } } }, client, context.signal);
  context.log.info({ volume: names.lancedbVolume, gaimId: gaim.spec.gaimId }, 'a released static volume bound again to the same gaimId');
}
