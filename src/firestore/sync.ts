import { Timestamp, type Firestore } from '@google-cloud/firestore';
import type { Environment, Gaim, SyncStatus } from '../api/v1alpha1/gaim.js';
import { firestorePaths } from '../datamodel.js';
import { OperatorError, type ErrorType } from '../errors.js';
import { Message } from '../messages.js';
import type { Ledger } from '../status/retry-ledger.js';
import { withDeadline } from './deadline.js';
import { classifyFirestoreError, isPreconditionFailure } from './errors.js';

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
  /** Since when the Gaim hibernates (status.hibernatedAt); undefined while it is awake. */
  readonly hibernatedAt?: string | undefined;
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
  /** The Gaim's stores are stopped (hibernation): the platform's services read this before they connect. */
  hibernated: boolean;
  hibernated_at: Timestamp | null;
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
    hibernated: report.hibernatedAt !== undefined,
    hibernated_at: ts(report.hibernatedAt),
  };
}

/** Same content, ignoring when it was written. */
export function sameEntry(a: Partial<Entry> | undefined, b: Entry): boolean {
  if (a === undefined) return false;
  const time = (t: unknown) => (t instanceof Timestamp ? t.toMillis() : t ?? null);
  return a.sync_status === b.sync_status && (a.error_type ?? null) === b.error_type && a.retry_count === b.retry_count
    && time(a.last_retry_at) === time(b.last_retry_at) && time(a.next_retry_at) === time(b.next_retry_at)
    && a.cluster === b.cluster && a.observed_generation === b.observed_generation && a.leader_epoch === b.leader_epoch
    && (a.hibernated ?? false) === b.hibernated && time(a.hibernated_at) === time(b.hibernated_at);
}

/** An entry from a newer generation, or the same generation under a newer leader, is not ours to overwrite. */
export function isNewer(existing: Partial<Entry> | undefined, mine: Entry): boolean {
  if (existing === undefined) return false;
  const generation = existing.observed_generation ?? -1;
  if (generation !== mine.observed_generation) return generation > mine.observed_generation;
  return (existing.leader_epoch ?? -1) > mine.leader_epoch;
}

/**
 * What this process last wrote to gaims/{gaim_id}: the document's update time after that write and
 * its entries then. With it the next change is one conditional write (precondition: the document
 * is still at that update time) instead of a read and a write.
 */
export interface KnownDocument {
  readonly updateTime: Timestamp;
  readonly entries: Readonly<Record<string, Partial<Entry>>>;
}

export interface SyncResult {
  readonly outcome: SyncOutcome;
  /** The document as this write left it (or found it unchanged); undefined while it does not exist. */
  readonly known: KnownDocument | undefined;
}

/** How often a write whose precondition failed (someone wrote in between) reads again and retries. */
const MAX_ATTEMPTS = 3;

/**
 * Writes this operator's view of the Gaim into gaims/{gaim_id}, with optimistic concurrency: it
 * reads the document (or starts from `known`, what this process last wrote), works out the change,
 * and writes it only if the document is still as read (created only if absent; updated only at the
 * update time read); when someone wrote in between, it reads again and retries. It creates the
 * document with the data model's metadata when it is missing; refuses (conflict) when it belongs to
 * another gaim_name; merges one entry per environment into `sync_environments`; and sets the
 * top-level sync fields to the worst entry (failed > progressing > synced). Fields it does not own
 * (names, tenant ids, created_at, anything else) are never touched, and an entry written from a
 * newer generation or by a newer leader is left as it is. Nothing is written when nothing changed.
 *
 * Why not a transaction: a Firestore transaction is a read and a commit on every call, two round
 * trips; a conditional write is one when this process wrote the document last, which is the usual
 * case (a Gaim's reaction to a store going down and coming back is two such writes).
 */
export async function syncToFirestore(firestore: Firestore, gaim: Gaim, report: SyncReport, known?: KnownDocument, signal?: AbortSignal): Promise<SyncResult> {
  const ref = firestore.doc(firestorePaths.gaim(gaim.spec.gaimId));
  const what = `write gaims/${gaim.spec.gaimId}`;
  const read = async (): Promise<Base> => {
    const snapshot = await withDeadline(ref.get(), what, signal);
    const data = snapshot.data() ?? {};
    if (snapshot.exists && data['gaim_name'] !== undefined && data['gaim_name'] !== gaim.metadata.name) {
      throw new OperatorError('conflict', Message.gaimIdTaken(gaim.spec.gaimId, String(data['gaim_name']), gaim.metadata.name), { reason: 'GaimIdConflict' });
    }
    return { exists: snapshot.exists, entries: (data[ENVIRONMENTS_FIELD] ?? {}) as Record<string, Partial<Entry>>, updateTime: snapshot.updateTime, assumed: false };
  };
  try {
    let base: Base | undefined = known === undefined ? undefined : { exists: true, ...known, assumed: true };
    for (let writes = 1; ; ) {
      base ??= await read();
      const now = Timestamp.now();
      const change = changeFor(gaim, report, base, now);
      if (change.kind !== 'write') {
        // "Unchanged" by what this process last wrote is not proof: read what is there.
        if (base.assumed) {
          base = undefined;
          continue;
        }
        return { outcome: change.kind, known: base.updateTime === undefined ? undefined : { updateTime: base.updateTime, entries: change.entries } };
      }
      try {
        const result = base.updateTime === undefined
          ? await withDeadline(ref.create(createdDocument(gaim, change, now)), what, signal)
          // update() with field paths touches exactly these fields and leaves every other one alone.
          : await withDeadline(ref.update(change.updates, { lastUpdateTime: base.updateTime }), what, signal);
        return { outcome: 'written', known: { updateTime: result.writeTime, entries: change.entries } };
      } catch (error: unknown) {
        // Someone wrote (or deleted, or created) the document since it was read: read it again.
        if (!isPreconditionFailure(error) || writes >= MAX_ATTEMPTS) throw error;
        writes += 1;
        base = undefined;
      }
    }
  } catch (error: unknown) {
    throw classifyFirestoreError(error, Message.writeGaimDocument(gaim.spec.gaimId), signal);
  }
}

/** The document as read (or as this process last wrote it: `assumed`); no update time while it does not exist. */
interface Base {
  readonly exists: boolean;
  readonly entries: Readonly<Record<string, Partial<Entry>>>;
  readonly updateTime: Timestamp | undefined;
  readonly assumed: boolean;
}

interface Change {
  readonly kind: 'write' | 'unchanged' | 'stale';
  /** Every environment's entry after the change. */
  readonly entries: Record<string, Partial<Entry>>;
  /** The top-level fields and this operator's entries, by field path. */
  readonly updates: Record<string, unknown>;
  readonly top: Record<string, unknown>;
}

/** What this report changes in the document `base`. */
export function changeFor(gaim: Gaim, report: SyncReport, base: Pick<Base, 'exists' | 'entries'>, now: Timestamp): Change {
  const mine = entryFor(report, now);
  const entries = { ...base.entries };
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
  const updates: Record<string, unknown> = { ...top };
  for (const env of gaim.spec.environments) if (entries[env] === mine) updates[`${ENVIRONMENTS_FIELD}.${env}`] = mine;
  const kind = changed || !base.exists ? 'write' : stale ? 'stale' : 'unchanged';
  return { kind, entries, updates, top };
}

/** A new gaims/{gaim_id}: the data model's metadata, the sync fields and the entries. */
function createdDocument(gaim: Gaim, change: Change, now: Timestamp): Record<string, unknown> {
  return {
    gaim_id: gaim.spec.gaimId,
    gaim_name: gaim.metadata.name,
    gaim_display_name: gaim.spec.displayName,
    gaim_description: gaim.spec.description ?? '',
    associated_tenant_ids: gaim.spec.tenantIds,
    created_at: now,
    ...change.top,
    [ENVIRONMENTS_FIELD]: change.entries,
  };
}
