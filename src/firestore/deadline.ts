/**
 * Rejects when `promise` has not settled within `ms`. The Firestore client retries an unreachable
 * server for a long time on its own; a reconcile must not wait that long, so every Firestore call
 * the operator makes has this deadline (the call itself may finish in the background).
 */
export function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => { reject(new Error(`${what}: no answer within ${ms / 1000}s`)); }, ms);
  });
  return Promise.race([promise, deadline]).finally(() => { clearTimeout(timer); });
}

export const FIRESTORE_DEADLINE_MS = 5_000;
