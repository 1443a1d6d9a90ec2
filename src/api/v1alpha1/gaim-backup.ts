// The GaimBackup API, v1alpha1: one backup of one Gaim's claims, as CSI VolumeSnapshots (or, where
// the cluster serves them, VolumeGroupSnapshots of the claims of one driver). Defined here; its CRD
// is generated from these schemas like the Gaim's (crd.ts).
import { z } from 'zod';
import { GaimNameSchema, GROUP, VERSION } from './gaim.js';

export const BACKUP_KIND = 'GaimBackup';
export const BACKUP_PLURAL = 'gaimbackups';
export const BACKUP_SINGULAR = 'gaimbackup';
export const BACKUP_API_VERSION = `${GROUP}/${VERSION}`;

export const BACKUP_PHASES = ['Pending', 'Running', 'Completed', 'Failed'] as const;
export type BackupPhase = (typeof BACKUP_PHASES)[number];
export const BACKUP_STORES = ['mongodb', 'redis', 'lancedb'] as const;
export type BackupStore = (typeof BACKUP_STORES)[number];
/** How the snapshots were taken: each claim on its own, or the claims of one driver at one instant. */
export const SNAPSHOT_METHODS = ['VolumeSnapshot', 'VolumeGroupSnapshot'] as const;

export const BackupMessages = {
  gaimImmutable: 'gaim is immutable: a backup belongs to the Gaim it was taken of',
  name: 'metadata.name of a GaimBackup is at most 63 characters (it labels its snapshots)',
} as const;

/** Root-level CEL: the name labels the backup's snapshots, so it must fit a label value. */
export const BACKUP_ROOT_VALIDATIONS = [{ rule: 'size(self.metadata.name) <= 63', message: BackupMessages.name }] as const;

export const GaimBackupSpecSchema = z.strictObject({
  gaim: GaimNameSchema.meta({
    description: 'The Gaim (in this namespace) whose claims to back up. Creating the GaimBackup takes the backup now. Immutable.',
    'x-kubernetes-validations': [{ rule: 'self == oldSelf', message: BackupMessages.gaimImmutable }],
  }),
}).meta({ description: 'Which Gaim to back up. A GaimBackup is never owned by its Gaim: deleting the Gaim keeps its backups. Deleting the GaimBackup deletes its snapshots and its record; deleting its namespace keeps both (the record in the catalog).' });

export const BackupClaimSchema = z.strictObject({
  store: z.enum(BACKUP_STORES).meta({ description: 'Whose data the claim holds: mongodb, redis or lancedb.' }),
  claim: z.string().min(1).max(253).meta({ description: 'The PersistentVolumeClaim backed up.' }),
  volumeSnapshot: z.string().max(253).optional().meta({ description: 'The VolumeSnapshot of the claim (a restore\'s dataSource); absent when the claim cannot be snapshotted.' }),
  volumeGroupSnapshot: z.string().max(253).optional().meta({ description: 'The VolumeGroupSnapshot the VolumeSnapshot belongs to, in a backup an earlier version took with one.' }),
  supported: z.boolean().meta({ description: 'Whether the claim\'s volume can be snapshotted at all (a static NFS share, a Filestore multishare share over NFSv4.1, or a driver without a VolumeSnapshotClass cannot).' }),
  queued: z.string().max(1024).optional().meta({ description: 'Why the snapshot is not taken yet: GKE backs up one share of a Filestore instance at a time, so a share waits while another share of its instance is being backed up.' }),
  readyToUse: z.boolean().meta({ description: 'Whether the snapshot is ready to restore from.' }),
  restoreSize: z.string().max(64).optional().meta({ description: 'The smallest claim the snapshot can be restored into.' }),
  error: z.string().max(4096).optional().meta({ description: 'Why the claim is not backed up: not supported (and why), or the snapshot\'s error.' }),
});
export type BackupClaim = z.infer<typeof BackupClaimSchema>;

export const GaimBackupStatusSchema = z.strictObject({
  phase: z.enum(BACKUP_PHASES).optional().meta({ description: 'Pending, Running, Completed or Failed. Completed and Failed are final.' }),
  startedAt: z.iso.datetime().optional().meta({ description: 'When the operator started taking the backup.' }),
  completedAt: z.iso.datetime().optional().meta({ description: 'When the backup ended (Completed or Failed).' }),
  message: z.string().max(32768).optional().meta({ description: 'What the backup holds, or why it failed.' }),
  gaimId: z.string().max(64).optional().meta({ description: 'The backed-up Gaim\'s spec.gaimId: a restore into a Gaim with another gaimId is refused.' }),
  method: z.enum(SNAPSHOT_METHODS).optional().meta({
    description: 'VolumeSnapshot: each claim snapshotted on its own (crash-consistent each, a moment apart): GKE\'s Persistent Disk and Filestore drivers have no volume group snapshots. VolumeGroupSnapshot: a backup an earlier version took with one.',
  }),
  notes: z.array(z.string().max(1024)).max(8).optional().meta({ description: 'How consistent the snapshots are: what was flushed just before them (Redis\'s append-only file rewritten, MongoDB fsynced), or why not.' }),
  credentialsSecret: z.string().max(253).optional().meta({ description: 'Deprecated: the in-namespace copy of the credentials older versions kept. The copy now lives with the backup\'s record (status.record).' }),
  record: z.string().max(253).optional().meta({ description: 'The backup\'s GaimBackupRecord in the catalog (cluster-scoped): it outlives this GaimBackup and its namespace, and restores from it (spec.restoreFrom).' }),
  claims: z.array(BackupClaimSchema).max(8).optional().meta({
    description: 'One entry per claim of the Gaim.',
    'x-kubernetes-list-type': 'map',
    'x-kubernetes-list-map-keys': ['claim'],
  }),
}).meta({ description: 'Observed state, written by the operator.' });

export type GaimBackupStatus = z.output<typeof GaimBackupStatusSchema>;

export const GaimBackupSchema = z.object({
  apiVersion: z.literal(BACKUP_API_VERSION),
  kind: z.literal(BACKUP_KIND),
  metadata: z.looseObject({
    name: z.string().min(1).max(63, { message: BackupMessages.name }),
    namespace: z.string().min(1),
    uid: z.string().optional(),
    resourceVersion: z.string().optional(),
    generation: z.int().optional(),
    creationTimestamp: z.string().optional(),
    deletionTimestamp: z.string().optional(),
    finalizers: z.array(z.string()).optional(),
    labels: z.record(z.string(), z.string()).optional(),
    annotations: z.record(z.string(), z.string()).optional(),
  }),
  spec: GaimBackupSpecSchema,
  status: GaimBackupStatusSchema.optional(),
});
export type GaimBackup = z.output<typeof GaimBackupSchema>;
