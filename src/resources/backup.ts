// What a GaimBackup makes, and what it means, as pure functions: which claims a Gaim has, whether
// each can be snapshotted (and with which class), the VolumeSnapshot objects,
// and the backup's verdict from what its snapshots say.
import { createHash } from 'node:crypto';
import type { Gaim } from '../api/v1alpha1/gaim.js';
import type { BackupClaim, BackupStore, GaimBackup } from '../api/v1alpha1/gaim-backup.js';
import { BACKUP_API_VERSION, BACKUP_KIND } from '../api/v1alpha1/gaim-backup.js';
import { Labels, MANAGED_BY } from '../kube/labels.js';
import type { KubeObject, OwnerReference } from '../kube/objects.js';
import { objectNames } from './meta.js';

/** On a backup's snapshots and credentials copy: the GaimBackup they belong to. */
export const BACKUP_LABEL = 'gaim.livingcontent.io/backup';
/** On a GaimBackup the operator made: `scheduled` (spec.backup.schedule) or `final` (deletionPolicy Snapshot). */
export const BACKUP_TRIGGER_LABEL = 'gaim.livingcontent.io/backup-trigger';
/** On a scheduled GaimBackup: the schedule slot it was taken for (RFC 3339). */
export const BACKUP_SLOT_ANNOTATION = 'gaim.livingcontent.io/scheduled-for';
/** A StorageClass or VolumeSnapshotClass that is its driver's default. */
export const DEFAULT_SNAPSHOT_CLASS = 'snapshot.storage.kubernetes.io/is-default-class';
const FILESTORE_DRIVER = 'filestore.csi.storage.gke.io';
/** On a VolumeSnapshot of a Filestore multishare share: its instance (hashed), so backups of one instance's shares go one at a time. */
export const FILESTORE_INSTANCE_LABEL = 'gaim.livingcontent.io/filestore-instance';

export type BackupTrigger = 'scheduled' | 'final';

/** A store's claim, as the Gaim names it. */
export interface BackupTarget {
  readonly store: BackupStore;
  readonly claim: string;
}

/** The claims a Gaim's stores have: one per enabled store. */
export function backupTargets(gaim: Pick<Gaim, 'metadata' | 'spec'>): BackupTarget[] {
  const names = objectNames(gaim);
  return [
    ...(gaim.spec.mongodb.enabled ? [{ store: 'mongodb' as const, claim: `data-${names.mongodb}-0` }] : []),
    ...(gaim.spec.redis.enabled ? [{ store: 'redis' as const, claim: `data-${names.redis}-0` }] : []),
    { store: 'lancedb' as const, claim: names.lancedbClaim },
  ];
}

export const snapshotName = (backup: string, store: BackupStore): string => `${backup}-${store}`;
/** A scheduled backup's name: the Gaim and the slot, so two operators (or one restarted) never take a slot twice. */
export const scheduledBackupName = (gaim: string, slot: Date): string => `${gaim}-${Math.floor(slot.getTime() / 1000).toString(36)}`;
/** The final backup of deletionPolicy Snapshot: one per Gaim (its uid), whatever restarts happen. */
export const finalBackupName = (gaim: Pick<Gaim, 'metadata'>): string => `${gaim.metadata.name}-final-${(gaim.metadata.uid ?? '').slice(0, 8)}`;

/** What the cluster says of a claim, to decide whether (and how) it can be snapshotted. */
export interface ClaimFacts {
  readonly target: BackupTarget;
  /** Undefined while the claim does not exist. */
  readonly phase: string | undefined;
  readonly storageClassName: string | undefined;
  /** The class's provisioner: the CSI driver that would snapshot it. */
  readonly driver: string | undefined;
  readonly classParameters: Readonly<Record<string, string>>;
  /** A multishare share's instance, from its volume's handle (`modeMultishare/<label>/<project>/<location>/<instance>/<share>`). */
  readonly instance?: string | undefined;
}

export interface SnapshotClassView {
  readonly name: string;
  readonly driver: string;
  readonly isDefault: boolean;
}

export type SnapshotPlan =
  | {
    readonly supported: true; readonly target: BackupTarget; readonly driver: string; readonly className: string;
    readonly storageClassName: string;
    /** A Filestore multishare share: its instance, whose shares are backed up one at a time. */
    readonly instance?: string;
  }
  | { readonly supported: false; readonly target: BackupTarget; readonly reason: string }
  /** The claim is not there (or not bound) yet: the backup waits for it. */
  | { readonly supported: 'waiting'; readonly target: BackupTarget; readonly reason: string };

const FILESTORE_INSTANCE_BACKUP = 'back up the Filestore instance itself (gcloud filestore backups create; docs: "Backups and restore")';

/**
 * Whether a claim can be snapshotted, and with which class: the configured one for its store, else
 * its driver's default. Filestore multishare shares can (GKE's "Back up Filestore storage using
 * volume snapshots": Enterprise "Single share, multishare" over NFSv3, GKE 1.25+), except over
 * NFSv4.1 ("single share only").
 */
export function snapshotPlan(facts: ClaimFacts, classes: readonly SnapshotClassView[], configured: string | undefined): SnapshotPlan {
  const { target } = facts;
  if (facts.phase === undefined) return { supported: 'waiting', target, reason: `claim ${target.claim} does not exist yet` };
  if (facts.phase !== 'Bound') return { supported: 'waiting', target, reason: `claim ${target.claim} is ${facts.phase}` };
  if (facts.driver === undefined || facts.storageClassName === undefined || facts.storageClassName === '') {
    return { supported: false, target, reason: `not supported: claim ${target.claim} is a static NFS share, which no CSI driver can snapshot; ${FILESTORE_INSTANCE_BACKUP}` };
  }
  const multishare = facts.driver === FILESTORE_DRIVER && facts.classParameters['multishare'] === 'true';
  if (multishare && facts.classParameters['protocol'] === 'NFS_V4_1') {
    return { supported: false, target, reason: `not supported: claim ${target.claim} is a Filestore multishare share over NFSv4.1 (StorageClass ${facts.storageClassName}), and GKE backs up NFSv4.1 single shares only; ${FILESTORE_INSTANCE_BACKUP}` };
  }
  const supported = (className: string): SnapshotPlan => ({
    supported: true, target, driver: facts.driver ?? '', className, storageClassName: facts.storageClassName ?? '',
    ...(multishare && facts.instance !== undefined ? { instance: facts.instance } : {}),
  });
  if (configured !== undefined) {
    const named = classes.find((c) => c.name === configured);
    if (named === undefined) return { supported: false, target, reason: `not supported: the VolumeSnapshotClass ${configured} the operator is set to use for ${target.store} does not exist` };
    if (named.driver !== facts.driver) return { supported: false, target, reason: `not supported: VolumeSnapshotClass ${configured} is for driver ${named.driver}, but claim ${target.claim} is on ${facts.driver}` };
    return supported(configured);
  }
  const defaults = classes.filter((c) => c.driver === facts.driver && c.isDefault);
  const chosen = defaults.length === 1 ? defaults[0] : undefined;
  if (chosen === undefined) {
    return { supported: false, target, reason: `not supported: ${defaults.length === 0 ? 'no' : 'more than one'} default VolumeSnapshotClass for driver ${facts.driver} (mark one with ${DEFAULT_SNAPSHOT_CLASS}, or set the operator's class for ${target.store})` };
  }
  return supported(chosen.name);
}

function backupOwner(backup: Pick<GaimBackup, 'metadata'>): OwnerReference {
  return { apiVersion: BACKUP_API_VERSION, kind: BACKUP_KIND, name: backup.metadata.name, uid: backup.metadata.uid ?? '', controller: true, blockOwnerDeletion: true };
}

/** Labels of everything a backup makes: the operator's, the Gaim's, and the backup's. */
function backupMeta(backup: Pick<GaimBackup, 'metadata' | 'spec'>, name: string): KubeObject['metadata'] {
  return {
    name,
    namespace: backup.metadata.namespace,
    labels: { [Labels.managedBy]: MANAGED_BY, [Labels.gaim]: backup.spec.gaim, [BACKUP_LABEL]: backup.metadata.name, [Labels.component]: 'backup' },
    // Owned by the GaimBackup, never the Gaim: deleting the backup deletes its snapshots; deleting the Gaim does not.
    ownerReferences: [backupOwner(backup)],
  };
}

export function volumeSnapshot(backup: Pick<GaimBackup, 'metadata' | 'spec'>, target: BackupTarget, className: string, instance?: string): KubeObject {
  const meta = backupMeta(backup, snapshotName(backup.metadata.name, target.store));
  return {
    apiVersion: 'snapshot.storage.k8s.io/v1',
    kind: 'VolumeSnapshot',
    metadata: instance === undefined ? meta : { ...meta, labels: { ...meta?.labels, [FILESTORE_INSTANCE_LABEL]: instanceLabelValue(instance) } },
    spec: { volumeSnapshotClassName: className, source: { persistentVolumeClaimName: target.claim } },
  };
}

/** A label value naming a multishare instance (a handle may pass 63 characters): its hash. */
export function instanceLabelValue(instance: string): string {
  return createHash('sha256').update(instance).digest('hex').slice(0, 32);
}

export interface Verdict {
  readonly phase: 'Running' | 'Completed' | 'Failed';
  readonly message: string;
  /** The claims, with the error of each that ran out of time. */
  readonly claims: readonly BackupClaim[];
}

/**
 * The backup's phase from its claims: Completed when every claim that can be is ready (and, with
 * requireAll, none is unsupported), Failed when a claim cannot be snapshotted under requireAll or the
 * time is up for those not ready, Running otherwise.
 */
export function backupVerdict(claims: readonly BackupClaim[], requireAll: boolean, timedOut: boolean, timeoutSeconds: number): Verdict {
  const late = (c: BackupClaim): BackupClaim => (timedOut && c.supported && !c.readyToUse
    ? { ...c, error: c.error ?? `not ready within ${String(timeoutSeconds)}s (GAIM_BACKUP_TIMEOUT_SECONDS): its CSI driver has not answered` } : c);
  const all = claims.map(late);
  const unsupported = all.filter((c) => !c.supported);
  const ready = all.filter((c) => c.supported && c.readyToUse);
  const pending = all.filter((c) => c.supported && !c.readyToUse);
  const named = (list: readonly BackupClaim[]) => list.map((c) => `${c.store} (${c.claim}): ${c.error ?? 'not ready'}`).join('; ');
  const verdict = (phase: Verdict['phase'], message: string): Verdict => ({ phase, message, claims: all });
  if (requireAll && unsupported.length > 0) return verdict('Failed', `cannot back up every claim, and spec.backup.requireAll is true: ${named(unsupported)}`);
  if (pending.length === 0 && ready.length > 0) {
    const skipped = unsupported.length === 0 ? '' : `; not backed up (spec.backup.requireAll is false): ${named(unsupported)}`;
    return verdict('Completed', `${String(ready.length)} of ${String(all.length)} claims snapshotted: ${ready.map((c) => c.store).join(', ')}${skipped}`);
  }
  if (pending.length === 0) return verdict('Failed', `no claim could be snapshotted: ${named(unsupported)}`);
  if (!timedOut) return verdict('Running', `waiting for ${pending.map((c) => `${c.store} (${c.queued ?? c.volumeSnapshot ?? c.claim})`).join(', ')}`);
  if (!requireAll && ready.length > 0) {
    return verdict('Completed', `${String(ready.length)} of ${String(all.length)} claims snapshotted; not backed up (spec.backup.requireAll is false): ${named([...unsupported, ...pending])}`);
  }
  return verdict('Failed', `cannot back up every claim: ${named([...unsupported, ...pending])}`);
}
