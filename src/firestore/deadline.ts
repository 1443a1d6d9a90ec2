import { FirestoreUnavailableError } from './errors.js';

/** How long any Firestore call may take before the operator stops waiting for it. */
export const FIRESTORE_DEADLINE_MS = 5_000;

/**
 * Settles with `promise`, or rejects when it has not settled within `ms` (Firestore unavailable) or
 * when `signal` aborts (the reconcile's deadline or a shutdown). The Firestore client retries an
 * unreachable server for a long time on its own; a reconcile must not wait that long. The call
 * itself may finish in the background. `ms` of Infinity waits for the signal only.
 */
export function withDeadline<T>(promise: Promise<T>, what: string, signal?: AbortSignal, ms = FIRESTORE_DEADLINE_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const deadline = new Promise<never>((_, reject) => {
    if (Number.isFinite(ms)) timer = setTimeout(() => { reject(new FirestoreUnavailableError(`${what}: no answer within ${ms / 1000}s`)); }, ms);
    if (signal !== undefined) {
      onAbort = () => { reject(signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason))); };
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
    }
  });
  return Promise.race([promise, deadline]).finally(() => {
    clearTimeout(timer);
    if (onAbort !== undefined) signal?.removeEventListener('abort', onAbort);
  });
}
