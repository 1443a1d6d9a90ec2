// The backup catalog's objects, as pure functions: a GaimBackupRecord for a backup (or for a final
// backup taken from kept volumes), its credentials copy in the operator's namespace, the claims and
// snapshots that take a final backup outside a deleted namespace, and the pre-provisioned
// VolumeSnapshotContent + VolumeSnapshot pair a restore binds in the target namespace (the GA static
// path: https://kubernetes.io/docs/concepts/storage/volume-snapshots/#static).
import type { Gaim } from '../api/v1alpha1/gaim.js';
import type { BackupStore } from '../api/v1alpha1/gaim-backup.js';
import {
  RECORD_API_VERSION, RECORD_KIND, recordCredentialsName, recordName, type GaimBackupRecord, type RecordSnapshot, type RecordTrigger,
} from '../api/v1alpha1/gaim-backup-record.js';
import { Labels, MANAGED_BY } from '../kube/labels.js';
import type { KubeObject, OwnerReference } from '../kube/objects.js';
import { labels, objectNames, ownerReference } from './meta.js';
import { maxQuantity } from './quantity.js';

/** On what the catalog makes for a record (its claims, snapshots and credentials in the operator's namespace): the record's uid. */
export const RECORD_UID_LABEL = 'gaim.livingcontent.io/backup-record-uid';
/** The finalizer of a record whose snapshots go with it (deletionPolicy Delete). */
export const RECORD_FINALIZER = 'gaim.livingcontent.io/snapshots';
/** The finalizer of a GaimBackup: its record goes with it, unless its namespace is being deleted. */
export const BACKUP_FINALIZER = 'gaim.livingcontent.io/backup-record';

type Secrets = Readonly<Record<'mongodb' | 'redis', Readonly<Record<string, string>> | undefined>>;

const recordMeta = (name: string, namespace: string, gaim: string): KubeObject['metadata'] => ({
  name,
  labels: { [Labels.managedBy]: MANAGED_BY, [Labels.gaim]: gaim, [Labels.gaimNamespace]: namespace, [Labels.component]: 'backup' },
  finalizers: [RECORD_FINALIZER],
});

export interface RecordSource {
  readonly gaim: Pick<Gaim, 'metadata' | 'spec'>;
  readonly backup: string;
  readonly trigger: RecordTrigger;
  readonly cluster: string;
  readonly takenAt: string;
}

const source = (s: RecordSource) => ({
  cluster: s.cluster, namespace: s.gaim.metadata.namespace, gaim: s.gaim.metadata.name, gaimId: s.gaim.spec.gaimId,
  backup: s.backup, trigger: s.trigger, takenAt: s.takenAt,
});

/** The spec to keep: the Gaim's, without what a restore must not repeat (a restore source, a suspension). */
function keptSpec(gaim: Pick<Gaim, 'spec'>): Record<string, unknown> {
  const { restoreFrom: _restoreFrom, suspend: _suspend, ...spec } = gaim.spec;
  return JSON.parse(JSON.stringify(spec)) as Record<string, unknown>;
}

/** The record a GaimBackup makes as it starts: Pending; its snapshots are written when it completes. */
export function backupRecord(s: RecordSource): KubeObject {
  const name = recordName(s.gaim.metadata.namespace, s.backup);
  return {
    apiVersion: RECORD_API_VERSION, kind: RECORD_KIND,
    metadata: recordMeta(name, s.gaim.metadata.namespace, s.gaim.metadata.name),
    spec: { source: source(s), gaimSpec: keptSpec(s.gaim), credentialsSecret: recordCredentialsName(name), deletionPolicy: 'Delete' },
  };
}

/** The name of the final backup taken outside a namespace being deleted. */
export const keptFinalBackupName = (gaim: Pick<Gaim, 'metadata'>): string => `${gaim.metadata.name}-final-${(gaim.metadata.uid ?? '').slice(0, 8)}-kept`;

/** A final backup to take from kept volumes, its namespace being deleted: the volumes to snapshot. */
export function keptVolumesRecord(s: Omit<RecordSource, 'backup' | 'trigger'>, volumes: readonly { store: BackupStore; persistentVolume: string }[], notBackedUp: readonly { store: BackupStore; reason: string }[]): KubeObject {
  const record = backupRecord({ ...s, backup: keptFinalBackupName(s.gaim), trigger: 'final' });
  return { ...record, spec: { ...(record['spec'] as object), volumes: [...volumes], ...(notBackedUp.length === 0 ? {} : { notBackedUp: [...notBackedUp] }) } };
}

export function recordOwner(record: Pick<GaimBackupRecord, 'metadata'>): OwnerReference {
  return { apiVersion: RECORD_API_VERSION, kind: RECORD_KIND, name: record.metadata.name, uid: record.metadata.uid ?? '', controller: true, blockOwnerDeletion: true };
}

/** Metadata of what a record owns in the operator's namespace: deleted with it (a namespaced object may have a cluster-scoped owner). */
function ownedByRecord(record: Pick<GaimBackupRecord, 'metadata'>, name: string, namespace: string): KubeObject['metadata'] {
  return {
    name, namespace,
    labels: { [Labels.managedBy]: MANAGED_BY, [Labels.component]: 'backup', [RECORD_UID_LABEL]: record.metadata.uid ?? '' },
    ownerReferences: [recordOwner(record)],
  };
}

/** The credentials copy: `mongodb.<key>` and `redis.<key>`, in the operator's namespace, owned by the record. */
export function recordCredentials(record: Pick<GaimBackupRecord, 'metadata' | 'spec'>, namespace: string, secrets: Secrets): KubeObject {
  const data: Record<string, string> = {};
  for (const store of ['mongodb', 'redis'] as const) {
    for (const [key, value] of Object.entries(secrets[store] ?? {})) data[`${store}.${key}`] = Buffer.from(value).toString('base64');
  }
  return { apiVersion: 'v1', kind: 'Secret', metadata: ownedByRecord(record, record.spec.credentialsSecret, namespace), type: 'Opaque', data };
}

/** The Secret of one store, from a credentials copy. */
export function restoredSecret(gaim: Pick<Gaim, 'metadata'>, store: 'mongodb' | 'redis', copy: Readonly<Record<string, string>>): KubeObject {
  const names = objectNames(gaim);
  const prefix = `${store}.`;
  const stringData = Object.fromEntries(Object.entries(copy).filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k.slice(prefix.length), v]));
  return {
    apiVersion: 'v1', kind: 'Secret',
    metadata: { name: store === 'mongodb' ? names.mongodbSecret : names.redisSecret, namespace: gaim.metadata.namespace, labels: labels(gaim, store), ownerReferences: [ownerReference(gaim)] },
    type: 'Opaque', stringData,
  };
}

// --- a final backup from kept volumes, in the operator's namespace -------------------------------

/** The claim in the operator's namespace that holds a kept volume while it is snapshotted. */
export const holdingName = (record: Pick<GaimBackupRecord, 'metadata'>, store: BackupStore): string => `kept-${(record.metadata.uid ?? '').slice(0, 13)}-${store}`;

export interface KeptVolume {
  readonly name: string;
  readonly storageClassName: string | undefined;
  readonly accessModes: readonly string[];
  readonly capacity: string;
}

/** A claim bound to the kept volume by name (a pre-bound claim binds at once, whatever the class's binding mode). */
export function holdingClaim(record: Pick<GaimBackupRecord, 'metadata'>, store: BackupStore, volume: KeptVolume, namespace: string): KubeObject {
  return {
    apiVersion: 'v1', kind: 'PersistentVolumeClaim',
    metadata: ownedByRecord(record, holdingName(record, store), namespace),
    spec: {
      accessModes: [...volume.accessModes], volumeName: volume.name, volumeMode: 'Filesystem',
      storageClassName: volume.storageClassName ?? '',
      resources: { requests: { storage: volume.capacity } },
    },
  };
}

export function holdingSnapshot(record: Pick<GaimBackupRecord, 'metadata'>, store: BackupStore, className: string, namespace: string, extraLabels: Readonly<Record<string, string>>): KubeObject {
  const meta = ownedByRecord(record, holdingName(record, store), namespace);
  return {
    apiVersion: 'snapshot.storage.k8s.io/v1', kind: 'VolumeSnapshot',
    metadata: { ...meta, labels: { ...meta?.labels, ...extraLabels } },
    spec: { volumeSnapshotClassName: className, source: { persistentVolumeClaimName: holdingName(record, store) } },
  };
}

// --- restore: the static path -------------------------------------------------------------------

/** The pre-provisioned content a restore binds (cluster-scoped: named by the restoring Gaim's uid, so it is made once). */
export const restoreContentName = (gaim: Pick<Gaim, 'metadata'>, store: BackupStore): string => `restore-${gaim.metadata.uid ?? gaim.metadata.name}-${store}`;
export const restoreSnapshotName = (gaim: Pick<Gaim, 'metadata'>, store: BackupStore): string => `${gaim.metadata.name}-restore-${store}`;

/**
 * A VolumeSnapshotContent naming the record's snapshot handle, bound in advance to the restore's
 * VolumeSnapshot: deletionPolicy Retain, so nothing a restore does can delete the backup.
 */
export function restoreContent(gaim: Pick<Gaim, 'metadata'>, store: BackupStore, snapshot: RecordSnapshot): KubeObject {
  return {
    apiVersion: 'snapshot.storage.k8s.io/v1', kind: 'VolumeSnapshotContent',
    metadata: { name: restoreContentName(gaim, store), labels: { ...labels(gaim, store), [Labels.gaimNamespace]: gaim.metadata.namespace } },
    spec: {
      deletionPolicy: 'Retain', driver: snapshot.driver,
      source: { snapshotHandle: snapshot.snapshotHandle },
      sourceVolumeMode: 'Filesystem',
      ...(snapshot.volumeSnapshotClassName === undefined ? {} : { volumeSnapshotClassName: snapshot.volumeSnapshotClassName }),
      volumeSnapshotRef: { namespace: gaim.metadata.namespace, name: restoreSnapshotName(gaim, store) },
    },
  };
}

export function restoreSnapshot(gaim: Pick<Gaim, 'metadata'>, store: BackupStore, snapshot: RecordSnapshot): KubeObject {
  return {
    apiVersion: 'snapshot.storage.k8s.io/v1', kind: 'VolumeSnapshot',
    metadata: { name: restoreSnapshotName(gaim, store), namespace: gaim.metadata.namespace, labels: labels(gaim, store), ownerReferences: [ownerReference(gaim)] },
    spec: {
      ...(snapshot.volumeSnapshotClassName === undefined ? {} : { volumeSnapshotClassName: snapshot.volumeSnapshotClassName }),
      source: { volumeSnapshotContentName: restoreContentName(gaim, store) },
    },
  };
}

/** The request of a restored claim: what the Gaim asks for, never below the snapshot's restoreSize (external-provisioner compares the request). */
export function restoreRequest(wanted: string, restoreSize: string | undefined): string {
  return maxQuantity(wanted, restoreSize);
}
