// Firestore write-back of the sync state (gaims/{gaimId}), with a memo of what was last written per
// Gaim so an unchanged Gaim costs no Firestore call, the document as that write left it so a change
// costs one conditional write (sync.ts), and a backoff of its own for outages.
import type { Gaim, GaimStatus } from '../../api/v1alpha1/gaim.js';
import { backoffDelay, type BackoffPolicy } from '../../controller/backoff.js';
import { asOperatorError, type OperatorError } from '../../errors.js';
import type { PlatformFirestore } from '../../firestore/client.js';
import type { KnownDocument, SyncReport } from '../../firestore/sync.js';
import { objectKey } from '../../kube/objects.js';
import type { Ledger } from '../../status/retry-ledger.js';

export interface WriteBackResult {
  /** Whether gaims/{gaimId} reflects this status, for the FirestoreSynced condition. */
  readonly state: { readonly ok: boolean; readonly message: string };
  /** When to try the write again after an outage (the Gaim itself has not failed). */
  readonly retryMs?: number;
  /** Firestore refused the write because another Gaim owns the gaimId: the Gaim fails, terminally. */
  readonly conflict?: OperatorError;
}

export class FirestoreWriteBack {
  /** Per Gaim: the last report written, and the document as it left it. */
  readonly #written = new Map<string, { readonly memo: string; readonly known: KnownDocument | undefined }>();
  readonly #failures = new Map<string, number>();

  constructor(
    private readonly firestore: PlatformFirestore,
    private readonly backoff: BackoffPolicy,
    /** This cluster's name in Firestore's per-environment entries. */
    private readonly clusterName: string,
    /** Grows with each change of leader; fences Firestore writes of a stale leader. */
    private readonly leaderEpoch: () => number,
  ) {}

  /** Writes this operator's entry unless this exact report was the last one written for the Gaim. */
  async write(gaim: Gaim, status: GaimStatus, ledger: Ledger, signal: AbortSignal): Promise<WriteBackResult> {
    const report: SyncReport = {
      syncStatus: status.syncStatus ?? 'Progressing',
      errorType: status.errorType,
      ledger,
      generation: gaim.metadata.generation ?? 0,
      cluster: this.clusterName,
      leaderEpoch: this.leaderEpoch(),
      hibernatedAt: status.hibernatedAt,
    };
    const key = objectKey(gaim);
    const memo = JSON.stringify(report);
    const upToDate = { ok: true, message: `gaims/${gaim.spec.gaimId} is up to date` };
    const last = this.#written.get(key);
    if (last?.memo === memo) return { state: upToDate };
    try {
      const { outcome, known } = await this.firestore.syncGaim(gaim, report, last?.known, signal);
      this.#written.set(key, { memo, known });
      this.#failures.delete(key);
      return { state: outcome === 'stale' ? { ok: true, message: 'an entry was written by a newer generation or leader; left as it is' } : upToDate };
    } catch (error: unknown) {
      // Whatever the document now is, it is not known to be what this process last wrote (a write
      // may have landed after its deadline, or others wrote): the next try reads first.
      if (last !== undefined) this.#written.set(key, { memo: '', known: undefined });
      const failure = asOperatorError(error, 'firestore', signal);
      if (failure.errorType === 'conflict') return { state: { ok: false, message: failure.message }, conflict: failure };
      // An outage must not hold up Kubernetes: report it, and retry just the write with backoff.
      const attempts = (this.#failures.get(key) ?? 0) + 1;
      this.#failures.set(key, attempts);
      return { state: { ok: false, message: failure.message }, retryMs: backoffDelay(this.backoff, attempts) };
    }
  }

  /** This process has written the Gaim's document before: it names the Gaim, so no write of it can be a conflict. */
  wroteBefore(gaim: Gaim): boolean {
    return this.#written.has(objectKey(gaim));
  }

  get size(): number {
    return this.#written.size + this.#failures.size;
  }

  /** The Gaim is gone: nothing to remember. */
  forget(key: string): void {
    this.#written.delete(key);
    this.#failures.delete(key);
  }
}
