// spec.restoreFrom: before anything else is made, the Gaim's claims are created from the backup's
// VolumeSnapshots (the StatefulSets' data claims by the names they will adopt, `data-<sts>-0`), and
// its credentials Secrets from the backup's copy — the restored data holds those passwords, so new
// ones must never be generated for it. Once the claims exist the restore is done (status.restoredFrom);
// everything after is the usual create-if-absent, so restored data is never overwritten.
import type { Gaim } from '../api/v1alpha1/gaim.js';
import type { BackupClaim, BackupStore, GaimBackupStatus } from '../api/v1alpha1/gaim-backup.js';
import type { Caches } from '../controller/manager.js';
import type { ReconcileContext } from '../controller/result.js';
import { errorMessage, OperatorError } from '../errors.js';
import type { KubeClient } from '../kube/client.js';
import type { EventRecorder } from '../kube/events.js';
import { isConflict, isNotFound } from '../kube/errors.js';
import type { KubeObject } from '../kube/objects.js';
import { Resources, type Resource } from '../kube/resources.js';
import { Message } from '../messages.js';
import { backupTargets, restoredSecret } from '../resources/backup.js';
import { labels, ownedMeta } from '../resources/meta.js';
import { parseQuantity } from '../resources/quantity.js';
import type { TierSizes } from '../resources/tiers.js';
import { Reason } from '../status/reasons.js';
import { decode } from './secrets.js';

/** On a claim the restore created: the GaimBackup it came from. */
export const RESTORED_FROM = 'gaim.livingcontent.io/restored-from';

export interface RestoreDeps {
  readonly caches: Caches;
  readonly client: KubeClient;
  readonly events: EventRecorder;
}

type BackupView = KubeObject & { status?: GaimBackupStatus };
type ClaimView = KubeObject & { metadata?: { annotations?: Record<string, string> } };

const mismatch = (backup: string, why: string) => new OperatorError('validation', `${Message.restoreFrom(backup)}: ${why}`, { reason: Reason.RestoreSourceMismatch });
const notReady = (backup: string, why: string) => new OperatorError('storage', `${Message.restoreFrom(backup)}: ${why}`, { reason: Reason.RestoreSourceNotReady });

/** What each of the Gaim's stores is restored from: a snapshot, or nothing (the backup could not hold it). */
export function restorePlan(gaim: Pick<Gaim, 'metadata' | 'spec'>, backupName: string, status: GaimBackupStatus | undefined): { store: BackupStore; claim: string; entry: BackupClaim | undefined }[] {
  if (status?.phase !== 'Completed') throw notReady(backupName, `it is ${status?.phase ?? 'Pending'}, not Completed`);
  const entries = status.claims ?? [];
  const targets = backupTargets(gaim);
  const extra = entries.filter((e) => e.supported && e.readyToUse && !targets.some((t) => t.store === e.store));
  if (extra.length > 0) throw mismatch(backupName, `it holds ${extra.map((e) => e.store).join(', ')}, which this Gaim does not enable`);
  return targets.map(({ store, claim }) => {
    const entry = entries.find((e) => e.store === store);
    if (entry === undefined) throw mismatch(backupName, `it holds no ${store} claim, and this Gaim enables ${store}`);
    if (!entry.supported) return { store, claim, entry: undefined }; // the backup could not hold it: starts empty
    if (!entry.readyToUse || entry.volumeSnapshot === undefined) throw mismatch(backupName, `its ${store} snapshot is not ready (${entry.error ?? 'no snapshot'})`);
    if (store === 'lancedb' && gaim.spec.lancedb.storage.nfs !== undefined) throw mismatch(backupName, 'a snapshot cannot be restored into a static NFS share (spec.lancedb.storage.nfs): use storageClassName');
    return { store, claim, entry };
  });
}

/** Creates what the restore needs; returns the backup restored from once every claim exists. */
export async function restore(gaim: Gaim, sizes: TierSizes, deps: RestoreDeps, context: ReconcileContext): Promise<string | undefined> {
  const backupName = gaim.spec.restoreFrom?.backup;
  if (backupName === undefined || gaim.status?.restoredFrom === backupName) return gaim.status?.restoredFrom;
  const ns = gaim.metadata.namespace;
  const existing = backupTargets(gaim).map((t) => deps.caches.get<ClaimView>(Resources.persistentVolumeClaim, `${ns}/${t.claim}`)).filter((c) => c !== undefined);
  const foreign = existing.filter((c) => c.metadata?.annotations?.[RESTORED_FROM] !== backupName);
  if (foreign.length > 0) {
    throw mismatch(backupName, `claim ${foreign.map((c) => c.metadata?.name ?? '').join(', ')} already exists; a restore only creates claims that do not (their data is kept)`);
  }
  const backup = deps.caches.get<BackupView>(Resources.gaimBackup, `${ns}/${backupName}`);
  if (backup === undefined) throw notReady(backupName, `no GaimBackup ${backupName} in namespace ${ns}`);
  const plan = restorePlan(gaim, backupName, backup.status);

  await restoreCredentials(gaim, backupName, backup.status, deps, context);
  for (const { store, claim, entry } of plan) {
    if (entry === undefined || existing.some((c) => c.metadata?.name === claim)) continue;
    await create(deps.client, Resources.persistentVolumeClaim, restoredClaim(gaim, store, claim, entry, sizes, backupName), context);
  }
  const empty = plan.filter((p) => p.entry === undefined).map((p) => p.store);
  deps.events.record(gaim, empty.length === 0 ? 'Normal' : 'Warning', empty.length === 0 ? Reason.Restored : Reason.RestoreIncomplete, 'Restore',
    `claims created from GaimBackup ${backupName}${empty.length === 0 ? '' : `; ${empty.join(', ')} start empty (the backup could not snapshot them)`}`);
  context.log.info({ backup: backupName, emptyStores: empty }, 'restored claims from a backup');
  return backupName;
}

async function restoreCredentials(gaim: Gaim, backupName: string, status: GaimBackupStatus | undefined, deps: RestoreDeps, context: ReconcileContext): Promise<void> {
  const name = status?.credentialsSecret;
  if (name === undefined) throw notReady(backupName, 'it keeps no copy of the credentials');
  let copy: Record<string, string>;
  try {
    copy = decode(await deps.client.get(Resources.secret, name, gaim.metadata.namespace, context.signal));
  } catch (error: unknown) {
    if (isNotFound(error)) throw notReady(backupName, `its credentials copy, secret ${name}, does not exist`);
    throw new OperatorError('kubernetes', `${Message.readSecret(name)}: ${errorMessage(error)}`, { cause: error });
  }
  for (const store of ['mongodb', 'redis'] as const) {
    if (!gaim.spec[store].enabled || !Object.keys(copy).some((k) => k.startsWith(`${store}.`))) continue;
    const secret = restoredSecret(gaim, store, copy);
    // A Secret that exists (made before an interruption) is kept: credentials are never re-minted or overwritten.
    await create(deps.client, Resources.secret, { ...secret, metadata: { ...ownedMeta(gaim, secret.metadata?.name ?? '', store) } }, context);
  }
}

function restoredClaim(gaim: Gaim, store: BackupStore, name: string, entry: BackupClaim, sizes: TierSizes, backup: string): KubeObject {
  const wanted = store === 'lancedb' ? gaim.spec.lancedb.storage.size ?? '1Ti' : gaim.spec[store].storage ?? sizes[store].storage;
  // Never smaller than the snapshot: the provisioner refuses a claim below its restoreSize.
  const request = (parseQuantity(entry.restoreSize ?? '0') ?? 0) > (parseQuantity(wanted) ?? 0) ? entry.restoreSize ?? wanted : wanted;
  const meta = store === 'lancedb' ? ownedMeta(gaim, name, 'lancedb') : { name, namespace: gaim.metadata.namespace, labels: labels(gaim, store) };
  return {
    apiVersion: 'v1', kind: 'PersistentVolumeClaim',
    metadata: { ...meta, annotations: { [RESTORED_FROM]: backup } },
    spec: {
      accessModes: [store === 'lancedb' ? 'ReadWriteMany' : 'ReadWriteOnce'],
      ...(store === 'lancedb' ? { storageClassName: gaim.spec.lancedb.storage.storageClassName } : {}),
      resources: { requests: { storage: request } },
      volumeMode: 'Filesystem',
      dataSource: { apiGroup: 'snapshot.storage.k8s.io', kind: 'VolumeSnapshot', name: entry.volumeSnapshot },
    },
  };
}

async function create(client: KubeClient, resource: Resource, object: KubeObject, context: ReconcileContext): Promise<void> {
  try {
    await client.create(resource, object, context.signal);
  } catch (error: unknown) {
    if (isConflict(error)) return;
    throw new OperatorError('kubernetes', `${Message.restoreFrom(object.metadata?.annotations?.[RESTORED_FROM] ?? '')}: cannot create ${resource.kind.toLowerCase()} ${object.metadata?.name ?? ''}: ${errorMessage(error)}`, { cause: error });
  }
}
