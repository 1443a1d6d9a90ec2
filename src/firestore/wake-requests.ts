// The platform asks a Gaim hibernated by mode Auto to wake by setting `wake_requested_at` (a
// timestamp) on its document gaims/{gaimId}. One range query finds every request later than the
// oldest sleep: its cost is the documents it returns (one read each, at least one per query), not the
// number of sleeping Gaims. A range filter on one field needs no composite index: Firestore keeps a
// single-field index of every field by default ("Index types in Cloud Firestore",
// firebase.google.com/docs/firestore/query-data/index-overview).
import { Timestamp, type Firestore } from '@google-cloud/firestore';
import { withDeadline } from './deadline.js';
import { classifyFirestoreError } from './errors.js';

export const WAKE_REQUESTED_AT = 'wake_requested_at';
/** At most this many requests per query: more at once would wait for those before them to wake. */
const LIMIT = 1000;

export async function readWakeRequests(firestore: Firestore, after: Date, signal: AbortSignal): Promise<ReadonlyMap<string, Date>> {
  const what = `read ${WAKE_REQUESTED_AT} of gaims`;
  try {
    const query = firestore.collection('gaims').where(WAKE_REQUESTED_AT, '>', Timestamp.fromDate(after)).orderBy(WAKE_REQUESTED_AT).limit(LIMIT).select(WAKE_REQUESTED_AT);
    const snapshot = await withDeadline(query.get(), what, signal);
    const requests = new Map<string, Date>();
    for (const doc of snapshot.docs) {
      const at: unknown = doc.get(WAKE_REQUESTED_AT);
      if (at instanceof Timestamp) requests.set(doc.id, at.toDate());
    }
    return requests;
  } catch (error: unknown) {
    throw classifyFirestoreError(error, `cannot ${what}`, signal);
  }
}
