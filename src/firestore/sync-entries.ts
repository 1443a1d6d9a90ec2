// Reading back what the operators wrote into gaims/{gaim_id}: each environment's entry of
// `sync_environments`, as plain values (no Firestore types leave this module). For tools that show
// a Gaim's state (the kubectl plugin); the operator itself never reads its entries back this way.
import { Timestamp, type Firestore } from '@google-cloud/firestore';
import { GoogleAuth } from 'google-auth-library';
import { firestorePaths } from '../datamodel.js';
import { errorMessage } from '../errors.js';
import { openFirestore, type FirestoreTarget } from './connection.js';
import { withDeadline } from './deadline.js';
import { classifyFirestoreError, FirestoreUnavailableError } from './errors.js';
import { ENVIRONMENTS_FIELD } from './sync.js';

/** One environment's entry, as an operator last wrote it; a field it lacks is absent. */
export interface SyncEntry {
  readonly syncStatus?: string;
  /** null: the operator wrote "no error". */
  readonly errorType?: string | null;
  readonly retryCount?: number;
  /** RFC 3339. */
  readonly updatedAt?: string;
  readonly cluster?: string;
  /** The Gaim hibernates (its stores stopped); absent where an older operator wrote the entry. */
  readonly hibernated?: boolean;
}

export type SyncEntries =
  | { readonly state: 'found'; readonly path: string; readonly entries: Readonly<Record<string, SyncEntry>> }
  | { readonly state: 'missing'; readonly path: string }
  /** No answer within the deadline, no credentials, no connection: Firestore could not be asked. */
  | { readonly state: 'unavailable'; readonly path: string; readonly reason: string }
  /** Firestore answered with a refusal (permission denied, no such database). */
  | { readonly state: 'refused'; readonly path: string; readonly reason: string };

export interface SyncEntryReader {
  /** Where it reads, for a reader: `emulator 127.0.0.1:8080`, `project p`, `the credentials' project`. */
  readonly source: string;
  read(gaimId: string, signal?: AbortSignal): Promise<SyncEntries>;
  close(): Promise<void>;
}

/** Short, so a tool that shows many things stays responsive when Firestore does not answer. */
export const READ_DEADLINE_MS = 3_000;
const DATASTORE_SCOPE = 'https://www.googleapis.com/auth/datastore';

/** A reader for `target`; it never throws from `read`: every failure is a state with its reason. */
export function openSyncEntryReader(target: FirestoreTarget, deadlineMs = READ_DEADLINE_MS): SyncEntryReader {
  let firestore: Firestore | undefined;
  let inFlight = 0;
  const source = target.emulatorHost !== undefined ? `emulator ${target.emulatorHost}`
    : target.projectId !== undefined ? `project ${target.projectId}` : 'the credentials\' project';
  return {
    source,
    async read(gaimId, signal) {
      const path = firestorePaths.gaim(gaimId);
      try {
        firestore ??= openFirestore(await withCredentials(target, signal, deadlineMs));
        // Counted until the call itself settles, which may be long after its deadline.
        const call = firestore.doc(path).get();
        inFlight += 1;
        const settled = () => { inFlight -= 1; };
        void call.then(settled, settled);
        const snapshot = await withDeadline(call, path, signal, deadlineMs);
        if (!snapshot.exists) return { state: 'missing', path };
        return { state: 'found', path, entries: syncEntriesOf(snapshot.data()) };
      } catch (error: unknown) {
        const classified = classifyFirestoreError(error, `cannot read ${path}`, signal);
        return classified instanceof FirestoreUnavailableError || classified.errorType === 'timeout'
          ? { state: 'unavailable', path, reason: conciseReason(error, path) }
          : { state: 'refused', path, reason: conciseReason(error, path) };
      }
    },
    async close() {
      // terminate() waits for the calls in flight, and fails them (with rejections nobody holds)
      // when they retry: a call that outlived its deadline is left to the process's exit instead.
      if (firestore !== undefined && inFlight === 0) await withDeadline(firestore.terminate(), 'cannot close firestore', undefined, deadlineMs).catch(() => undefined);
    },
  };
}

/**
 * The target with its project, once Application Default Credentials are known to exist. Asked of
 * google-auth first because without credentials the Firestore client does not fail its call: it
 * retries until the deadline, rejecting promises nobody holds (a process-ending unhandled rejection
 * in a short-lived tool), and says "no answer" rather than "no credentials". An emulator needs none.
 */
async function withCredentials(target: FirestoreTarget, signal: AbortSignal | undefined, deadlineMs: number): Promise<FirestoreTarget> {
  if (target.emulatorHost !== undefined) return target;
  const auth = new GoogleAuth({ scopes: [DATASTORE_SCOPE] });
  await withDeadline(auth.getClient(), 'Application Default Credentials', signal, deadlineMs);
  return { ...target, projectId: target.projectId ?? await withDeadline(auth.getProjectId(), 'the credentials\' project', signal, deadlineMs) };
}

/** The entries of a gaims/{gaim_id} document's data, by environment; malformed ones are skipped. */
export function syncEntriesOf(data: Readonly<Record<string, unknown>> | undefined): Record<string, SyncEntry> {
  const map = data?.[ENVIRONMENTS_FIELD];
  if (typeof map !== 'object' || map === null) return {};
  const entries: Record<string, SyncEntry> = {};
  for (const [env, raw] of Object.entries(map as Record<string, unknown>)) {
    if (typeof raw !== 'object' || raw === null) continue;
    const entry = raw as Record<string, unknown>;
    const updatedAt = timeOf(entry['updated_at']);
    entries[env] = {
      ...(typeof entry['sync_status'] === 'string' ? { syncStatus: entry['sync_status'] } : {}),
      ...(typeof entry['error_type'] === 'string' || entry['error_type'] === null ? { errorType: entry['error_type'] } : {}),
      ...(typeof entry['retry_count'] === 'number' ? { retryCount: entry['retry_count'] } : {}),
      ...(updatedAt === undefined ? {} : { updatedAt }),
      ...(typeof entry['cluster'] === 'string' ? { cluster: entry['cluster'] } : {}),
      ...(typeof entry['hibernated'] === 'boolean' ? { hibernated: entry['hibernated'] } : {}),
    };
  }
  return entries;
}

function timeOf(value: unknown): string | undefined {
  if (value instanceof Timestamp) return value.toDate().toISOString();
  return typeof value === 'string' && !Number.isNaN(Date.parse(value)) ? value : undefined;
}

/**
 * What went wrong, in one line, without the path the caller shows anyway: google-auth's "Could not
 * load the default credentials" runs on with a URL to its documentation.
 */
function conciseReason(error: unknown, path: string): string {
  const message = errorMessage(error);
  const first = (message.split('\n')[0] ?? message).replace(/\. Browse to .*$/, '').trim();
  return first.startsWith(`${path}: `) ? first.slice(path.length + 2) : first;
}
