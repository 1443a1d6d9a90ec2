// Deletion of a Gaim, through its finalizer: workloads go with the Gaim; data goes only when the
// deletion policy says so.
import type { Gaim } from '../../api/v1alpha1/gaim.js';
import type { Caches } from '../../controller/caches.js';
import type { ReconcileContext } from '../../controller/result.js';
import { OperatorError, wrap } from '../../errors.js';
import type { KubeClient } from '../../kube/client.js';
import { isConflict, isNotFound } from '../../kube/errors.js';
import type { EventRecorder } from '../../kube/events.js';
import { Labels } from '../../kube/labels.js';
import type { KubeObject } from '../../kube/objects.js';
import { Resources, type Resource } from '../../kube/resources.js';
import { Message } from '../../messages.js';
import { objectNames } from '../../resources/meta.js';
import { buildStatus } from '../../status/gaim-status.js';
import { Reason } from '../../status/reasons.js';
import { deleteObject } from './apply.js';
import { releaseVolumes } from './volumes.js';
import { createBackup } from '../backups/backups.js';
import { finalBackupName } from '../../resources/backup.js';
import { keptVolumesRecord, recordCredentials } from '../../resources/backup-record.js';
import { recordName } from '../../api/v1alpha1/gaim-backup-record.js';
import type { BackupStore } from '../../api/v1alpha1/gaim-backup.js';
import { ensureRecord, namespaceTerminating } from '../backups/backup-records.js';
import { guardSecrets, readCredentials } from './secrets.js';
import { writeStatus } from './report.js';

export const FINALIZER = 'gaim.livingcontent.io/cleanup';

export const hasFinalizer = (gaim: KubeObject): boolean => gaim.metadata?.finalizers?.includes(FINALIZER) ?? false;

export interface FinalizeDeps {
  readonly caches: Caches;
  readonly client: KubeClient;
  readonly events: EventRecorder;
  readonly fieldManager: string;
  /** This cluster's name: what a final backup's record says it was taken in. */
  readonly clusterName: string;
  /** Where the catalog keeps the credentials copies. */
  readonly operatorNamespace: string;
}

/**
 * Adds or removes the operator's finalizer with server-side apply: the operator's field manager owns
 * exactly that entry of the list, so other finalizers are never touched.
 */
export async function applyFinalizer(client: KubeClient, gaim: KubeObject, present: boolean, fieldManager: string, signal: AbortSignal): Promise<void> {
  try {
    await client.apply(Resources.gaim, {
      apiVersion: gaim.apiVersion,
      kind: gaim.kind,
      metadata: { name: gaim.metadata?.name, namespace: gaim.metadata?.namespace, finalizers: present ? [FINALIZER] : [] },
    }, { fieldManager, signal });
  } catch (error: unknown) {
    throw wrap(error, Message.updateFinalizer);
  }
}

/** A deletion that waits for its final backup: look again after this long (the backup's changes also wake it). */
const FINAL_BACKUP_RECHECK_MS = 5_000;

/**
 * deletionPolicy Snapshot: a final GaimBackup (named by the Gaim's uid, so it is taken once) must
 * complete before anything is deleted. Undefined once it has; the wait otherwise. A failed one stops
 * the deletion with an error (deleting that GaimBackup takes a new one; changing the policy deletes
 * without it).
 */
async function finalBackup(gaim: Gaim, deps: FinalizeDeps, context: ReconcileContext): Promise<{ waitMs: number } | undefined> {
  const name = finalBackupName(gaim);
  const backup = deps.caches.get<KubeObject & { status?: { phase?: string; message?: string } }>(Resources.gaimBackup, `${gaim.metadata.namespace}/${name}`);
  if (backup === undefined) {
    await createBackup(gaim, name, 'final', {}, deps.client, context);
    await markDeleting(gaim, deps, context, { reason: Reason.FinalBackupPending, message: `deleting: deletionPolicy Snapshot takes a final backup first: GaimBackup ${name}` });
    return { waitMs: FINAL_BACKUP_RECHECK_MS };
  }
  const phase = backup.status?.phase;
  if (phase === 'Completed') return undefined;
  if (phase === 'Failed') {
    throw new OperatorError('storage', `${Message.finalBackup(name)}: it failed: ${backup.status?.message ?? ''}; delete GaimBackup ${name} to take it again, or set deletionPolicy to Delete or Retain`,
      { reason: Reason.FinalBackupFailed });
  }
  await markDeleting(gaim, deps, context, { reason: Reason.FinalBackupPending, message: `deleting: waiting for the final backup, GaimBackup ${name} (${phase ?? 'Pending'}), before the claims go` });
  return { waitMs: FINAL_BACKUP_RECHECK_MS };
}

/**
 * Deletion: workloads go with the Gaim (garbage collection through owner references). With
 * deletionPolicy Retain, claims, volumes and Secrets lose their owner references first so the
 * collector cannot take them; with Delete, they are deleted too; with Snapshot, a final GaimBackup
 * completes first (and is kept), then as Delete. Then the finalizer goes. Until it does, the Gaim
 * says Deleting. Returns how long to wait when the final backup is not done.
 */
export async function finalize(gaim: Gaim, deps: FinalizeDeps, context: ReconcileContext): Promise<{ waitMs: number } | undefined> {
  const names = objectNames(gaim);
  const ns = gaim.metadata.namespace;
  if (gaim.spec.deletionPolicy === 'Snapshot') {
    if (await namespaceTerminating(ns, deps.client, context.signal)) {
      // No GaimBackup can be made in a namespace being deleted, and waiting for one would hold the
      // namespace: the final backup is taken outside it, from the kept volumes (keepFinalBackup).
      await keepFinalBackup(gaim, deps, context);
      await releaseSecrets(gaim, deps, context);
      await applyFinalizer(deps.client, gaim, false, deps.fieldManager, context.signal);
      context.log.info({ finalizer: FINALIZER }, 'finalized: the namespace is being deleted; the final backup is taken from the kept volumes');
      return undefined;
    }
    const waiting = await finalBackup(gaim, deps, context);
    if (waiting !== undefined) return waiting;
  }
  await markDeleting(gaim, deps, context);
  const claims = deps.caches.list<KubeObject>(Resources.persistentVolumeClaim, ns)
    .filter((c) => c.metadata?.labels?.[Labels.gaim] === gaim.metadata.name);
  // Secrets are not cached (the operator does not list them): it acts on its two by name.
  const secrets = [names.mongodbSecret, names.redisSecret];
  const volume = deps.caches.get<KubeObject>(Resources.persistentVolume, names.lancedbVolume);

  if (gaim.spec.deletionPolicy === 'Retain') {
    const owned = claims.filter((claim) => (claim.metadata?.ownerReferences ?? []).length > 0);
    for (const name of [...owned.map((c) => c.metadata?.name ?? ''), ...secrets]) {
      await release(owned.some((c) => c.metadata?.name === name) ? Resources.persistentVolumeClaim : Resources.secret, name, ns, deps.client, context.signal);
    }
    context.log.info({ claims: claims.length, volume: volume !== undefined }, 'deletionPolicy Retain: kept claims, volumes and secrets');
  } else {
    await releaseVolumes(gaim, deps.caches, deps.client, context);
    for (const name of [names.mongodb, names.redis]) await deleteObject(Resources.statefulSet, name, ns, deps.client, context.signal);
    for (const claim of claims) await deleteObject(Resources.persistentVolumeClaim, claim.metadata?.name ?? '', ns, deps.client, context.signal);
    for (const name of secrets) await deleteObject(Resources.secret, name, ns, deps.client, context.signal);
    if (volume !== undefined) await deleteObject(Resources.persistentVolume, names.lancedbVolume, undefined, deps.client, context.signal);
    context.log.info({ claims: claims.length, policy: gaim.spec.deletionPolicy }, 'deleted claims, volumes and secrets');
  }
  await releaseSecrets(gaim, deps, context);
  await applyFinalizer(deps.client, gaim, false, deps.fieldManager, context.signal);
  context.log.info({ finalizer: FINALIZER }, 'finalized');
  return undefined;
}

/**
 * The final backup of a Snapshot Gaim whose namespace is being deleted. If the final GaimBackup
 * completed already, its record holds it, and the volumes only get their class's reclaim policy
 * back. Otherwise the catalog gets a record of the kept volumes (Retain since they bound), with the
 * credentials copied while the Secrets are still there (their finalizer holds them): the record
 * controller snapshots the volumes in the operator's namespace once their claims are gone.
 */
async function keepFinalBackup(gaim: Gaim, deps: FinalizeDeps, context: ReconcileContext): Promise<void> {
  const done = deps.caches.get<KubeObject & { status?: { phase?: string } }>(Resources.gaimBackupRecord, recordName(gaim.metadata.namespace, finalBackupName(gaim)));
  if (done?.status?.phase === 'Completed') {
    await releaseVolumes(gaim, deps.caches, deps.client, context);
    return;
  }
  const volumes: { store: BackupStore; persistentVolume: string }[] = [];
  const notBackedUp: { store: BackupStore; reason: string }[] = [];
  for (const volume of volumesOf(gaim, deps.caches)) {
    const store = volume.metadata?.labels?.[Labels.component];
    if (store !== 'mongodb' && store !== 'redis' && store !== 'lancedb') continue;
    if (volume.spec?.nfs !== undefined) notBackedUp.push({ store, reason: 'a static NFS share: back up the Filestore instance itself' });
    else volumes.push({ store, persistentVolume: volume.metadata?.name ?? '' });
  }
  const record = await ensureRecord(keptVolumesRecord({ gaim, cluster: deps.clusterName, takenAt: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z') }, volumes, notBackedUp), deps, context.signal);
  const credentials = await readCredentials(gaim, deps.client, context.signal);
  const names = objectNames(gaim);
  await deps.client.create(Resources.secret, recordCredentials(record, deps.operatorNamespace, { mongodb: credentials.get(names.mongodbSecret), redis: credentials.get(names.redisSecret) }), context.signal)
    .catch((error: unknown) => { if (!isConflict(error)) throw wrap(error, Message.copyCredentials(record.spec.credentialsSecret)); });
  deps.events.record(gaim, 'Normal', Reason.FinalBackupPending, 'Backup',
    `the namespace is being deleted: the final backup is taken outside it, from the kept volumes (${volumes.map((v) => `${v.store} ${v.persistentVolume}`).join(', ') || 'none'}): GaimBackupRecord ${record.metadata.name}`);
}

/** The Gaim's volumes, as the operator labelled them when they bound (Retain and Snapshot Gaims). */
function volumesOf(gaim: Gaim, caches: Caches): (KubeObject & { spec?: { nfs?: unknown } })[] {
  return caches.list<KubeObject & { spec?: { nfs?: unknown } }>(Resources.persistentVolume).filter((v) =>
    v.metadata?.labels?.[Labels.gaim] === gaim.metadata.name && v.metadata.labels[Labels.gaimNamespace] === gaim.metadata.namespace);
}

/** Takes the operator's finalizer off the Gaim's Secrets (deletionPolicy Snapshot put it there). */
async function releaseSecrets(gaim: Gaim, deps: FinalizeDeps, context: ReconcileContext): Promise<void> {
  const credentials = await readCredentials(gaim, deps.client, context.signal);
  await guardSecrets({ ...gaim, spec: { ...gaim.spec, deletionPolicy: 'Delete' } }, credentials, FINALIZER, deps.client, context.signal);
}

/** Takes the owner reference off a kept object, so garbage collection leaves it. */
async function release(resource: Resource, name: string, namespace: string, client: KubeClient, signal: AbortSignal): Promise<void> {
  try {
    await client.mergePatch(resource, name, namespace, { metadata: { ownerReferences: null } }, signal);
  } catch (error: unknown) {
    if (!isNotFound(error)) throw wrap(error, Message.releaseObject(resource.kind, name));
  }
}

/** Ready=False, reason Deleting (or FinalBackupPending): what kubectl and Argo CD show while the finalizer runs. */
async function markDeleting(gaim: Gaim, deps: FinalizeDeps, context: ReconcileContext, state?: { reason: string; message: string }): Promise<void> {
  const ready = gaim.status?.conditions?.find((c) => c.type === 'Ready');
  const keeps = gaim.spec.deletionPolicy === 'Retain' ? 'keeps claims, volumes and Secrets' : gaim.spec.deletionPolicy === 'Snapshot' ? 'kept its final backup and removes claims, volumes and Secrets' : 'removes claims, volumes and Secrets';
  const { reason, message } = state ?? { reason: Reason.Deleting, message: `deleting: deletionPolicy ${gaim.spec.deletionPolicy} ${keeps}` };
  if (ready?.reason === reason && ready.message === message) return;
  try {
    await writeStatus(gaim, buildStatus({ gaim, now: new Date(), deleting: { reason, message } }), deps, context.signal, context);
  } catch (error: unknown) {
    // The status only informs; the deletion itself must go on.
    context.log.warn({ err: error }, Message.writeStatus);
  }
}
