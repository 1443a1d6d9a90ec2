import { Timestamp, type Firestore } from '@google-cloud/firestore';
import type { Environment, Gaim, SyncStatus } from '../api/v1alpha1/gaim.js';
import { firestorePaths } from '../datamodel.js';
import { OperatorError, type ErrorType } from '../errors.js';
import { Message } from '../messages.js';
import type { Ledger } from '../status/retry-ledger.js';
import { withDeadline } from './deadline.js';
import { classifyFirestoreError } from './errors.js';

/** Firestore's spelling of the sync status (the data model's `sync_status` values). */
export const FIRESTORE_SYNC_STATUS: Readonly<Record<SyncStatus, 'synced' | 'failed' | 'progressing'>> = {
  Synced: 'synced', Failed: 'failed', Progressing: 'progressing',
};
const SEVERITY = { failed: 2, progressing: 1, synced: 0 } as const;

/** What this operator reports for each of the Gaim's environments. */
export interface SyncReport {
  readonly syncStatus: SyncStatus;
  readonly errorType: ErrorType | undefined;
  readonly ledger: Ledger;
  readonly generation: number;
  readonly cluster: string;
  /** Grows with every change of leader (the Lease's transition count): a newer leader wins. */
  readonly leaderEpoch: number;
}

/** This operator's entry for one environment, in `sync_environments.{env}`. */
export interface Entry {
  sync_status: 'synced' | 'failed' | 'progressing';
  error_type: ErrorType | null;
  retry_count: number;
  last_retry_at: Timestamp | null;
  next_retry_at: Timestamp | null;
  updated_at: Timestamp;
  cluster: string;
  observed_generation: number;
  leader_epoch: number;
}

/** The map of per-environment entries in gaims/{gaim_id}. */
export const ENVIRONMENTS_FIELD = 'sync_environments';

export type SyncOutcome = 'written' | 'unchanged' | 'stale';

const ts = (iso: string | undefined) => (iso === undefined ? null : Timestamp.fromDate(new Date(iso)));

export function entryFor(report: SyncReport, now: Timestamp): Entry {
  return {
    sync_status: FIRESTORE_SYNC_STATUS[report.syncStatus],
    error_type: report.errorType ?? null,
    retry_count: report.ledger.retryCount,
    last_retry_at: ts(report.ledger.lastRetryAt),
    next_retry_at: ts(report.ledger.nextRetryAt),
    updated_at: now,
    cluster: report.cluster,
    observed_generation: report.generation,
    leader_epoch: report.leaderEpoch,
  };
}

/** Same content, ignoring when it was written. */
export function sameEntry(a: Partial<Entry> | undefined, b: Entry): boolean {
  if (a === undefined) return false;
  const time = (t: unknown) => (t instanceof Timestamp ? t.toMillis() : t ?? null);
  return a.sync_status === b.sync_status && (a.error_type ?? null) === b.error_type && a.retry_count === b.retry_count
    && time(a.last_retry_at) === time(b.last_retry_at) && time(a.next_retry_at) === time(b.next_retry_at)
    && a.cluster === b.cluster && a.observed_generation === b.observed_generation && a.leader_epoch === b.leader_epoch;
}

/** An entry from a newer generation, or the same generation under a newer leader, is not ours to overwrite. */
export function isNewer(existing: Partial<Entry> | undefined, mine: Entry): boolean {
  if (existing === undefined) return false;
  const generation = existing.observed_generation ?? -1;
  if (generation !== mine.observed_generation) return generation > mine.observed_generation;
  return (existing.leader_epoch ?? -1) > mine.leader_epoch;
}

/**
 * Writes this operator's view of the Gaim into gaims/{gaim_id}, in one transaction:
 * creates the document with the data model's metadata when it is missing; refuses (conflict) when it
 * belongs to another gaim_name; merges one entry per environment into `sync_environments`; and sets
 * the top-level sync fields to the worst entry (failed > progressing > synced). Fields it does not
 * own (names, tenant ids, created_at, anything else) are never touched, and an entry written from a
 * newer generation or by a newer leader is left as it is. Nothing is written when nothing changed.
 */
export async function syncToFirestore(firestore: Firestore, gaim: Gaim, report: SyncReport, signal?: AbortSignal): Promise<SyncOutcome> {
  const ref = firestore.doc(firestorePaths.gaim(gaim.spec.gaimId));
  try {
    return await withDeadline(firestore.runTransaction(async (tx) => {
      const snapshot = await tx.get(ref);
      const now = Timestamp.now();
      const mine = entryFor(report, now);
      const data = snapshot.data() ?? {};
      if (snapshot.exists && data['gaim_name'] !== undefined && data['gaim_name'] !== gaim.metadata.name) {
        throw new OperatorError('conflict', Message.gaimIdTaken(gaim.spec.gaimId, String(data['gaim_name']), gaim.metadata.name), { reason: 'GaimIdConflict' });
      }
      const entries = { ...((data[ENVIRONMENTS_FIELD] ?? {}) as Record<string, Partial<Entry>>) };
      let changed = false;
      let stale = false;
      for (const env of gaim.spec.environments satisfies readonly Environment[]) {
        const existing = entries[env];
        if (isNewer(existing, mine)) {
          stale = true;
          continue;
        }
        if (sameEntry(existing, mine)) continue;
        entries[env] = mine;
        changed = true;
      }
      if (!changed && snapshot.exists) return stale ? 'stale' : 'unchanged';

      const worst = Object.values(entries).reduce<Partial<Entry> | undefined>((a, b) =>
        a === undefined || SEVERITY[b.sync_status ?? 'synced'] > SEVERITY[a.sync_status ?? 'synced'] ? b : a, undefined) ?? mine;
      const top = {
        sync_status: worst.sync_status ?? mine.sync_status,
        error_type: worst.error_type ?? null,
        retry_count: worst.retry_count ?? 0,
        last_retry_at: worst.last_retry_at ?? null,
        next_retry_at: worst.next_retry_at ?? null,
        updated_at: now,
      };
      if (!snapshot.exists) {
        tx.create(ref, {
          gaim_id: gaim.spec.gaimId,
          gaim_name: gaim.metadata.name,
          gaim_display_name: gaim.spec.displayName,
          gaim_description: gaim.spec.description ?? '',
          associated_tenant_ids: gaim.spec.tenantIds,
          created_at: now,
          ...top,
          [ENVIRONMENTS_FIELD]: entries,
        });
      } else {
        // update() with field paths touches exactly these fields and leaves every other one alone.
        const updates: Record<string, unknown> = { ...top };
        for (const env of gaim.spec.environments) if (entries[env] === mine) updates[`${ENVIRONMENTS_FIELD}.${env}`] = mine;
        tx.update(ref, updates);
      }
      return 'written';
    }, { maxAttempts: 3 }), `write gaims/${gaim.spec.gaimId}`, signal);
  } catch (error: unknown) {
    throw classifyFirestoreError(error, Message.writeGaimDocument(gaim.spec.gaimId), signal);
  }
}
