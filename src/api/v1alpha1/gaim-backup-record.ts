// The GaimBackupRecord API, v1alpha1: the backup catalog. One cluster-scoped record per backup, kept
// outside the tenant's namespace, holding everything a restore needs — the snapshot handles per
// store, their sizes and classes, the Gaim's spec at backup time, and the name of the credentials
// copy in the operator's namespace — so a backup outlives its namespace and can be restored into any
// namespace (a pre-provisioned VolumeSnapshotContent naming the handle: the GA static path) or, as an
// exported record, into another cluster.
//
// Cluster-scoped, not namespaced in the operator's namespace: a record must outlive every namespace,
// the operator's own included (an uninstall that deletes it), names are global (what `kubectl gaim
// backup import` checks), and `kubectl get gaimbackuprecords` needs no namespace to know. Only
// platform administrators are given access to it (the chart's gaim-view/gaim-edit roles leave it out).
import { z } from 'zod';
import { BACKUP_STORES } from './gaim-backup.js';
import { DNS_SUBDOMAIN_PATTERN, GROUP, uuid, VERSION } from './gaim.js';

export const RECORD_KIND = 'GaimBackupRecord';
export const RECORD_PLURAL = 'gaimbackuprecords';
export const RECORD_SINGULAR = 'gaimbackuprecord';
export const RECORD_API_VERSION = `${GROUP}/${VERSION}`;

export const RECORD_PHASES = ['Pending', 'Completed', 'Failed'] as const;
export const RECORD_TRIGGERS = ['manual', 'scheduled', 'final'] as const;
export type RecordTrigger = (typeof RECORD_TRIGGERS)[number];

export const RecordMessages = {
  immutable: 'the record of a backup does not change once written',
  snapshotsOnce: 'snapshots are written once, when the backup completes',
} as const;

const name = (what: string) => z.string().min(1).max(253).regex(new RegExp(DNS_SUBDOMAIN_PATTERN), { message: `must be ${what}` });
const label = z.string().min(1).max(63).regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, { message: 'must be a lowercase DNS label' });

export const RecordSourceSchema = z.strictObject({
  cluster: label.meta({ description: 'The cluster the backup was taken in (its operator\'s GAIM_CLUSTER_NAME).' }),
  namespace: label.meta({ description: 'The namespace of the backed-up Gaim.' }),
  gaim: label.meta({ description: 'The backed-up Gaim\'s name (gaim_name).' }),
  gaimId: uuid().meta({ description: 'The backed-up Gaim\'s spec.gaimId: only a Gaim with this gaimId may restore the record.' }),
  backup: name('the name of the backup').meta({ description: 'The GaimBackup this record is of (for a final backup taken from kept volumes, the name it was given).' }),
  trigger: z.enum(RECORD_TRIGGERS).meta({ description: 'manual (a GaimBackup someone created), scheduled (spec.backup.schedule) or final (deletionPolicy Snapshot).' }),
  takenAt: z.iso.datetime().meta({ description: 'When the backup started.' }),
}).meta({ description: 'Where the backup was taken: cluster, namespace, Gaim and when.', 'x-kubernetes-validations': [{ rule: 'self == oldSelf', message: RecordMessages.immutable }] });

export const RecordSnapshotSchema = z.strictObject({
  store: z.enum(BACKUP_STORES).meta({ description: 'Whose data: mongodb, redis or lancedb.' }),
  driver: z.string().min(1).max(253).meta({ description: 'The CSI driver that holds the snapshot (a restore\'s claim must use a class of this driver).' }),
  snapshotHandle: z.string().min(1).max(1024).meta({ description: 'The driver\'s handle of the snapshot (a Persistent Disk snapshot, a Filestore backup): what a pre-provisioned VolumeSnapshotContent names.' }),
  restoreSize: z.string().max(64).optional().meta({ description: 'The smallest claim the snapshot restores into.' }),
  storageClassName: z.string().max(253).optional().meta({ description: 'The StorageClass of the backed-up claim (empty: the cluster\'s default class).' }),
  volumeSnapshotClassName: z.string().max(253).optional().meta({ description: 'The VolumeSnapshotClass it was taken with.' }),
  volumeSnapshotContent: z.string().max(253).optional().meta({ description: 'In the cluster that took it: the VolumeSnapshotContent kept for it (deletionPolicy Retain), which deleting the record hands back to the driver.' }),
  multishare: z.boolean().optional().meta({ description: 'The claim was a Filestore multishare share: a restore goes into a single-share class (GAIM_RESTORE_STORAGE_CLASS_LANCEDB), since a backup cannot be restored into an instance with several shares.' }),
});
export type RecordSnapshot = z.infer<typeof RecordSnapshotSchema>;

export const RecordVolumeSchema = z.strictObject({
  store: z.enum(BACKUP_STORES).meta({ description: 'Whose data the volume holds.' }),
  persistentVolume: name('a PersistentVolume name').meta({ description: 'A volume kept (reclaim policy Retain) to take the final backup from, its namespace being deleted.' }),
});

export const GaimBackupRecordSpecSchema = z.strictObject({
  source: RecordSourceSchema,
  gaimSpec: z.record(z.string(), z.unknown()).meta({ description: 'The Gaim\'s spec when the backup was taken: what to apply again to restore it (with spec.restoreFrom.record).' }),
  snapshots: z.array(RecordSnapshotSchema).max(3).optional().meta({
    description: 'One per store the backup holds; written when the backup completes.',
    'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['store'],
    'x-kubernetes-validations': [{ rule: 'self == oldSelf', message: RecordMessages.snapshotsOnce }],
  }),
  volumes: z.array(RecordVolumeSchema).max(3).optional().meta({
    description: 'A final backup taken outside its namespace: the kept volumes to snapshot.',
    'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['store'],
    'x-kubernetes-validations': [{ rule: 'self == oldSelf', message: RecordMessages.immutable }],
  }),
  notBackedUp: z.array(z.strictObject({ store: z.enum(BACKUP_STORES), reason: z.string().max(1024) })).max(3).optional().meta({
    description: 'Stores the backup does not hold, and why (a static NFS share, spec.backup.requireAll false): a restore starts them empty.',
  }),
  credentialsSecret: name('a Secret name').meta({ description: 'The copy of the Gaim\'s credentials, a Secret in the operator\'s namespace (readable by the operator alone): the restored data holds these passwords.' }),
  deletionPolicy: z.enum(['Delete', 'Retain']).default('Delete').meta({
    description: 'Delete: deleting the record deletes its snapshots (the backup is gone). Retain: deleting it only forgets them (an imported copy of another cluster\'s record, which that cluster owns).',
  }),
  allowedNamespaces: z.array(label).max(64).optional().meta({
    description: 'Namespaces besides the source namespace whose Gaims may restore this record (a platform administrator grants them; a Gaim\'s author never can).',
    'x-kubernetes-list-type': 'set',
  }),
}).meta({ description: 'A backup, as the catalog keeps it: written by the operator, or imported from another cluster.' });
export type GaimBackupRecordSpec = z.output<typeof GaimBackupRecordSpecSchema>;

export const GaimBackupRecordStatusSchema = z.strictObject({
  phase: z.enum(RECORD_PHASES).optional().meta({ description: 'Pending (being taken), Completed (restorable) or Failed.' }),
  message: z.string().max(32768).optional().meta({ description: 'What the backup holds, or why it failed.' }),
  completedAt: z.iso.datetime().optional().meta({ description: 'When the backup completed or failed.' }),
}).meta({ description: 'Observed state, written by the operator.' });
export type GaimBackupRecordStatus = z.output<typeof GaimBackupRecordStatusSchema>;

export const GaimBackupRecordSchema = z.object({
  apiVersion: z.literal(RECORD_API_VERSION),
  kind: z.literal(RECORD_KIND),
  metadata: z.looseObject({
    name: z.string().min(1).max(253),
    uid: z.string().optional(),
    resourceVersion: z.string().optional(),
    creationTimestamp: z.string().optional(),
    deletionTimestamp: z.string().optional(),
    finalizers: z.array(z.string()).optional(),
    labels: z.record(z.string(), z.string()).optional(),
    annotations: z.record(z.string(), z.string()).optional(),
  }),
  spec: GaimBackupRecordSpecSchema,
  status: GaimBackupRecordStatusSchema.optional(),
});
export type GaimBackupRecord = z.output<typeof GaimBackupRecordSchema>;

/** A record's name: the source namespace and the backup's name (a namespace name has no dot, so it never collides). */
export const recordName = (namespace: string, backup: string): string => `${namespace}.${backup}`;
/** The credentials copy of a record, in the operator's namespace. */
export const recordCredentialsName = (record: string): string => `gaim-backup.${record}`;
