// The catalog's I/O: a backup's GaimBackupRecord made as it starts, completed with its snapshot
// handles (their VolumeSnapshotContents set to Retain first, whatever their class says, so the
// snapshots outlive the VolumeSnapshots, the GaimBackup and the namespace), and deleted with the
// GaimBackup — except when the namespace itself is being deleted, which is what the record is for.
import type { BackupClaim } from '../../api/v1alpha1/gaim-backup.js';
import { GaimBackupRecordSchema, type GaimBackupRecord, type RecordSnapshot } from '../../api/v1alpha1/gaim-backup-record.js';
import type { Caches } from '../../controller/caches.js';
import type { ReconcileContext } from '../../controller/result.js';
import { OperatorError, wrap } from '../../errors.js';
import type { KubeClient } from '../../kube/client.js';
import { isConflict, isNotFound } from '../../kube/errors.js';
import type { KubeObject } from '../../kube/objects.js';
import { Resources } from '../../kube/resources.js';
import { Message } from '../../messages.js';
import type { BackupStore } from '../../api/v1alpha1/gaim-backup.js';

type SnapshotView = KubeObject & { spec?: { volumeSnapshotClassName?: string }; status?: { boundVolumeSnapshotContentName?: string; restoreSize?: string } };
type ContentView = KubeObject & { spec?: { deletionPolicy?: string; driver?: string; volumeSnapshotClassName?: string }; status?: { snapshotHandle?: string; restoreSize?: number } };

export interface RecordDeps {
  readonly caches: Caches;
  readonly client: KubeClient;
}

const kubeError = (what: string, error: unknown) => wrap(error, what);

/** The record by name: the cache's, else the one just created (the cache may not show it yet). */
export async function ensureRecord(object: KubeObject, deps: RecordDeps, signal: AbortSignal): Promise<GaimBackupRecord> {
  const name = object.metadata?.name ?? '';
  const cached = deps.caches.get<KubeObject>(Resources.gaimBackupRecord, name);
  if (cached !== undefined) return GaimBackupRecordSchema.parse(cached);
  const created = await deps.client.create(Resources.gaimBackupRecord, object, signal).catch(async (error: unknown) => {
    if (isConflict(error)) return deps.client.get(Resources.gaimBackupRecord, name, undefined, signal);
    throw kubeError(Message.createRecord(name), error);
  });
  // Pending at once: a record with no phase is one made elsewhere and imported (RecordReconciler).
  const pending = (created['status'] as { phase?: string } | undefined)?.phase !== undefined ? created
    : await deps.client.mergePatch<KubeObject>(Resources.gaimBackupRecord, name, undefined, { status: { phase: 'Pending', message: 'being taken' } }, signal, 'status')
      .catch((error: unknown) => { throw kubeError(Message.createRecord(name), error); });
  return GaimBackupRecordSchema.parse(pending);
}

/**
 * The VolumeSnapshotContent of a snapshot, kept whatever happens to the snapshot: deletionPolicy
 * Retain (the field is mutable on a bound content), and what the record needs of it.
 */
export async function retainContent(snapshot: SnapshotView, deps: RecordDeps, signal: AbortSignal): Promise<{ content: string; handle: string; driver: string; className: string | undefined }> {
  const name = snapshot.status?.boundVolumeSnapshotContentName;
  if (name === undefined) throw new OperatorError('kubernetes', `${Message.retainSnapshot(snapshot.metadata?.name ?? '')}: it is bound to no VolumeSnapshotContent yet`);
  let content = await deps.client.get<ContentView>(Resources.volumeSnapshotContent, name, undefined, signal).catch((error: unknown) => { throw kubeError(Message.retainSnapshot(name), error); });
  if (content.spec?.deletionPolicy !== 'Retain') {
    content = await deps.client.mergePatch<ContentView>(Resources.volumeSnapshotContent, name, undefined, { spec: { deletionPolicy: 'Retain' } }, signal)
      .catch((error: unknown) => { throw kubeError(Message.retainSnapshot(name), error); });
  }
  const handle = content.status?.snapshotHandle;
  if (handle === undefined) throw new OperatorError('kubernetes', `${Message.retainSnapshot(name)}: it has no snapshot handle yet`);
  return { content: name, handle, driver: content.spec?.driver ?? '', className: content.spec?.volumeSnapshotClassName ?? snapshot.spec?.volumeSnapshotClassName };
}

/** What a completed backup's claims become in its record: a snapshot per ready claim, the rest not backed up. */
export async function recordEntries(namespace: string, claims: readonly BackupClaim[], classOf: (store: BackupStore) => { storageClassName?: string; multishare?: boolean },
  deps: RecordDeps, signal: AbortSignal): Promise<{ snapshots: RecordSnapshot[]; notBackedUp: { store: BackupStore; reason: string }[] }> {
  const snapshots: RecordSnapshot[] = [];
  const notBackedUp: { store: BackupStore; reason: string }[] = [];
  for (const claim of claims) {
    const view = claim.volumeSnapshot === undefined ? undefined : deps.caches.get<SnapshotView>(Resources.volumeSnapshot, `${namespace}/${claim.volumeSnapshot}`)
      ?? await deps.client.get<SnapshotView>(Resources.volumeSnapshot, claim.volumeSnapshot, namespace, signal).catch(() => undefined);
    if (!claim.supported || !claim.readyToUse || view === undefined) {
      notBackedUp.push({ store: claim.store, reason: claim.error ?? 'not snapshotted' });
      continue;
    }
    const kept = await retainContent(view, deps, signal);
    const facts = classOf(claim.store);
    snapshots.push({
      store: claim.store, driver: kept.driver, snapshotHandle: kept.handle, volumeSnapshotContent: kept.content,
      ...(claim.restoreSize === undefined ? {} : { restoreSize: claim.restoreSize }),
      ...(facts.storageClassName === undefined ? {} : { storageClassName: facts.storageClassName }),
      ...(kept.className === undefined ? {} : { volumeSnapshotClassName: kept.className }),
      ...(facts.multishare === true ? { multishare: true } : {}),
    });
  }
  return { snapshots, notBackedUp };
}

/** Writes a record's snapshots (once) and marks it Completed. */
export async function completeRecord(record: GaimBackupRecord, entries: { snapshots: RecordSnapshot[]; notBackedUp: { store: BackupStore; reason: string }[] }, message: string,
  deps: RecordDeps, signal: AbortSignal): Promise<void> {
  const name = record.metadata.name;
  try {
    if (record.spec.snapshots === undefined) {
      await deps.client.mergePatch(Resources.gaimBackupRecord, name, undefined,
        { spec: { snapshots: entries.snapshots, ...(entries.notBackedUp.length === 0 ? {} : { notBackedUp: entries.notBackedUp }) } }, signal);
    }
    if (record.status?.phase !== 'Completed') {
      await deps.client.mergePatch(Resources.gaimBackupRecord, name, undefined, { status: { phase: 'Completed', message, completedAt: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z') } }, signal, 'status');
    }
  } catch (error: unknown) {
    throw kubeError(Message.completeRecord(name), error);
  }
}

/** Deletes a record: its finalizer gives its snapshots back to their driver (deletionPolicy Delete). */
export async function deleteRecord(name: string, deps: RecordDeps, context: ReconcileContext): Promise<void> {
  try {
    await deps.client.delete(Resources.gaimBackupRecord, name, undefined, { signal: context.signal });
    context.log.info({ record: name }, 'deleted the backup record');
  } catch (error: unknown) {
    if (!isNotFound(error)) throw kubeError(Message.deleteRecord(name), error);
  }
}

/** Whether a namespace is being deleted (a namespace gone altogether counts). */
export async function namespaceTerminating(namespace: string, client: KubeClient, signal: AbortSignal): Promise<boolean> {
  try {
    const object = await client.get<KubeObject & { status?: { phase?: string } }>(Resources.namespace, namespace, undefined, signal);
    return object.metadata?.deletionTimestamp !== undefined || object.status?.phase === 'Terminating';
  } catch (error: unknown) {
    if (isNotFound(error)) return true;
    throw kubeError(Message.readNamespace(namespace), error);
  }
}
