// The VolumeSnapshotClasses of the stack, as a platform team sets them up on GKE: GKE installs the
// snapshot CRDs and controller but no classes, so a cluster that backs up has one default class per
// driver — Persistent Disk snapshots, and Filestore backups (`type: backup`: GKE's page "Back up
// Filestore storage using volume snapshots" creates its class so). No VolumeGroupSnapshotClass:
// neither GKE driver serves volume group snapshots (see snapshotter.ts). One more class,
// `pd-unresponsive`, is served by a driver that never answers (the stack's snapshotter ignores its
// contents): a test's way to a snapshot that never completes.
import { FILESTORE_DRIVER, PD_DRIVER } from './storage-classes.js';

const DEFAULT = 'snapshot.storage.kubernetes.io/is-default-class';
/** On a class: the stack's snapshotter leaves its snapshots unanswered. */
export const NEVER_ANSWERS = 'stack.gaim.livingcontent.io/never-answers';

export const UNRESPONSIVE_SNAPSHOT_CLASS = 'pd-unresponsive';

export const SNAPSHOT_CLASSES = [
  { apiVersion: 'snapshot.storage.k8s.io/v1', kind: 'VolumeSnapshotClass', metadata: { name: 'pd-snapshots', annotations: { [DEFAULT]: 'true' } }, driver: PD_DRIVER, deletionPolicy: 'Delete' },
  {
    apiVersion: 'snapshot.storage.k8s.io/v1', kind: 'VolumeSnapshotClass', metadata: { name: 'filestore-backups', annotations: { [DEFAULT]: 'true' } },
    driver: FILESTORE_DRIVER, deletionPolicy: 'Delete', parameters: { type: 'backup' },
  },
  {
    apiVersion: 'snapshot.storage.k8s.io/v1', kind: 'VolumeSnapshotClass', metadata: { name: UNRESPONSIVE_SNAPSHOT_CLASS },
    driver: PD_DRIVER, deletionPolicy: 'Delete', parameters: { [NEVER_ANSWERS]: 'true' },
  },
] as const;
