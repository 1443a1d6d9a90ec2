// The GaimBackup's I/O: what the cluster says of the Gaim's claims (their StorageClasses and volumes,
// the snapshot classes), taking the snapshots (the credentials copied into the catalog first, Redis's
// append-only file rewritten and MongoDB fsynced just before), and what the snapshots say since.
// Every create is by name, so an operator restarted in the middle takes nothing twice and loses
// nothing.
import type { Gaim } from '../../api/v1alpha1/gaim.js';
import type { BackupClaim, GaimBackup } from '../../api/v1alpha1/gaim-backup.js';
import type { GaimBackupRecord } from '../../api/v1alpha1/gaim-backup-record.js';
import type { Settings } from '../../config/settings.js';
import type { Caches } from '../../controller/caches.js';
import type { ReconcileContext } from '../../controller/result.js';
import { errorMessage, wrap } from '../../errors.js';
import type { KubeClient } from '../../kube/client.js';
import { isConflict, isNotFound } from '../../kube/errors.js';
import type { KubeObject } from '../../kube/objects.js';
import { Resources, type Resource } from '../../kube/resources.js';
import { Message } from '../../messages.js';
import {
  backupTargets, DEFAULT_SNAPSHOT_CLASS, snapshotName, snapshotPlan, volumeSnapshot, type SnapshotClassView, type SnapshotPlan,
} from '../../resources/backup.js';
import { recordCredentials } from '../../resources/backup-record.js';
import { objectNames } from '../../resources/meta.js';
import { flushMongoDB } from '../../seeders/mongodb.js';
import { rewriteAppendOnlyFile } from '../../seeders/redis.js';
import { queuedBehind, type InstanceLocks } from './instance-locks.js';
import { readCredentials } from '../gaim/secrets.js';
import { operatorTarget } from '../stores/store-address.js';

export interface BackupDeps {
  readonly caches: Caches;
  readonly client: KubeClient;
  readonly settings: Pick<Settings, 'overrides' | 'backups'>;
  readonly instanceLocks: InstanceLocks;
  /** Where the catalog keeps the credentials copies. */
  readonly operatorNamespace: string;
}

/**
 * What a backup is to take: each claim's plan. Each claim is snapshotted on its own: GKE's drivers
 * have no volume group snapshots (the PD CSI driver implements no group controller, and no GKE page
 * documents them; Filestore has none either).
 */
export interface Inventory {
  readonly plans: readonly SnapshotPlan[];
}

type Claim = KubeObject & { spec?: { storageClassName?: string; volumeName?: string }; status?: { phase?: string } };
type StorageClass = KubeObject & { provisioner?: string; parameters?: Record<string, string> };
type SnapshotClass = KubeObject & { driver?: string };
type Volume = KubeObject & { spec?: { csi?: { volumeHandle?: string } } };
export type SnapshotView = KubeObject & {
  spec?: { source?: { persistentVolumeClaimName?: string } };
  status?: { readyToUse?: boolean; restoreSize?: string; error?: { message?: string }; boundVolumeSnapshotContentName?: string };
};

const kube = (what: string) => (error: unknown) => { throw wrap(error, what); };

/** The instance of a Filestore multishare volume, from its handle (multishare_controller.go's format). */
export function multishareInstance(handle: string | undefined): string | undefined {
  if (handle?.startsWith('modeMultishare/') !== true) return undefined;
  return handle.slice('modeMultishare/'.length).split('/').slice(0, 4).join('/');
}

export async function takeInventory(gaim: Gaim, deps: BackupDeps, signal: AbortSignal): Promise<Inventory> {
  const ns = gaim.metadata.namespace;
  const snapshotClasses = await deps.client.list<SnapshotClass>(Resources.volumeSnapshotClass, { signal })
    .then(({ items }) => items.map((c): SnapshotClassView => ({ name: c.metadata?.name ?? '', driver: c.driver ?? '', isDefault: c.metadata?.annotations?.[DEFAULT_SNAPSHOT_CLASS] === 'true' })))
    .catch(kube(Message.listSnapshotClasses));
  const storageClasses = new Map<string, StorageClass | undefined>();
  const plans: SnapshotPlan[] = [];
  for (const target of backupTargets(gaim)) {
    const claim = deps.caches.get<Claim>(Resources.persistentVolumeClaim, `${ns}/${target.claim}`);
    const className = claim?.spec?.storageClassName;
    if (className !== undefined && className !== '' && !storageClasses.has(className)) {
      storageClasses.set(className, await deps.client.get<StorageClass>(Resources.storageClass, className, undefined, signal)
        .catch((error: unknown) => (isNotFound(error) ? undefined : kube(Message.readStorageClass(className))(error))));
    }
    const storageClass = className === undefined ? undefined : storageClasses.get(className);
    // A multishare share's instance is in its volume's handle (read only for those: one read per backup).
    const volumeName = claim?.spec?.volumeName;
    const instance = storageClass?.parameters?.['multishare'] === 'true' && volumeName !== undefined
      ? multishareInstance((await deps.client.get<Volume>(Resources.persistentVolume, volumeName, undefined, signal).catch(kube(Message.readVolume(volumeName)))).spec?.csi?.volumeHandle)
      : undefined;
    plans.push(snapshotPlan({
      target, phase: claim === undefined ? undefined : claim.status?.phase ?? 'Pending', storageClassName: className,
      driver: storageClass?.provisioner, classParameters: storageClass?.parameters ?? {}, instance,
    }, snapshotClasses, deps.settings.backups.snapshotClasses[target.store]));
  }
  return { plans };
}

/** The backup's VolumeSnapshots that should exist; a multishare share's with its instance. */
function wanted(backup: GaimBackup, inventory: Inventory): { resource: Resource; object: KubeObject; instance?: string }[] {
  return inventory.plans.flatMap((p) => (p.supported === true
    ? [{ resource: Resources.volumeSnapshot, object: volumeSnapshot(backup, p.target, p.className, p.instance), ...(p.instance === undefined ? {} : { instance: p.instance }) }] : []));
}

/**
 * Takes what is not taken yet: the credentials copy into the catalog (owned by the backup's record),
 * then — just before the snapshots — Redis's append-only file rewritten and MongoDB fsynced (best
 * effort: a store that cannot still gets a crash-consistent snapshot, and the notes say so), then the
 * snapshot objects; a multishare share's only once its instance is free. Returns the notes.
 */
export async function takeSnapshots(gaim: Gaim, backup: GaimBackup, record: GaimBackupRecord, inventory: Inventory, deps: BackupDeps, context: ReconcileContext): Promise<string[]> {
  const notes: string[] = [];
  const ns = backup.metadata.namespace;
  const missing = wanted(backup, inventory)
    .filter(({ resource, object }) => deps.caches.get(resource, `${ns}/${object.metadata?.name ?? ''}`) === undefined)
    .filter(({ object, instance }) => instance === undefined || deps.instanceLocks.acquire(instance, `${ns}/${object.metadata?.name ?? ''}`) === undefined);
  if (missing.length === 0) return notes;
  const credentials = await readCredentials(gaim, deps.client, context.signal);
  const names = objectNames(gaim);
  const copy = recordCredentials(record, deps.operatorNamespace, { mongodb: credentials.get(names.mongodbSecret), redis: credentials.get(names.redisSecret) });
  await deps.client.create(Resources.secret, copy, context.signal).catch((error: unknown) => {
    if (!isConflict(error)) kube(Message.copyCredentials(`${deps.operatorNamespace}/${record.spec.credentialsSecret}`))(error);
  });

  const taking = new Set(missing.map((m) => m.object.metadata?.name));
  // A hibernated Gaim's stores were flushed before they stopped, and no pod runs to flush again.
  const hibernatedAt = gaim.status?.hibernatedAt;
  if (hibernatedAt !== undefined) {
    notes.push(`the Gaim hibernates since ${hibernatedAt}: its stores were flushed and stopped then, and are snapshotted as they stopped`);
    return createSnapshots(missing, notes, deps, context);
  }
  const redis = credentials.get(names.redisSecret);
  if (gaim.spec.redis.enabled && redis !== undefined && taking.has(snapshotName(backup.metadata.name, 'redis'))) {
    await rewriteAppendOnlyFile(await operatorTarget(gaim, 'redis', redis, deps.settings.overrides), 60_000, context.signal)
      .then((outcome) => { notes.push(outcome === 'no-aof' ? 'Redis keeps no append-only file: its snapshot holds what it last saved' : `Redis's append-only file rewritten at ${new Date().toISOString()}, just before its snapshot: at most the last second of writes after it can be missing`); })
      .catch((error: unknown) => { notes.push(`Redis's append-only file was not rewritten first (${errorMessage(error)}): its snapshot is as a crash would leave it`); });
  }
  const mongo = credentials.get(names.mongodbSecret);
  if (gaim.spec.mongodb.enabled && mongo !== undefined && taking.has(snapshotName(backup.metadata.name, 'mongodb'))) {
    await flushMongoDB(await operatorTarget(gaim, 'mongodb', mongo, deps.settings.overrides), context.signal)
      .then((outcome) => { notes.push(outcome === 'flushed' ? 'MongoDB fsynced just before its snapshot; the journal covers anything later' : 'MongoDB could not fsync (the server has no fsync command): its snapshot is crash-consistent, recovered by its journal'); })
      .catch((error: unknown) => { notes.push(`MongoDB was not fsynced first (${errorMessage(error)}): its snapshot is as a crash would leave it (the journal recovers it)`); });
  }
  if (inventory.plans.filter((p) => p.supported === true).length > 1) {
    notes.push('each claim snapshotted on its own, a moment apart (no VolumeGroupSnapshot: GKE\'s Persistent Disk and Filestore drivers have none)');
  }
  return createSnapshots(missing, notes, deps, context);
}

async function createSnapshots(missing: readonly { resource: Resource; object: KubeObject }[], notes: string[], deps: BackupDeps, context: ReconcileContext): Promise<string[]> {
  for (const { resource, object } of missing) {
    await deps.client.create(resource, object, context.signal).catch((error: unknown) => {
      if (!isConflict(error)) kube(Message.createSnapshot(resource.kind, object.metadata?.name ?? ''))(error);
    });
    context.log.info({ kind: resource.kind, name: object.metadata?.name }, 'created');
  }
  return notes;
}

/** Each claim's entry, from what its snapshot says, or why it waits to be taken. */
export function observeClaims(backup: GaimBackup, inventory: Inventory, deps: Pick<BackupDeps, 'caches' | 'instanceLocks'>): BackupClaim[] {
  const ns = backup.metadata.namespace;
  return inventory.plans.map((plan): BackupClaim => {
    const base = { store: plan.target.store, claim: plan.target.claim };
    if (plan.supported === false) return { ...base, supported: false, readyToUse: false, error: plan.reason };
    if (plan.supported === 'waiting') return { ...base, supported: true, readyToUse: false, error: plan.reason };
    const name = snapshotName(backup.metadata.name, plan.target.store);
    const snapshot = deps.caches.get<SnapshotView>(Resources.volumeSnapshot, `${ns}/${name}`);
    const holder = snapshot === undefined && plan.instance !== undefined ? deps.instanceLocks.holder(plan.instance, `${ns}/${name}`) : undefined;
    return {
      ...base, supported: true,
      ...(holder === undefined ? { volumeSnapshot: name } : {}),
      ...(holder === undefined || plan.instance === undefined ? {} : { queued: queuedBehind(plan.instance, holder) }),
      readyToUse: snapshot?.status?.readyToUse === true,
      ...(snapshot?.status?.restoreSize === undefined ? {} : { restoreSize: snapshot.status.restoreSize }),
      ...(snapshot?.status?.error?.message === undefined || snapshot.status.readyToUse === true ? {} : { error: snapshot.status.error.message }),
    };
  });
}
