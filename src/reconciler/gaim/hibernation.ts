// Hibernation (spec.hibernation), decided purely: whether the Gaim's stores should run, from its
// spec and status, the queue prober's idle clock and a wake request in Firestore. The reconcile
// acts on the answer (sleep.ts); nothing here reads or writes anything.
//
// What "asleep" means is one status field: status.hibernatedAt, set when the stores are stopped and
// cleared on wake. Every wake path is a difference between what the Gaim shows now and what it
// showed when it went to sleep, so a restarted operator decides as the one before it did:
// - a spec change: metadata.generation moved past status.hibernatedGeneration (Auto);
// - the wake annotation: gaim.livingcontent.io/wake differs from status.wakeHandled, which records
//   every value seen, awake or asleep, so a value set while awake does not wake a later sleep;
// - Firestore: wake_requested_at on gaims/{gaimId} is later than status.hibernatedAt.
import { WAKE_ANNOTATION as WAKE, type Gaim } from '../../api/v1alpha1/gaim.js';
import type { Caches } from '../../controller/caches.js';
import { nextSlot, previousSlot } from '../../cron.js';
import { parseQuantity } from '../../resources/quantity.js';
import { durationMs } from '../../resources/queue-health.js';
import { ROTATE_CREDENTIALS } from '../../resources/rotation.js';
import { WAKE_REQUESTED_AT } from '../../firestore/wake-requests.js';
import { backupsOf } from '../backups/backups.js';

export { WAKE_ANNOTATION as WAKE } from '../../api/v1alpha1/gaim.js';
/** Auto does not put a Gaim to sleep this close before its backup schedule's next slot. */
export const BACKUP_SLOT_MARGIN_MS = 5 * 60_000;
const DEFAULT_IDLE_AFTER_MS = 24 * 3_600_000;

export type HibernationDecision =
  /** The stores run. `hibernateAt`: when an idle Auto Gaim goes to sleep if nothing happens before. */
  | { readonly kind: 'awake'; readonly hibernateAt?: Date; readonly held?: string }
  /** It was asleep and wakes now, for the reason given. */
  | { readonly kind: 'waking'; readonly by: string }
  /** It sleeps, or goes to sleep now (status.hibernatedAt unset). */
  | { readonly kind: 'asleep'; readonly by: string }
  /** Mode On, but something under way must finish first: the stores run until it has. */
  | { readonly kind: 'held'; readonly why: string };

export interface HibernationInput {
  readonly gaim: Pick<Gaim, 'metadata' | 'spec' | 'status'>;
  readonly now: Date;
  /** Since when the queue prober has found the queues idle (Auto); undefined: in use, or not known yet. */
  readonly idleSince: Date | undefined;
  /** wake_requested_at on the Gaim's Firestore document, as last polled. */
  readonly wakeRequestedAt: Date | undefined;
  /** What is under way that sleep must not cut short (busy()); undefined: nothing. */
  readonly busy: string | undefined;
}

export function decideHibernation(input: HibernationInput): HibernationDecision {
  const { gaim, now } = input;
  const mode = gaim.spec.hibernation?.mode ?? 'Off';
  const hibernatedAt = gaim.status?.hibernatedAt;
  if (mode === 'Off') return hibernatedAt === undefined ? { kind: 'awake' } : { kind: 'waking', by: 'spec.hibernation.mode is Off' };
  if (mode === 'On') {
    if (hibernatedAt !== undefined) return { kind: 'asleep', by: 'spec.hibernation.mode is On' };
    return input.busy === undefined ? { kind: 'asleep', by: 'spec.hibernation.mode is On' } : { kind: 'held', why: input.busy };
  }
  if (hibernatedAt !== undefined) {
    const woken = wakeRequest(input, hibernatedAt);
    return woken === undefined ? { kind: 'asleep', by: 'its queues were idle (spec.hibernation.mode is Auto)' } : { kind: 'waking', by: woken };
  }
  if (input.idleSince === undefined) return { kind: 'awake' };
  const idleAfterMs = durationMs(gaim.spec.hibernation?.idleAfter ?? '24h') ?? DEFAULT_IDLE_AFTER_MS;
  const hibernateAt = new Date(input.idleSince.getTime() + idleAfterMs);
  if (now < hibernateAt) return { kind: 'awake', hibernateAt };
  const synced = gaim.status?.syncStatus === 'Synced' && gaim.status.observedGeneration === gaim.metadata.generation;
  if (!synced) return { kind: 'awake', hibernateAt, held: 'it is not Synced' };
  if (input.busy !== undefined) return { kind: 'awake', hibernateAt, held: input.busy };
  return { kind: 'asleep', by: `its queues were idle for ${gaim.spec.hibernation?.idleAfter ?? '24h'} (spec.hibernation.mode is Auto)` };
}

/** Why an Auto Gaim asleep since `hibernatedAt` wakes, if it does. */
function wakeRequest(input: HibernationInput, hibernatedAt: string): string | undefined {
  const { gaim } = input;
  if (gaim.status?.hibernatedGeneration !== undefined && gaim.metadata.generation !== undefined && gaim.metadata.generation > gaim.status.hibernatedGeneration) {
    return `its spec changed (generation ${String(gaim.metadata.generation)})`;
  }
  const annotation = gaim.metadata.annotations?.[WAKE];
  if (annotation !== undefined && annotation !== gaim.status?.wakeHandled) return `the ${WAKE} annotation (${annotation})`;
  if (input.wakeRequestedAt !== undefined && input.wakeRequestedAt.getTime() > Date.parse(hibernatedAt)) {
    return `${WAKE_REQUESTED_AT} in Firestore (${input.wakeRequestedAt.toISOString()})`;
  }
  return undefined;
}

/**
 * What is under way that sleep must not cut short: a restore, a backup, a credential rotation (its
 * grace period included), a volume growing, or — for Auto — its backup schedule's slot (one due and
 * not taken, or the next within five minutes). A scheduled backup of a Gaim already asleep snapshots
 * its volumes as they stopped.
 */
export function busy(gaim: Pick<Gaim, 'metadata' | 'spec' | 'status'>, caches: Caches, rotationGraceSeconds: number, now: Date): string | undefined {
  const status = gaim.status;
  if (gaim.spec.restoreFrom !== undefined && status?.restoredFrom === undefined) return 'it is being restored';
  const running = backupsOf(gaim, caches).filter((b) => b.status?.phase !== 'Completed' && b.status?.phase !== 'Failed');
  if (running.length > 0) return `backup ${running.map((b) => b.metadata?.name ?? '').join(', ')} is under way`;
  const rotate = gaim.metadata.annotations?.[ROTATE_CREDENTIALS];
  if (rotate !== undefined && rotate !== status?.rotateCredentialsHandled) return 'its credentials are being rotated';
  const rotatedAt = Date.parse(status?.credentialsRotatedAt ?? '');
  if (rotatedAt + rotationGraceSeconds * 1000 > now.getTime()) return 'the previous credentials\' grace period has not ended';
  const growing = (status?.claims ?? []).filter((c) => c.requested !== undefined && c.capacity !== undefined && (parseQuantity(c.requested) ?? 0) > (parseQuantity(c.capacity) ?? 0));
  if (growing.length > 0) return `claim ${growing.map((c) => c.name).join(', ')} is growing`;
  const schedule = gaim.spec.backup?.schedule;
  if (schedule !== undefined && gaim.spec.backup?.suspend !== true && gaim.spec.hibernation?.mode === 'Auto') {
    const due = previousSlot(schedule, now);
    const taken = Date.parse(status?.lastScheduleTime ?? '');
    if (due !== undefined && !(taken >= due.getTime())) return `a scheduled backup (${due.toISOString()}) is due`;
    const next = nextSlot(schedule, now);
    if (next !== undefined && next.getTime() - now.getTime() < BACKUP_SLOT_MARGIN_MS) return `its backup schedule's next slot (${next.toISOString()}) is near`;
  }
  return undefined;
}
