// The Gaim's side of its backups, each reconcile: its newest Completed GaimBackup (status.lastBackup
// and gaim_backup_last_success_timestamp_seconds), and with spec.backup.schedule a GaimBackup per
// slot (the latest slot only, once: a slot missed during an outage is taken when the operator is back,
// not once per missed slot), retention of the scheduled ones, and the BackedUp condition.
//
// Scheduled backups are named by the Gaim and the slot, so a slot is never taken twice, whatever the
// restarts; only scheduled ones are ever deleted, and never the newest Completed one, nor a Failed one
// no later backup has completed after (its evidence stays until a success supersedes it).
import type { Gaim, GaimStatus } from '../../api/v1alpha1/gaim.js';
import { BACKUP_API_VERSION, BACKUP_KIND, type GaimBackupStatus } from '../../api/v1alpha1/gaim-backup.js';
import { nextSlot, previousSlot, schedulePeriodMs } from '../../cron.js';
import type { Caches } from '../../controller/caches.js';
import type { ReconcileContext } from '../../controller/result.js';
import { wrap } from '../../errors.js';
import type { KubeClient } from '../../kube/client.js';
import { isConflict, isNotFound } from '../../kube/errors.js';
import { Labels, MANAGED_BY } from '../../kube/labels.js';
import type { KubeObject } from '../../kube/objects.js';
import { Resources } from '../../kube/resources.js';
import { Message } from '../../messages.js';
import type { Metrics } from '../../observability/metrics.js';
import { BACKUP_SLOT_ANNOTATION, BACKUP_TRIGGER_LABEL, scheduledBackupName, type BackupTrigger } from '../../resources/backup.js';
import type { ConditionUpdate } from '../../status/conditions.js';
import { Reason } from '../../status/reasons.js';
import type { StepResult } from '../gaim/step.js';

export interface BackupsDeps {
  readonly caches: Caches;
  readonly client: KubeClient;
  readonly metrics: Pick<Metrics, 'backupLastSuccess' | 'backedUp'>;
}

export interface BackupsOutcome extends StepResult {
  readonly lastBackup?: NonNullable<GaimStatus['lastBackup']>;
  readonly lastScheduleTime?: string;
  /** BackedUp; 'remove' when the Gaim has no schedule. */
  readonly condition: ConditionUpdate | 'remove';
  /** The next slot. */
  readonly recheckAfterMs?: number;
}

export type BackupView = KubeObject & { spec?: { gaim?: string }; status?: GaimBackupStatus };

/** Timers cannot wait longer than about 24 days: look again at least hourly. */
const MAX_WAIT_MS = 3_600_000;

/** The GaimBackups of a Gaim, from the cache. */
export function backupsOf(gaim: Pick<Gaim, 'metadata'>, caches: Caches): BackupView[] {
  return caches.list<BackupView>(Resources.gaimBackup, gaim.metadata.namespace).filter((b) => b.spec?.gaim === gaim.metadata.name);
}

const completedAt = (b: BackupView) => (b.status?.phase === 'Completed' ? Date.parse(b.status.completedAt ?? '') : NaN);
const createdAt = (b: BackupView) => Date.parse(b.metadata?.creationTimestamp ?? '') || 0;

/** Scheduled backups to delete: Completed beyond the newest `keep`, and Failed ones a later backup completed after. */
export function retention(backups: readonly BackupView[], keep: number): BackupView[] {
  const scheduled = backups.filter((b) => b.metadata?.labels?.[BACKUP_TRIGGER_LABEL] === 'scheduled' && b.metadata.deletionTimestamp === undefined);
  const completed = scheduled.filter((b) => Number.isFinite(completedAt(b))).sort((a, b) => completedAt(b) - completedAt(a));
  const newest = completed[0];
  const failed = newest === undefined ? [] : scheduled.filter((b) => b.status?.phase === 'Failed' && createdAt(b) < createdAt(newest));
  return [...completed.slice(Math.max(1, keep)), ...failed];
}

export async function tendBackups(gaim: Gaim, deps: BackupsDeps, context: ReconcileContext, now = new Date()): Promise<BackupsOutcome> {
  const labels = { namespace: gaim.metadata.namespace, gaim: gaim.metadata.name };
  const backups = backupsOf(gaim, deps.caches);
  const newest = backups.filter((b) => Number.isFinite(completedAt(b))).sort((a, b) => completedAt(b) - completedAt(a))[0];
  const lastBackup = newest === undefined ? undefined : { name: newest.metadata?.name ?? '', completedAt: newest.status?.completedAt ?? '' };
  if (newest !== undefined) deps.metrics.backupLastSuccess.set(labels, Math.floor(completedAt(newest) / 1000));
  else deps.metrics.backupLastSuccess.remove(labels);

  const policy = gaim.spec.backup;
  const schedule = policy?.schedule;
  if (policy === undefined || schedule === undefined) {
    deps.metrics.backedUp.remove(labels);
    return { ...(lastBackup === undefined ? {} : { lastBackup }), condition: 'remove' };
  }

  const slot = previousSlot(schedule, now);
  const last = gaim.status?.lastScheduleTime;
  let lastScheduleTime = last;
  if (slot !== undefined && last === undefined) {
    lastScheduleTime = slot.toISOString(); // a new schedule starts with the next slot
  } else if (slot !== undefined && last !== undefined && slot.getTime() > Date.parse(last)) {
    if (!policy.suspend) await createBackup(gaim, scheduledBackupName(gaim.metadata.name, slot), 'scheduled', { [BACKUP_SLOT_ANNOTATION]: slot.toISOString() }, deps.client, context);
    lastScheduleTime = slot.toISOString();
  }
  for (const old of retention(backups, policy.keep)) await deleteBackup(old, deps.client, context);

  const period = schedulePeriodMs(schedule, now) ?? 86_400_000;
  const condition = backedUpCondition(newest, backups, period, now);
  deps.metrics.backedUp.set(labels, condition.status === 'False' ? 0 : 1);
  const next = nextSlot(schedule, now);
  return {
    ...(lastBackup === undefined ? {} : { lastBackup }),
    ...(lastScheduleTime === undefined ? {} : { lastScheduleTime: lastScheduleTime.replace(/\.\d{3}Z$/, 'Z') }),
    condition,
    ...(next === undefined ? {} : { recheckAfterMs: Math.min(MAX_WAIT_MS, next.getTime() - now.getTime() + 500) }),
  };
}

/** BackedUp: the newest Completed backup is at most two schedule periods old. */
function backedUpCondition(newest: BackupView | undefined, backups: readonly BackupView[], periodMs: number, now: Date): ConditionUpdate {
  const allowed = 2 * periodMs;
  if (newest !== undefined) {
    const age = now.getTime() - completedAt(newest);
    const what = `the newest Completed backup, ${newest.metadata?.name ?? ''}, completed ${newest.status?.completedAt ?? ''}`;
    return age <= allowed
      ? { type: 'BackedUp', status: 'True', reason: Reason.BackedUp, message: what }
      : { type: 'BackedUp', status: 'False', reason: Reason.BackupStale, message: `${what}: more than two schedule periods ago` };
  }
  const scheduled = backups.filter((b) => b.metadata?.labels?.[BACKUP_TRIGGER_LABEL] === 'scheduled');
  const oldest = Math.min(...scheduled.map(createdAt));
  if (scheduled.length === 0 || now.getTime() - oldest <= allowed) {
    return { type: 'BackedUp', status: 'Unknown', reason: Reason.AwaitingFirstBackup, message: 'no backup has completed yet; the first is taken at the next slot of spec.backup.schedule' };
  }
  return { type: 'BackedUp', status: 'False', reason: Reason.BackupStale, message: 'no scheduled backup has completed in two schedule periods' };
}

/** A GaimBackup the operator takes: never owned by the Gaim (deleting the Gaim keeps it). */
export async function createBackup(gaim: Pick<Gaim, 'metadata'>, name: string, trigger: BackupTrigger, annotations: Record<string, string>, client: KubeClient, context: ReconcileContext): Promise<void> {
  try {
    await client.create(Resources.gaimBackup, {
      apiVersion: BACKUP_API_VERSION, kind: BACKUP_KIND,
      metadata: {
        name, namespace: gaim.metadata.namespace,
        labels: { [Labels.managedBy]: MANAGED_BY, [Labels.gaim]: gaim.metadata.name, [BACKUP_TRIGGER_LABEL]: trigger },
        annotations,
      },
      spec: { gaim: gaim.metadata.name },
    }, context.signal);
    context.log.info({ backup: name, trigger }, 'took a backup');
  } catch (error: unknown) {
    if (isConflict(error)) return; // taken already (this slot, by this operator before a restart, or another)
    throw wrap(error, Message.createBackup(name));
  }
}

async function deleteBackup(backup: BackupView, client: KubeClient, context: ReconcileContext): Promise<void> {
  const name = backup.metadata?.name ?? '';
  try {
    await client.delete(Resources.gaimBackup, name, backup.metadata?.namespace, { ...(backup.metadata?.uid === undefined ? {} : { preconditions: { uid: backup.metadata.uid } }), signal: context.signal });
    context.log.info({ backup: name, phase: backup.status?.phase }, 'deleted a backup beyond the retention');
  } catch (error: unknown) {
    if (isNotFound(error) || isConflict(error)) return;
    throw wrap(error, Message.deleteBackup(name));
  }
}
