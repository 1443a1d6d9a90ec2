// The backup catalog's controller (GaimBackupRecords, cluster-scoped):
// - a deleted record with deletionPolicy Delete gives its snapshots back to their driver before it
//   goes (#deleteSnapshot says how). A Retain record (an imported copy) only goes.
// - a final backup from kept volumes (deletionPolicy Snapshot, its namespace being deleted): each
//   kept volume, once its claim is gone, is bound to a claim in the operator's namespace, snapshotted
//   there, its content kept; then the record completes and the volumes are released as the policy
//   says (their class's reclaim policy: the disks go). If it fails or times out, the volumes stay
//   (Retain), and an event and gaim_final_backup_failed say which.
import type { BackupStore } from '../../api/v1alpha1/gaim-backup.js';
import { GaimBackupRecordSchema, type GaimBackupRecord, type RecordSnapshot } from '../../api/v1alpha1/gaim-backup-record.js';
import type { Settings } from '../../config/settings.js';
import type { Caches } from '../../controller/caches.js';
import { done, requeueAfter, type ReconcileContext, type ReconcileResult, type Reconciler } from '../../controller/result.js';
import { asOperatorError, wrap } from '../../errors.js';
import type { KubeClient } from '../../kube/client.js';
import type { EventRecorder } from '../../kube/events.js';
import { isConflict, isNotFound } from '../../kube/errors.js';
import type { KubeObject } from '../../kube/objects.js';
import { Resources } from '../../kube/resources.js';
import { Message } from '../../messages.js';
import type { Metrics } from '../../observability/metrics.js';
import { DEFAULT_SNAPSHOT_CLASS, snapshotPlan, type SnapshotClassView } from '../../resources/backup.js';
import { holdingClaim, holdingName, holdingSnapshot, RECORD_FINALIZER, recordOwner } from '../../resources/backup-record.js';
import { Labels, MANAGED_BY } from '../../kube/labels.js';
import { FILESTORE_INSTANCE_LABEL, instanceLabelValue } from '../../resources/backup.js';
import { Reason } from '../../status/reasons.js';
import { completeRecord, retainContent } from './backup-records.js';
import { multishareInstance } from './backup-snapshots.js';
import { queuedBehind, type InstanceLocks } from './instance-locks.js';

export interface RecordReconcilerDeps {
  readonly caches: Caches;
  readonly client: KubeClient;
  readonly events: EventRecorder;
  readonly metrics: Pick<Metrics, 'finalBackups' | 'finalBackupFailed'>;
  readonly settings: Pick<Settings, 'backups'>;
  readonly instanceLocks: InstanceLocks;
  readonly operatorNamespace: string;
  /** This cluster's name: only a record this cluster took has a GaimBackup here to delete with it. */
  readonly clusterName: string;
}

type Volume = KubeObject & {
  spec?: {
    storageClassName?: string; accessModes?: string[]; capacity?: Record<string, string>; persistentVolumeReclaimPolicy?: string;
    claimRef?: { namespace?: string; name?: string }; csi?: { driver?: string; volumeHandle?: string };
  };
  status?: { phase?: string };
};
type Claim = KubeObject & { status?: { phase?: string } };
type Snapshot = KubeObject & { status?: { readyToUse?: boolean; restoreSize?: string; boundVolumeSnapshotContentName?: string; error?: { message?: string } } };
type StorageClass = KubeObject & { parameters?: Record<string, string>; reclaimPolicy?: string };

/** The snapshot-controller's mark on a content whose VolumeSnapshot is being (or was) deleted. */
const BEING_DELETED = 'snapshot.storage.kubernetes.io/volumesnapshot-being-deleted';
/** How often a final backup in progress looks again (its objects' changes also wake it). */
const RECHECK_MS = 5_000;

const kubeError = (what: string, error: unknown) => wrap(error, what);
const ignoreNotFound = (what: string) => (error: unknown) => { if (!isNotFound(error)) throw kubeError(what, error); };

export class RecordReconciler implements Reconciler {
  constructor(private readonly deps: RecordReconcilerDeps) {}

  async reconcile(key: string, context: ReconcileContext): Promise<ReconcileResult> {
    const object = this.deps.caches.get<KubeObject>(Resources.gaimBackupRecord, key);
    if (object === undefined) return done();
    const parsed = GaimBackupRecordSchema.safeParse(object);
    if (!parsed.success) {
      context.log.warn({ record: key, issues: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`) }, 'invalid backup record; left as it is');
      return done();
    }
    const record = parsed.data;
    try {
      if (record.metadata.deletionTimestamp !== undefined) return await this.#retire(record, context);
      const kept = (record.spec.volumes ?? []).length > 0;
      if (kept && (record.status?.phase === undefined || record.status.phase === 'Pending')) return await this.#takeKept(record, context);
      // A record made elsewhere and applied here (kubectl gaim backup import, kubectl apply): its
      // snapshots are in its spec, and a create drops a status. It is complete as it is.
      if (!kept && record.status?.phase === undefined && record.spec.snapshots !== undefined) {
        await this.#status(record, { phase: 'Completed', message: `imported: a backup taken in cluster ${record.spec.source.cluster} (${(record.spec.snapshots).map((s) => s.store).join(', ')})`, completedAt: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z') }, context);
        return done();
      }
      // Said again after a restart: the volumes of a failed final backup wait for a person.
      if (kept && record.status?.phase === 'Failed') this.deps.metrics.finalBackupFailed.set({ namespace: record.spec.source.namespace, gaim: record.spec.source.gaim, record: record.metadata.name }, 1);
      return done();
    } catch (error: unknown) {
      return { kind: 'error', error: asOperatorError(error, 'kubernetes', context.signal) };
    }
  }

  /** A deleted record: its snapshots go back to their driver (deletionPolicy Delete), then its finalizer. */
  async #retire(record: GaimBackupRecord, context: ReconcileContext): Promise<ReconcileResult> {
    const finalizers = record.metadata.finalizers ?? [];
    if (!finalizers.includes(RECORD_FINALIZER)) return done();
    if (record.spec.deletionPolicy === 'Delete') {
      // A completed backup's record is the backup: its GaimBackup, still there, goes too (its
      // VolumeSnapshots with it). Not an unfinished one's: a Failed GaimBackup stays as evidence.
      const { namespace, backup } = record.spec.source;
      const owner = this.deps.caches.get<KubeObject>(Resources.gaimBackup, `${namespace}/${backup}`);
      if (record.status?.phase === 'Completed' && owner !== undefined && owner.metadata?.deletionTimestamp === undefined && record.spec.source.cluster === this.deps.clusterName) {
        await this.deps.client.delete(Resources.gaimBackup, backup, namespace, { signal: context.signal }).catch(ignoreNotFound(Message.deleteBackup(backup)));
      }
      const left: string[] = [];
      for (const snapshot of record.spec.snapshots ?? []) if (await this.#deleteSnapshot(record, snapshot, context) === 'waiting') left.push(snapshot.store);
      if (left.length > 0) return requeueAfter(RECHECK_MS);
    }
    await this.deps.client.mergePatch(Resources.gaimBackupRecord, record.metadata.name, undefined,
      { metadata: { finalizers: finalizers.filter((f) => f !== RECORD_FINALIZER), resourceVersion: record.metadata.resourceVersion } }, context.signal)
      .catch(ignoreNotFound(Message.updateFinalizer));
    context.log.info({ record: record.metadata.name, policy: record.spec.deletionPolicy }, 'backup record deleted');
    return done();
  }

  /**
   * Hands one snapshot back to its driver, the ways external-snapshotter v8 deletes one: the
   * csi-snapshotter calls DeleteSnapshot only for a content being deleted that the snapshot-controller
   * marked being-deleted (its VolumeSnapshot was deleted), with deletionPolicy Delete; and the
   * controller never deletes a content whose VolumeSnapshot is gone itself, "to avoid data loss".
   * - the kept content: Delete; once marked being-deleted (its VolumeSnapshot gone, which a
   *   GaimBackup's deletion brings), deleted; waited for until it is gone, whichever order the
   *   controller and this operator saw things in;
   * - no content of this cluster holds the handle: a pre-provisioned content and a VolumeSnapshot
   *   bound to it in the operator's namespace, policy Delete, and that VolumeSnapshot deleted.
   */
  async #deleteSnapshot(record: GaimBackupRecord, snapshot: RecordSnapshot, context: ReconcileContext): Promise<'done' | 'waiting'> {
    type Content = KubeObject & { spec?: { deletionPolicy?: string }; status?: { snapshotHandle?: string } };
    const what = Message.deleteSnapshotOf(record.metadata.name);
    const name = snapshot.volumeSnapshotContent;
    if (name !== undefined) {
      const content = await this.deps.client.get<Content>(Resources.volumeSnapshotContent, name, undefined, context.signal)
        .catch((error: unknown) => { if (isNotFound(error)) return undefined; throw kubeError(what, error); });
      // Gone: so is the snapshot (or a content of that name holds another: not this record's to delete).
      if (content === undefined || content.status?.snapshotHandle !== snapshot.snapshotHandle) return 'done';
      if (content.spec?.deletionPolicy !== 'Delete') {
        await this.deps.client.mergePatch(Resources.volumeSnapshotContent, name, undefined, { spec: { deletionPolicy: 'Delete' } }, context.signal).catch(ignoreNotFound(what));
      }
      if (content.metadata?.annotations?.[BEING_DELETED] !== undefined && content.metadata.deletionTimestamp === undefined) {
        await this.deps.client.delete(Resources.volumeSnapshotContent, name, undefined, { signal: context.signal }).catch(ignoreNotFound(what));
      }
      return 'waiting';
    }
    const ns = this.deps.operatorNamespace;
    const pair = `delete-${(record.metadata.uid ?? '').slice(0, 13)}-${snapshot.store}`;
    const bound = this.deps.caches.get<KubeObject & { status?: { readyToUse?: boolean } }>(Resources.volumeSnapshot, `${ns}/${pair}`);
    if (bound?.status?.readyToUse === true) {
      await this.deps.client.delete(Resources.volumeSnapshot, pair, ns, { signal: context.signal }).catch(ignoreNotFound(what));
      return 'done';
    }
    const labels = { [Labels.managedBy]: MANAGED_BY, [Labels.component]: 'backup' };
    const owner = [recordOwner(record)];
    for (const [resource, object] of [
      [Resources.volumeSnapshotContent, { apiVersion: 'snapshot.storage.k8s.io/v1', kind: 'VolumeSnapshotContent', metadata: { name: pair, labels },
        spec: { deletionPolicy: 'Delete', driver: snapshot.driver, source: { snapshotHandle: snapshot.snapshotHandle }, sourceVolumeMode: 'Filesystem', volumeSnapshotRef: { namespace: ns, name: pair } } }],
      [Resources.volumeSnapshot, { apiVersion: 'snapshot.storage.k8s.io/v1', kind: 'VolumeSnapshot', metadata: { name: pair, namespace: ns, labels, ownerReferences: owner },
        spec: { source: { volumeSnapshotContentName: pair } } }],
    ] as const) {
      await this.deps.client.create(resource, object, context.signal).catch((error: unknown) => { if (!isConflict(error)) throw kubeError(what, error); });
    }
    return 'waiting';
  }

  /** A final backup from kept volumes, one step per reconcile of each volume. */
  async #takeKept(record: GaimBackupRecord, context: ReconcileContext): Promise<ReconcileResult> {
    const ns = this.deps.operatorNamespace;
    const { source } = record.spec;
    const started = Date.parse(source.takenAt);
    const timeoutSeconds = this.deps.settings.backups.timeoutSeconds;
    const classes = await this.deps.client.list<KubeObject & { driver?: string }>(Resources.volumeSnapshotClass, { signal: context.signal })
      .then(({ items }) => items.map((c): SnapshotClassView => ({ name: c.metadata?.name ?? '', driver: c.driver ?? '', isDefault: c.metadata?.annotations?.[DEFAULT_SNAPSHOT_CLASS] === 'true' })))
      .catch((error: unknown) => { throw kubeError(Message.listSnapshotClasses, error); });
    const waiting: string[] = [];
    const failed: string[] = [];
    const ready: { store: BackupStore; snapshot: Snapshot; storageClassName: string | undefined; multishare: boolean }[] = [];
    for (const { store, persistentVolume } of record.spec.volumes ?? []) {
      const volume = this.deps.caches.get<Volume>(Resources.persistentVolume, persistentVolume)
        ?? await this.deps.client.get<Volume>(Resources.persistentVolume, persistentVolume, undefined, context.signal).catch(() => undefined);
      if (volume === undefined) {
        failed.push(`${store}: PersistentVolume ${persistentVolume} no longer exists`);
        continue;
      }
      const hold = holdingName(record, store);
      const ref = volume.spec?.claimRef;
      if (ref?.namespace !== ns || ref.name !== hold) {
        if (volume.status?.phase === 'Bound') {
          waiting.push(`${store}: PersistentVolume ${persistentVolume} is still bound to ${ref?.namespace ?? ''}/${ref?.name ?? ''}`);
          continue;
        }
        // Released (or Available): held by a claim of the operator's namespace, bound by name.
        await this.deps.client.create(Resources.persistentVolumeClaim, holdingClaim(record, store, {
          name: persistentVolume, storageClassName: volume.spec?.storageClassName, accessModes: volume.spec?.accessModes ?? ['ReadWriteOnce'], capacity: volume.spec?.capacity?.['storage'] ?? '1Gi',
        }, ns), context.signal).catch((error: unknown) => { if (!isConflict(error)) throw kubeError(Message.holdVolume(persistentVolume), error); });
        await this.deps.client.mergePatch(Resources.persistentVolume, persistentVolume, undefined,
          { spec: { claimRef: { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: ns, name: hold, uid: null, resourceVersion: null } } }, context.signal)
          .catch((error: unknown) => { throw kubeError(Message.holdVolume(persistentVolume), error); });
        waiting.push(`${store}: binding PersistentVolume ${persistentVolume} to ${ns}/${hold}`);
        continue;
      }
      const claim = this.deps.caches.get<Claim>(Resources.persistentVolumeClaim, `${ns}/${hold}`);
      if (claim?.status?.phase !== 'Bound') {
        waiting.push(`${store}: claim ${ns}/${hold} is ${claim?.status?.phase ?? 'not there yet'}`);
        continue;
      }
      const storageClass = volume.spec?.storageClassName === undefined ? undefined : await this.deps.client.get<StorageClass>(Resources.storageClass, volume.spec.storageClassName, undefined, context.signal).catch(() => undefined);
      const instance = storageClass?.parameters?.['multishare'] === 'true' ? multishareInstance(volume.spec?.csi?.volumeHandle) : undefined;
      const plan = snapshotPlan({ target: { store, claim: hold }, phase: 'Bound', storageClassName: volume.spec?.storageClassName, driver: volume.spec?.csi?.driver, classParameters: storageClass?.parameters ?? {}, instance },
        classes, this.deps.settings.backups.snapshotClasses[store]);
      if (plan.supported !== true) {
        failed.push(`${store}: ${plan.reason}`);
        continue;
      }
      const snapshot = this.deps.caches.get<Snapshot>(Resources.volumeSnapshot, `${ns}/${hold}`);
      if (snapshot === undefined) {
        const holder = instance === undefined ? undefined : this.deps.instanceLocks.acquire(instance, `${ns}/${hold}`);
        if (holder !== undefined && instance !== undefined) {
          waiting.push(`${store}: ${queuedBehind(instance, holder)}`);
          continue;
        }
        await this.deps.client.create(Resources.volumeSnapshot, holdingSnapshot(record, store, plan.className, ns, instance === undefined ? {} : { [FILESTORE_INSTANCE_LABEL]: instanceLabelValue(instance) }), context.signal)
          .catch((error: unknown) => { if (!isConflict(error)) throw kubeError(Message.createSnapshot('VolumeSnapshot', hold), error); });
        waiting.push(`${store}: snapshotting ${ns}/${hold}`);
        continue;
      }
      if (snapshot.status?.readyToUse !== true) {
        waiting.push(`${store}: VolumeSnapshot ${ns}/${hold} is not ready${snapshot.status?.error?.message === undefined ? '' : ` (${snapshot.status.error.message})`}`);
        continue;
      }
      ready.push({ store, snapshot, storageClassName: volume.spec?.storageClassName, multishare: instance !== undefined });
    }

    const timedOut = Date.now() - started > timeoutSeconds * 1000;
    if (failed.length > 0 || (timedOut && waiting.length > 0)) {
      return this.#fail(record, [...failed, ...(timedOut ? waiting.map((w) => `${w} (not done within ${String(timeoutSeconds)}s, GAIM_BACKUP_TIMEOUT_SECONDS)`) : [])], context);
    }
    if (waiting.length > 0) {
      await this.#status(record, { phase: 'Pending', message: `final backup from the kept volumes: ${waiting.join('; ')}` }, context);
      return requeueAfter(RECHECK_MS);
    }

    const snapshots: RecordSnapshot[] = [];
    for (const { store, snapshot, storageClassName, multishare } of ready) {
      const kept = await retainContent(snapshot, this.deps, context.signal);
      snapshots.push({
        store, driver: kept.driver, snapshotHandle: kept.handle, volumeSnapshotContent: kept.content,
        ...(snapshot.status?.restoreSize === undefined ? {} : { restoreSize: snapshot.status.restoreSize }),
        ...(storageClassName === undefined ? {} : { storageClassName }),
        ...(kept.className === undefined ? {} : { volumeSnapshotClassName: kept.className }),
        ...(multishare ? { multishare: true } : {}),
      });
    }
    const message = `final backup of ${source.namespace}/${source.gaim}, taken from its kept volumes after its namespace was deleted: ${snapshots.map((s) => s.store).join(', ')}`;
    await completeRecord(record, { snapshots, notBackedUp: [...(record.spec.notBackedUp ?? [])] }, message, this.deps, context.signal);
    await this.#release(record, context);
    this.deps.metrics.finalBackups.inc({ result: 'completed' });
    this.deps.metrics.finalBackupFailed.remove({ namespace: source.namespace, gaim: source.gaim, record: record.metadata.name });
    this.deps.events.record(record, 'Normal', Reason.FinalBackupCompleted, 'Backup', message);
    context.log.info({ record: record.metadata.name }, 'final backup from kept volumes completed; volumes released');
    return done();
  }

  /**
   * After the final backup: the holding snapshots go (their contents are kept), the volumes get
   * their class's reclaim policy back (deletionPolicy Snapshot deletes the disks once backed up),
   * and the holding claims go, which releases them.
   */
  async #release(record: GaimBackupRecord, context: ReconcileContext): Promise<void> {
    const ns = this.deps.operatorNamespace;
    for (const { store, persistentVolume } of record.spec.volumes ?? []) {
      const hold = holdingName(record, store);
      await this.deps.client.delete(Resources.volumeSnapshot, hold, ns, { signal: context.signal }).catch(ignoreNotFound(Message.deleteObject('VolumeSnapshot', hold)));
      const volume = await this.deps.client.get<Volume>(Resources.persistentVolume, persistentVolume, undefined, context.signal).catch(() => undefined);
      const className = volume?.spec?.storageClassName;
      const storageClass = className === undefined || className === '' ? undefined : await this.deps.client.get<StorageClass>(Resources.storageClass, className, undefined, context.signal).catch(() => undefined);
      if (volume !== undefined && className !== undefined && className !== '') {
        await this.deps.client.mergePatch(Resources.persistentVolume, persistentVolume, undefined, { spec: { persistentVolumeReclaimPolicy: storageClass?.reclaimPolicy ?? 'Delete' } }, context.signal)
          .catch(ignoreNotFound(Message.retainVolume(persistentVolume)));
      }
      await this.deps.client.delete(Resources.persistentVolumeClaim, hold, ns, { signal: context.signal }).catch(ignoreNotFound(Message.deleteObject('PersistentVolumeClaim', hold)));
    }
  }

  /** The final backup failed: the volumes stay (Retain), unheld; the record, an event and a metric say which. */
  async #fail(record: GaimBackupRecord, why: readonly string[], context: ReconcileContext): Promise<ReconcileResult> {
    const ns = this.deps.operatorNamespace;
    for (const { store } of record.spec.volumes ?? []) {
      const hold = holdingName(record, store);
      await this.deps.client.delete(Resources.volumeSnapshot, hold, ns, { signal: context.signal }).catch(ignoreNotFound(Message.deleteObject('VolumeSnapshot', hold)));
      await this.deps.client.delete(Resources.persistentVolumeClaim, hold, ns, { signal: context.signal }).catch(ignoreNotFound(Message.deleteObject('PersistentVolumeClaim', hold)));
    }
    const volumes = (record.spec.volumes ?? []).map((v) => `${v.store} ${v.persistentVolume}`).join(', ');
    const message = `cannot take the final backup of ${record.spec.source.namespace}/${record.spec.source.gaim} from its kept volumes: ${why.join('; ')}; the volumes are kept (Retain): ${volumes}`;
    await this.#status(record, { phase: 'Failed', message, completedAt: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z') }, context);
    this.deps.metrics.finalBackups.inc({ result: 'failed' });
    this.deps.metrics.finalBackupFailed.set({ namespace: record.spec.source.namespace, gaim: record.spec.source.gaim, record: record.metadata.name }, 1);
    this.deps.events.record(record, 'Warning', Reason.FinalBackupFailed, 'Backup', message);
    context.log.warn({ record: record.metadata.name, volumes }, 'final backup from kept volumes failed; volumes kept');
    return done();
  }

  async #status(record: GaimBackupRecord, status: Record<string, unknown>, context: ReconcileContext): Promise<void> {
    if (record.status?.phase === status['phase'] && record.status?.message === status['message']) return;
    await this.deps.client.mergePatch(Resources.gaimBackupRecord, record.metadata.name, undefined, { status }, context.signal, 'status')
      .catch(ignoreNotFound(Message.writeRecordStatus));
  }
}
