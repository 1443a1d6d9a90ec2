// spec.restoreFrom: before anything else is made, the Gaim's claims are created from a backup in the
// catalog (its GaimBackupRecord) and its credentials Secrets from the record's copy — the restored
// data holds those passwords, so new ones must never be generated for it.
//
// Every restore takes the GA static path, whatever namespace or cluster the backup came from: a
// pre-provisioned VolumeSnapshotContent naming the record's snapshot handle (deletionPolicy Retain:
// nothing a restore does can delete the backup), bound to a VolumeSnapshot in the Gaim's namespace,
// which the new claims name as their dataSource (the StatefulSets adopt `data-<sts>-0` by name).
// Once the claims exist the restore is done (status.restoredFrom), and the two binding objects go;
// everything after is the usual create-if-absent, so restored data is never overwritten.
import type { Gaim } from '../../api/v1alpha1/gaim.js';
import type { BackupStore } from '../../api/v1alpha1/gaim-backup.js';
import { recordName, type GaimBackupRecord, type RecordSnapshot } from '../../api/v1alpha1/gaim-backup-record.js';
import type { Caches } from '../../controller/caches.js';
import type { ReconcileContext } from '../../controller/result.js';
import { OperatorError, wrap } from '../../errors.js';
import type { KubeClient } from '../../kube/client.js';
import type { EventRecorder } from '../../kube/events.js';
import { isConflict, isNotFound } from '../../kube/errors.js';
import type { KubeObject } from '../../kube/objects.js';
import { Resources, type Resource } from '../../kube/resources.js';
import { Message } from '../../messages.js';
import { backupTargets } from '../../resources/backup.js';
import { restoreContent, restoreContentName, restoredSecret, restoreRequest, restoreSnapshot, restoreSnapshotName } from '../../resources/backup-record.js';
import { labels, ownedMeta } from '../../resources/meta.js';
import type { TierSizes } from '../../resources/tiers.js';
import { Reason } from '../../status/reasons.js';
import { firstRefusal, type Policy, type Refusal } from '../gaim/refusals.js';
import { decode } from '../gaim/secrets.js';

/** On a claim the restore created: the backup it came from. */
export const RESTORED_FROM = 'gaim.livingcontent.io/restored-from';

export interface RestoreDeps {
  readonly caches: Caches;
  readonly client: KubeClient;
  readonly events: EventRecorder;
  /** Where the catalog keeps the credentials copies. */
  readonly operatorNamespace: string;
  /** The class a LanceDB backup of a multishare share is restored into (GAIM_RESTORE_STORAGE_CLASS_LANCEDB). */
  readonly lancedbRestoreClass: string;
}

type ClaimView = KubeObject & { metadata?: { annotations?: Record<string, string> } };
type SnapshotView = KubeObject & { status?: { readyToUse?: boolean; error?: { message?: string } } };
type StorageClassView = KubeObject & { provisioner?: string; parameters?: Record<string, string> };

/** What a restore achieved: done (the backup restored from), or waiting for its snapshots to bind. */
export type RestoreProgress = { readonly restoredFrom: string } | { readonly waiting: string; readonly recheckAfterMs: number } | undefined;

/** How soon a restore waiting for its snapshots to bind looks again (their changes also wake it). */
const RESTORE_RECHECK_MS = 2_000;

const notReady = (backup: string, why: string) => new OperatorError('storage', `${Message.restoreFrom(backup)}: ${why}`, { reason: Reason.RestoreSourceNotReady });

/** The restore's source: its name as the spec gives it, and the record to read. */
export function restoreSource(gaim: Pick<Gaim, 'metadata' | 'spec'>): { label: string; record: string } | undefined {
  const from = gaim.spec.restoreFrom;
  if (from === undefined) return undefined;
  if (from.record !== undefined) return { label: from.record, record: from.record };
  const backup = from.backup ?? '';
  return { label: backup, record: recordName(gaim.metadata.namespace, backup) };
}

export interface RestoreStep {
  readonly store: BackupStore;
  readonly claim: string;
  /** Undefined: the backup does not hold this store; it starts empty. */
  readonly snapshot: RecordSnapshot | undefined;
}

/** What a restore's refusals look at: the Gaim, the record its spec names (if the catalog has it), claims in the way. */
export interface RestoreInput {
  readonly gaim: Pick<Gaim, 'metadata' | 'spec'>;
  /** The backup as the spec names it. */
  readonly label: string;
  readonly record: Pick<GaimBackupRecord, 'metadata' | 'spec' | 'status'> | undefined;
  /** Claims of the Gaim that exist and were not made by this restore. */
  readonly foreign: readonly string[];
}

const refuse = (label: string, why: string, reason: string = Reason.RestoreSourceMismatch): Refusal => ({ type: 'validation', reason, message: `${Message.restoreFrom(label)}: ${why}` });
const wait = (label: string, why: string): Refusal => ({ type: 'storage', reason: Reason.RestoreSourceNotReady, message: `${Message.restoreFrom(label)}: ${why}` });
const snapshotsOf = (input: RestoreInput) => input.record?.spec.snapshots ?? [];

/**
 * A restore's refusals, in order (refusals.ts has the form): a mismatch is terminal (validation); a
 * record missing, still being taken or failed waits (RestoreSourceNotReady).
 */
export const RESTORE_POLICIES: readonly Policy<RestoreInput>[] = [
  ({ label, foreign }) => (foreign.length === 0 ? undefined
    : refuse(label, `claim ${foreign.join(', ')} already exists; a restore only creates claims that do not (their data is kept)`)),
  ({ gaim, label, record }) => (record !== undefined ? undefined
    : wait(label, `the backup catalog has no record ${restoreSource(gaim)?.record ?? label} (kubectl gaim backups -A lists it; import one from another cluster with kubectl gaim backup import)`)),
  ({ gaim, label, record }) => {
    const source = record?.spec.source;
    return source === undefined || source.gaimId === gaim.spec.gaimId ? undefined
      : refuse(label, `it is a backup of gaimId ${source.gaimId} (Gaim ${source.namespace}/${source.gaim}), and this Gaim's gaimId is ${gaim.spec.gaimId}; a Gaim restores only its own backups`);
  },
  ({ gaim, label, record }) => {
    const ns = gaim.metadata.namespace;
    return record === undefined || record.spec.source.namespace === ns || (record.spec.allowedNamespaces ?? []).includes(ns) ? undefined
      : refuse(label, `it was taken in namespace ${record.spec.source.namespace}, and namespace ${ns} is not in its spec.allowedNamespaces (a platform administrator allows it: kubectl gaim backup allow ${record.metadata.name} --namespace ${ns})`, Reason.RestoreNotAllowed);
  },
  ({ label, record }) => (record === undefined || record.status?.phase === 'Completed' ? undefined : wait(label, `it is ${record.status?.phase ?? 'Pending'}, not Completed`)),
  (input) => {
    const targets = backupTargets(input.gaim);
    const extra = snapshotsOf(input).filter((s) => !targets.some((t) => t.store === s.store));
    return extra.length === 0 ? undefined : refuse(input.label, `it holds ${extra.map((e) => e.store).join(', ')}, which this Gaim does not enable`);
  },
  (input) => {
    for (const { store } of backupTargets(input.gaim)) {
      const held = snapshotsOf(input).some((s) => s.store === store) || (input.record?.spec.notBackedUp ?? []).some((n) => n.store === store);
      if (input.record !== undefined && !held) return refuse(input.label, `it holds no ${store} snapshot, and this Gaim enables ${store}`);
    }
    return undefined;
  },
  (input) => (input.gaim.spec.lancedb.storage.nfs !== undefined && snapshotsOf(input).some((s) => s.store === 'lancedb')
    ? refuse(input.label, 'a snapshot cannot be restored into a static NFS share (spec.lancedb.storage.nfs): use storageClassName') : undefined),
];

/** What each store is restored from, once RESTORE_POLICIES let the restore through (throws the first refusal). */
export function restorePlan(gaim: Pick<Gaim, 'metadata' | 'spec'>, label: string, record: Pick<GaimBackupRecord, 'metadata' | 'spec' | 'status'> | undefined, foreign: readonly string[] = []): RestoreStep[] {
  const refused = firstRefusal({ gaim, label, record, foreign }, RESTORE_POLICIES);
  if (refused !== undefined) throw refused;
  const snapshots = record?.spec.snapshots ?? [];
  return backupTargets(gaim).map(({ store, claim }) => ({ store, claim, snapshot: snapshots.find((s) => s.store === store) }));
}

/** Creates what the restore needs, step by step; done once every claim exists. */
export async function restore(gaim: Gaim, sizes: TierSizes, deps: RestoreDeps, context: ReconcileContext): Promise<RestoreProgress> {
  const from = restoreSource(gaim);
  if (from === undefined) return undefined;
  if (gaim.status?.restoredFrom === from.label) {
    await removeBinding(gaim, deps, context);
    return { restoredFrom: from.label };
  }
  const ns = gaim.metadata.namespace;
  const existing = backupTargets(gaim).map((t) => deps.caches.get<ClaimView>(Resources.persistentVolumeClaim, `${ns}/${t.claim}`)).filter((c) => c !== undefined);
  const foreign = existing.filter((c) => c.metadata?.annotations?.[RESTORED_FROM] !== from.label).map((c) => c.metadata?.name ?? '');
  const record = deps.caches.get<GaimBackupRecord>(Resources.gaimBackupRecord, from.record);
  const plan = restorePlan(gaim, from.label, record, foreign);
  if (record === undefined) return undefined; // restorePlan refused it already

  await restoreCredentials(gaim, from.label, record, deps, context);
  const waiting: string[] = [];
  for (const { store, claim, snapshot } of plan) {
    if (snapshot === undefined || existing.some((c) => c.metadata?.name === claim)) continue;
    await create(deps.client, Resources.volumeSnapshotContent, restoreContent(gaim, store, snapshot), from.label, context);
    await create(deps.client, Resources.volumeSnapshot, restoreSnapshot(gaim, store, snapshot), from.label, context);
    const bound = deps.caches.get<SnapshotView>(Resources.volumeSnapshot, `${ns}/${restoreSnapshotName(gaim, store)}`);
    if (bound?.status?.readyToUse !== true) {
      waiting.push(`${store}: VolumeSnapshot ${restoreSnapshotName(gaim, store)} is not ready yet${bound?.status?.error?.message === undefined ? '' : ` (${bound.status.error.message})`}`);
      continue;
    }
    const className = store === 'lancedb' ? await lancedbClass(gaim, snapshot, deps, context) : undefined;
    await create(deps.client, Resources.persistentVolumeClaim, restoredClaim(gaim, store, claim, snapshot, sizes, from.label, className), from.label, context);
  }
  if (waiting.length > 0) return { waiting: `restoring from ${from.label}: ${waiting.join('; ')}`, recheckAfterMs: RESTORE_RECHECK_MS };

  const empty = plan.filter((p) => p.snapshot === undefined).map((p) => p.store);
  deps.events.record(gaim, empty.length === 0 ? 'Normal' : 'Warning', empty.length === 0 ? Reason.Restored : Reason.RestoreIncomplete, 'Restore',
    `claims created from backup ${from.label} (GaimBackupRecord ${from.record})${empty.length === 0 ? '' : `; ${empty.join(', ')} start empty (the backup does not hold them)`}`);
  context.log.info({ backup: from.label, record: from.record, emptyStores: empty }, 'restored claims from a backup');
  return { restoredFrom: from.label };
}

/**
 * The class of a restored LanceDB claim: the Gaim's, unless that class cannot take a snapshot as its
 * content source (a Filestore multishare class: "You can't … restore a backup to an instance with
 * multiple shares", GKE's "Back up Filestore storage using volume snapshots"): then the configured
 * restore class. The Gaim keeps the claim's class from then on.
 */
async function lancedbClass(gaim: Gaim, snapshot: RecordSnapshot, deps: RestoreDeps, context: ReconcileContext): Promise<string | undefined> {
  const wanted = gaim.spec.lancedb.storage.storageClassName;
  if (wanted === undefined) return undefined;
  const storageClass = await deps.client.get<StorageClassView>(Resources.storageClass, wanted, undefined, context.signal)
    .catch((error: unknown) => { if (isNotFound(error)) return undefined; throw wrap(error, Message.readStorageClass(wanted)); });
  return storageClass?.parameters?.['multishare'] === 'true' && snapshot.driver === storageClass.provisioner ? deps.lancedbRestoreClass : wanted;
}

async function restoreCredentials(gaim: Gaim, label: string, record: GaimBackupRecord, deps: RestoreDeps, context: ReconcileContext): Promise<void> {
  const name = record.spec.credentialsSecret;
  let copy: Record<string, string>;
  try {
    copy = decode(await deps.client.get(Resources.secret, name, deps.operatorNamespace, context.signal));
  } catch (error: unknown) {
    if (isNotFound(error)) throw notReady(label, `its credentials copy, Secret ${deps.operatorNamespace}/${name}, does not exist (import it with the record)`);
    throw wrap(error, Message.readSecret(name));
  }
  for (const store of ['mongodb', 'redis'] as const) {
    if (!gaim.spec[store].enabled || !Object.keys(copy).some((k) => k.startsWith(`${store}.`))) continue;
    const secret = restoredSecret(gaim, store, copy);
    // A Secret that exists (made before an interruption) is kept: credentials are never re-minted or overwritten.
    await create(deps.client, Resources.secret, { ...secret, metadata: { ...ownedMeta(gaim, secret.metadata?.name ?? '', store) } }, label, context);
  }
}

function restoredClaim(gaim: Gaim, store: BackupStore, name: string, snapshot: RecordSnapshot, sizes: TierSizes, label: string, className: string | undefined): KubeObject {
  const wanted = store === 'lancedb' ? gaim.spec.lancedb.storage.size ?? '1Ti' : gaim.spec[store].storage ?? sizes[store].storage;
  const meta = store === 'lancedb' ? ownedMeta(gaim, name, 'lancedb') : { name, namespace: gaim.metadata.namespace, labels: labels(gaim, store) };
  return {
    apiVersion: 'v1', kind: 'PersistentVolumeClaim',
    metadata: { ...meta, annotations: { [RESTORED_FROM]: label } },
    spec: {
      accessModes: [store === 'lancedb' ? 'ReadWriteMany' : 'ReadWriteOnce'],
      ...(className === undefined ? {} : { storageClassName: className }),
      resources: { requests: { storage: restoreRequest(wanted, snapshot.restoreSize) } },
      volumeMode: 'Filesystem',
      dataSource: { apiGroup: 'snapshot.storage.k8s.io', kind: 'VolumeSnapshot', name: restoreSnapshotName(gaim, store) },
    },
  };
}

/**
 * Once restored, the binding objects go: the VolumeSnapshot (its content is Retain, so the backup
 * stays) and the pre-provisioned content — only once the claim made from them is Bound. A claim of a
 * class that binds on first consumer is provisioned, from the snapshot, only when a pod that mounts
 * it is scheduled, and a provisioner refuses a snapshot being deleted ("snapshot … is being
 * deleted", external-provisioner's getSnapshotSource). Only while the cache shows a VolumeSnapshot.
 */
async function removeBinding(gaim: Gaim, deps: RestoreDeps, context: ReconcileContext): Promise<void> {
  for (const { store, claim } of backupTargets(gaim)) {
    const name = restoreSnapshotName(gaim, store);
    if (deps.caches.get(Resources.volumeSnapshot, `${gaim.metadata.namespace}/${name}`) === undefined) continue;
    const restored = deps.caches.get<KubeObject & { status?: { phase?: string } }>(Resources.persistentVolumeClaim, `${gaim.metadata.namespace}/${claim}`);
    if (restored?.status?.phase !== 'Bound') continue;
    for (const [resource, objectName, namespace] of [[Resources.volumeSnapshot, name, gaim.metadata.namespace], [Resources.volumeSnapshotContent, restoreContentName(gaim, store), undefined]] as const) {
      await deps.client.delete(resource, objectName, namespace, { signal: context.signal }).catch((error: unknown) => {
        if (!isNotFound(error)) throw wrap(error, Message.deleteObject(resource.kind, objectName));
      });
    }
  }
}

async function create(client: KubeClient, resource: Resource, object: KubeObject, label: string, context: ReconcileContext): Promise<void> {
  try {
    await client.create(resource, object, context.signal);
  } catch (error: unknown) {
    if (isConflict(error)) return;
    throw wrap(error, `${Message.restoreFrom(label)}: cannot create ${resource.kind.toLowerCase()} ${object.metadata?.name ?? ''}`);
  }
}
