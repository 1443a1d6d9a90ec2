// The GaimBackup reconcile: read the backup and its Gaim from the caches, take stock of the Gaim's
// claims (can each be snapshotted, with which class, together with others?), start its record in the
// catalog, take what is not taken yet, and report what the snapshots say — Completed (the record
// completed with the snapshot handles, their contents kept) and Failed are final. A backup is taken
// once: its snapshots are made by name, so a restarted operator finds them and goes on.
//
// Deleting a GaimBackup deletes its record (whose finalizer gives the snapshots back to their driver)
// and, through owner references, its VolumeSnapshots; the Gaim never owns a backup, so deleting it
// keeps them. Deleting the namespace keeps the record and the snapshots: that is the record's job.
import type { Gaim } from '../../api/v1alpha1/gaim.js';
import { GaimBackupSchema, type GaimBackup, type GaimBackupStatus } from '../../api/v1alpha1/gaim-backup.js';
import { recordName, type RecordTrigger } from '../../api/v1alpha1/gaim-backup-record.js';
import { parseGaim } from '../../api/v1alpha1/validate.js';
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
import { BACKUP_TRIGGER_LABEL, backupVerdict, snapshotName } from '../../resources/backup.js';
import { BACKUP_FINALIZER, backupRecord, recordCredentials } from '../../resources/backup-record.js';
import { sameStatus } from '../../status/gaim-status.js';
import { Reason } from '../../status/reasons.js';
import { completeRecord, deleteRecord, ensureRecord, namespaceTerminating, recordEntries } from './backup-records.js';
import { observeClaims, takeInventory, takeSnapshots, type Inventory } from './backup-snapshots.js';
import type { InstanceLocks } from './instance-locks.js';
import { decode } from '../gaim/secrets.js';

export interface BackupReconcilerDeps {
  readonly caches: Caches;
  readonly client: KubeClient;
  readonly events: EventRecorder;
  readonly metrics: Pick<Metrics, 'backups'>;
  readonly settings: Pick<Settings, 'overrides' | 'backups' | 'clusterName'>;
  readonly fieldManager: string;
  readonly apis: { readonly volumeSnapshots: boolean };
  readonly instanceLocks: InstanceLocks;
  readonly operatorNamespace: string;
}

/** How often a Running backup looks again (its snapshots' changes also wake it). */
const RUNNING_RECHECK_MS = 5_000;

/**
 * `stale`: the API holds a newer version than the cached one the status was computed from, so the
 * write was refused. The reconcile looks again soon, from whatever the cache holds by then: the
 * newer version's own event may wake nothing (status-only updates are filtered, and a new leader has
 * no recheck queued).
 */
type WriteOutcome = 'written' | 'unchanged' | 'stale' | 'gone';

/** How soon a backup whose status write was refused as stale looks again. */
const STALE_RECHECK_MS = 1_000;

const triggerOf = (backup: GaimBackup): RecordTrigger => {
  const label = backup.metadata.labels?.[BACKUP_TRIGGER_LABEL];
  return label === 'scheduled' || label === 'final' ? label : 'manual';
};

export class BackupReconciler implements Reconciler {
  /**
   * What was flushed before each backup's snapshots, by backup uid, until it ends: the status that
   * records it may not be in the cache yet at the next reconcile, which must not write it away.
   */
  readonly #notes = new Map<string, string[]>();

  constructor(private readonly deps: BackupReconcilerDeps) {}

  async reconcile(key: string, context: ReconcileContext): Promise<ReconcileResult> {
    const object = this.deps.caches.get<KubeObject>(Resources.gaimBackup, key);
    if (object === undefined) return done();
    try {
      if (object.metadata?.deletionTimestamp !== undefined) return await this.#delete(object, context);
      if (!(object.metadata?.finalizers ?? []).includes(BACKUP_FINALIZER)) await this.#finalizer(object, true, context);
      const parsed = GaimBackupSchema.safeParse(object);
      if (!parsed.success) {
        const status = (object['status'] ?? {}) as GaimBackupStatus;
        if (status.phase === 'Failed') return done();
        await this.#finish(object as GaimBackup, { phase: 'Failed', message: `the GaimBackup is invalid: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}` }, context);
        return done();
      }
      const backup = parsed.data;
      const phase = backup.status?.phase;
      if (phase === 'Failed' || (phase === 'Completed' && backup.status?.record !== undefined)) return done();
      if (phase === 'Completed') return await this.#migrate(backup, context);
      return await this.#take(backup, context);
    } catch (error: unknown) {
      const failure = asOperatorError(error, 'kubernetes', context.signal);
      context.log.warn({ error: failure.message }, 'cannot take the backup yet; retrying');
      const backup = object as GaimBackup;
      if (backup.status?.phase !== 'Completed' && object.metadata?.deletionTimestamp === undefined) {
        await this.#write(backup, { ...backup.status, phase: backup.status?.phase ?? 'Pending', message: failure.message }, context).catch(() => undefined);
      }
      return { kind: 'error', error: failure };
    }
  }

  async #take(backup: GaimBackup, context: ReconcileContext): Promise<ReconcileResult> {
    const ns = backup.metadata.namespace;
    if (!this.deps.apis.volumeSnapshots) return this.#finish(backup, { phase: 'Failed', message: Message.backupUnserved }, context);
    const gaimObject = this.deps.caches.get<KubeObject>(Resources.gaim, `${ns}/${backup.spec.gaim}`);
    const parsedGaim = gaimObject === undefined ? undefined : parseGaim(gaimObject);
    if (parsedGaim === undefined) return this.#finish(backup, { phase: 'Failed', message: Message.backupGaimMissing(backup.spec.gaim, ns) }, context);
    if (!parsedGaim.ok) return this.#finish(backup, { phase: 'Failed', message: `cannot back up Gaim ${backup.spec.gaim}: it is invalid: ${parsedGaim.error.message}` }, context);
    const gaim = parsedGaim.gaim;

    const now = new Date();
    const startedAt = backup.status?.startedAt ?? now.toISOString();
    const deps = this.deps;
    const inventory = await takeInventory(gaim, deps, context.signal);
    const requireAll = gaim.spec.backup?.requireAll ?? true;
    const ready = inventory.plans.every((p) => p.supported !== 'waiting');
    const refused = requireAll && inventory.plans.some((p) => p.supported === false);
    const uid = backup.metadata.uid ?? backup.metadata.name;
    const taking = ready && !refused;
    // The record first: the credentials copy it owns is taken before the snapshots.
    const record = taking ? await ensureRecord(backupRecord({ gaim, backup: backup.metadata.name, trigger: triggerOf(backup), cluster: this.deps.settings.clusterName, takenAt: startedAt }), this.deps, context.signal) : undefined;
    const taken = record === undefined ? [] : await takeSnapshots(gaim, backup, record, inventory, deps, context);
    if (taken.length > 0) this.#notes.set(uid, taken);
    const notes = this.#notes.get(uid) ?? backup.status?.notes ?? [];
    const claims = observeClaims(backup, inventory, deps);
    const timeoutSeconds = this.deps.settings.backups.timeoutSeconds;
    const timedOut = now.getTime() - Date.parse(startedAt) > timeoutSeconds * 1000;
    const verdict = backupVerdict(claims, requireAll, timedOut, timeoutSeconds);
    const status: GaimBackupStatus = {
      phase: verdict.phase, startedAt, gaimId: gaim.spec.gaimId,
      method: 'VolumeSnapshot',
      claims: [...verdict.claims],
      ...(notes.length === 0 ? {} : { notes: [...notes] }),
      message: verdict.message,
    };
    if (verdict.phase === 'Completed' && record !== undefined) {
      await completeRecord(record, await recordEntries(ns, verdict.claims, classesOf(inventory), this.deps, context.signal), verdict.message, this.deps, context.signal);
      status.record = record.metadata.name;
    }
    if (verdict.phase === 'Failed') await this.#abandon(backup, verdict.claims, context);
    if (verdict.phase !== 'Running') {
      const result = await this.#finish(backup, status, context, gaim);
      // Kept until the final status is written: a refused write is computed again, with them.
      if (result.kind === 'done') this.#notes.delete(uid);
      return result;
    }
    if (await this.#write(backup, status, context) === 'stale') return requeueAfter(STALE_RECHECK_MS);
    const left = timeoutSeconds * 1000 - (now.getTime() - Date.parse(startedAt));
    return requeueAfter(Math.max(1000, Math.min(RUNNING_RECHECK_MS, left + 1000)));
  }

  /**
   * A backup an older version completed, with no record: recorded now from its status and its
   * in-namespace credentials copy, while its Gaim (whose spec the record keeps) exists.
   */
  async #migrate(backup: GaimBackup, context: ReconcileContext): Promise<ReconcileResult> {
    const ns = backup.metadata.namespace;
    const gaimObject = this.deps.caches.get<KubeObject>(Resources.gaim, `${ns}/${backup.spec.gaim}`);
    const parsed = gaimObject === undefined ? undefined : parseGaim(gaimObject);
    const copyName = backup.status?.credentialsSecret;
    if (parsed?.ok !== true || copyName === undefined) return done();
    const record = await ensureRecord(backupRecord({ gaim: parsed.gaim, backup: backup.metadata.name, trigger: triggerOf(backup), cluster: this.deps.settings.clusterName, takenAt: backup.status?.startedAt ?? new Date().toISOString() }), this.deps, context.signal);
    const copy = decode(await this.deps.client.get(Resources.secret, copyName, ns, context.signal));
    const secrets = { mongodb: pick(copy, 'mongodb.'), redis: pick(copy, 'redis.') };
    await this.deps.client.create(Resources.secret, recordCredentials(record, this.deps.operatorNamespace, secrets), context.signal).catch((error: unknown) => {
      if (!isConflict(error)) throw wrap(error, Message.copyCredentials(record.spec.credentialsSecret));
    });
    const claims = backup.status?.claims ?? [];
    await completeRecord(record, await recordEntries(ns, claims, () => ({}), this.deps, context.signal), backup.status?.message ?? '', this.deps, context.signal);
    await this.#write(backup, { ...backup.status, record: record.metadata.name }, context);
    context.log.info({ record: record.metadata.name }, 'recorded a backup an older version took');
    return done();
  }

  /**
   * A failed backup holds nothing: its record goes, and so do its snapshots that never became ready
   * (a Filestore instance would otherwise stay busy with one, and its driver keep trying).
   */
  async #abandon(backup: GaimBackup, claims: readonly { store: 'mongodb' | 'redis' | 'lancedb'; readyToUse: boolean; volumeSnapshot?: string | undefined }[], context: ReconcileContext): Promise<void> {
    await deleteRecord(recordName(backup.metadata.namespace, backup.metadata.name), this.deps, context);
    for (const claim of claims) {
      if (claim.readyToUse || claim.volumeSnapshot !== snapshotName(backup.metadata.name, claim.store)) continue;
      await this.deps.client.delete(Resources.volumeSnapshot, claim.volumeSnapshot, backup.metadata.namespace, { signal: context.signal }).catch((error: unknown) => {
        if (!isNotFound(error)) throw wrap(error, Message.deleteObject('VolumeSnapshot', claim.volumeSnapshot ?? ''));
      });
    }
  }

  /**
   * A deleted GaimBackup: its record goes with it (and with the record its snapshots), unless the
   * namespace is being deleted and the backup completed — then the record keeps the backup.
   */
  async #delete(object: KubeObject, context: ReconcileContext): Promise<ReconcileResult> {
    if (!(object.metadata?.finalizers ?? []).includes(BACKUP_FINALIZER)) return done();
    const namespace = object.metadata?.namespace ?? '';
    const name = recordName(namespace, object.metadata?.name ?? '');
    const record = this.deps.caches.get<KubeObject & { status?: { phase?: string } }>(Resources.gaimBackupRecord, name);
    const keep = record?.status?.phase === 'Completed' && await namespaceTerminating(namespace, this.deps.client, context.signal);
    if (keep) context.log.info({ record: name }, 'namespace being deleted: the backup stays in the catalog');
    else await deleteRecord(name, this.deps, context);
    await this.#finalizer(object, false, context);
    return done();
  }

  /** Adds or removes the backup's finalizer (server-side apply owns exactly that entry). */
  async #finalizer(object: KubeObject, present: boolean, context: ReconcileContext): Promise<void> {
    try {
      await this.deps.client.apply(Resources.gaimBackup, {
        apiVersion: object.apiVersion, kind: object.kind,
        metadata: { name: object.metadata?.name, namespace: object.metadata?.namespace, finalizers: present ? [BACKUP_FINALIZER] : [] },
      }, { fieldManager: this.deps.fieldManager, signal: context.signal });
    } catch (error: unknown) {
      if (isNotFound(error)) return;
      throw wrap(error, Message.updateBackupFinalizer(object.metadata?.name ?? ''));
    }
  }

  /** Writes a final phase, once, with its event and metric. */
  async #finish(backup: GaimBackup, status: GaimBackupStatus, context: ReconcileContext, gaim?: Gaim): Promise<ReconcileResult> {
    const final: GaimBackupStatus = { ...backup.status, ...status, completedAt: new Date().toISOString() };
    const outcome = await this.#write(backup, final, context);
    if (outcome === 'stale') return requeueAfter(STALE_RECHECK_MS);
    if (outcome === 'gone') return done();
    const completed = final.phase === 'Completed';
    this.deps.metrics.backups.inc({ result: completed ? 'completed' : 'failed' });
    this.deps.events.record(backup, completed ? 'Normal' : 'Warning', completed ? Reason.BackupCompleted : Reason.BackupFailed, 'Backup', final.message ?? '');
    if (gaim !== undefined && !completed) this.deps.events.record(gaim, 'Warning', Reason.BackupFailed, 'Backup', `GaimBackup ${backup.metadata.name}: ${final.message ?? ''}`);
    context.log.info({ phase: final.phase, message: final.message, record: final.record }, 'backup ended');
    return done();
  }

  /**
   * Writes the status computed from the cached backup, on condition that the API still holds that
   * version (its resourceVersion). A cache lags the operator's own writes: without the condition, a
   * reconcile that read the backup before it was Completed could write its older view (Running, or
   * Failed because the Gaim is gone by now) over the Completed one, and a final backup would read
   * Failed after its Gaim was deleted on the strength of it.
   */
  async #write(backup: GaimBackup, status: GaimBackupStatus, context: ReconcileContext): Promise<WriteOutcome> {
    if (sameStatus(backup.status, status)) return 'unchanged';
    const { name, namespace, resourceVersion } = backup.metadata;
    try {
      await this.deps.client.apply(Resources.gaimBackup, {
        apiVersion: backup.apiVersion, kind: backup.kind, metadata: { name, namespace, ...(resourceVersion === undefined ? {} : { resourceVersion }) }, status,
      }, { fieldManager: this.deps.fieldManager, subresource: 'status', signal: context.stop });
      return 'written';
    } catch (error: unknown) {
      if (isNotFound(error)) return 'gone'; // deleted meanwhile
      if (isConflict(error)) {
        context.log.debug({ resourceVersion }, 'backup changed since it was cached; reconciling the newer version');
        return 'stale';
      }
      throw wrap(error, Message.writeBackupStatus);
    }
  }
}

/** What the record says of each store's claim: its class, and whether it was a multishare share. */
function classesOf(inventory: Inventory) {
  return (store: 'mongodb' | 'redis' | 'lancedb') => {
    const plan = inventory.plans.find((p) => p.target.store === store);
    return plan?.supported === true ? { storageClassName: plan.storageClassName, multishare: plan.instance !== undefined } : {};
  };
}

/** The values of one store in a credentials copy (`<store>.<key>`), by key. */
function pick(copy: Readonly<Record<string, string>>, prefix: string): Record<string, string> | undefined {
  const entries = Object.entries(copy).filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k.slice(prefix.length), v] as const);
  return entries.length === 0 ? undefined : Object.fromEntries(entries);
}
