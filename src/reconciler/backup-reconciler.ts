// The GaimBackup reconcile: read the backup and its Gaim from the caches, take stock of the Gaim's
// claims (can each be snapshotted, with which class, together with others?), take what is not taken
// yet, and report what the snapshots say — Completed and Failed are final. A backup is taken once:
// its snapshots are made by name, so a restarted operator finds them and goes on.
//
// Deleting a GaimBackup deletes its snapshots and its credentials copy through their owner
// references (garbage collection); the Gaim never owns a backup, so deleting it keeps them.
import type { Gaim } from '../api/v1alpha1/gaim.js';
import { GaimBackupSchema, type GaimBackup, type GaimBackupStatus } from '../api/v1alpha1/gaim-backup.js';
import { parseGaim } from '../api/v1alpha1/validate.js';
import type { Settings } from '../config/settings.js';
import type { Caches } from '../controller/manager.js';
import { done, requeueAfter, type ReconcileContext, type ReconcileResult, type Reconciler } from '../controller/result.js';
import { asOperatorError, errorMessage } from '../errors.js';
import type { KubeClient } from '../kube/client.js';
import type { EventRecorder } from '../kube/events.js';
import { isConflict, isNotFound } from '../kube/errors.js';
import type { KubeObject } from '../kube/objects.js';
import { Resources } from '../kube/resources.js';
import { Message } from '../messages.js';
import type { Metrics } from '../observability/metrics.js';
import { backupVerdict, credentialsCopyName } from '../resources/backup.js';
import { sameStatus } from '../status/gaim-status.js';
import { Reason } from '../status/reasons.js';
import { observeClaims, takeInventory, takeSnapshots } from './backup-snapshots.js';

export interface BackupReconcilerDeps {
  readonly caches: Caches;
  readonly client: KubeClient;
  readonly events: EventRecorder;
  readonly metrics: Pick<Metrics, 'backups'>;
  readonly settings: Pick<Settings, 'overrides' | 'backups'>;
  readonly fieldManager: string;
  readonly apis: { readonly volumeSnapshots: boolean; readonly volumeGroupSnapshots: boolean };
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

export class BackupReconciler implements Reconciler {
  /**
   * What was flushed before each backup's snapshots, by backup uid, until it ends: the status that
   * records it may not be in the cache yet at the next reconcile, which must not write it away.
   */
  readonly #notes = new Map<string, string[]>();

  constructor(private readonly deps: BackupReconcilerDeps) {}

  async reconcile(key: string, context: ReconcileContext): Promise<ReconcileResult> {
    const object = this.deps.caches.get<KubeObject>(Resources.gaimBackup, key);
    if (object === undefined || object.metadata?.deletionTimestamp !== undefined) return done();
    const parsed = GaimBackupSchema.safeParse(object);
    if (!parsed.success) {
      const status = (object['status'] ?? {}) as GaimBackupStatus;
      if (status.phase === 'Failed') return done();
      await this.#finish(object as GaimBackup, { phase: 'Failed', message: `the GaimBackup is invalid: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}` }, context);
      return done();
    }
    const backup = parsed.data;
    const phase = backup.status?.phase;
    if (phase === 'Completed' || phase === 'Failed') return done();
    try {
      return await this.#take(backup, context);
    } catch (error: unknown) {
      const failure = asOperatorError(error, 'kubernetes', context.signal);
      context.log.warn({ error: failure.message }, 'cannot take the backup yet; retrying');
      await this.#write(backup, { ...backup.status, phase: backup.status?.phase ?? 'Pending', message: failure.message }, context).catch(() => undefined);
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
    const deps = { ...this.deps, groupSnapshotsServed: this.deps.apis.volumeGroupSnapshots };
    const inventory = await takeInventory(gaim, deps, context.signal);
    const requireAll = gaim.spec.backup?.requireAll ?? true;
    const ready = inventory.plans.every((p) => p.supported !== 'waiting');
    const refused = requireAll && inventory.plans.some((p) => p.supported === false);
    const uid = backup.metadata.uid ?? backup.metadata.name;
    const taken = ready && !refused ? await takeSnapshots(gaim, backup, inventory, deps, context) : [];
    if (taken.length > 0) this.#notes.set(uid, taken);
    const notes = this.#notes.get(uid) ?? backup.status?.notes ?? [];
    const claims = await observeClaims(backup, inventory, deps, context.signal);
    const timeoutSeconds = this.deps.settings.backups.timeoutSeconds;
    const timedOut = now.getTime() - Date.parse(startedAt) > timeoutSeconds * 1000;
    const verdict = backupVerdict(claims, requireAll, timedOut, timeoutSeconds);
    const status: GaimBackupStatus = {
      phase: verdict.phase, startedAt, gaimId: gaim.spec.gaimId,
      method: inventory.groups.length > 0 ? 'VolumeGroupSnapshot' : 'VolumeSnapshot',
      ...(ready && !refused ? { credentialsSecret: credentialsCopyName(backup.metadata.name) } : {}),
      claims: [...verdict.claims],
      ...(notes.length === 0 ? {} : { notes: [...notes] }),
      message: verdict.message,
    };
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
    context.log.info({ phase: final.phase, message: final.message }, 'backup ended');
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
      throw asOperatorError(new Error(`${Message.writeBackupStatus}: ${errorMessage(error)}`), 'kubernetes');
    }
  }
}
