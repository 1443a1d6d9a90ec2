import type { OperatorError } from '../errors.js';
import type { CacheChange } from './caches.js';
import type { Logger } from '../observability/logger.js';

/**
 * What a reconcile asks of the engine. Few and explicit, like controller-runtime's Result:
 * done (wait for the next event), requeue after a delay, or an error the engine retries with
 * per-key backoff — unless it is terminal, which is only retried when the object changes.
 */
export type ReconcileResult =
  | { readonly kind: 'done' }
  | { readonly kind: 'requeue'; readonly afterMs: number }
  /** `retryAfterMs`: when the reconciler keeps its own retry schedule (the Gaim's ledger in status). */
  | { readonly kind: 'error'; readonly error: OperatorError; readonly retryAfterMs?: number };

export const done = (): ReconcileResult => ({ kind: 'done' });
export const requeueAfter = (afterMs: number): ReconcileResult => ({ kind: 'requeue', afterMs });

export interface Reconciler {
  /** Converges one object, named by `namespace/name`. Must be idempotent and level-based. */
  reconcile(key: string, context: ReconcileContext): Promise<ReconcileResult>;
  /**
   * Told of each update of a primary object the cache shows. Status-only updates are dropped (they
   * are mostly the operator's own writes coming back); true wakes the key anyway: a reconcile of it
   * was put off until the cache showed this version.
   */
  observedUpdate?(key: string, resourceVersion: string | undefined): boolean;
  /** Keys to wake for a change of a cached object, beyond the controller's keysFor: what this reconciler put in line for it. */
  wakeFor?(change: CacheChange): readonly string[];
}

export interface ReconcileContext {
  /**
   * Owns every awaited call of the reconcile: aborted when the reconcile runs out of time
   * (GAIM_RECONCILE_TIMEOUT_SECONDS), when the operator shuts down, or when it loses leadership.
   */
  readonly signal: AbortSignal;
  /**
   * Aborted only on shutdown or lost leadership. Reporting the outcome of a reconcile that ran out
   * of time still needs the API; reporting after leadership was lost must not happen.
   */
  readonly stop: AbortSignal;
  /** Retries of this key since its last success (0 on the first attempt). */
  readonly attempt: number;
  /** Carries gaim, namespace and a reconcile id on every line. */
  readonly log: Logger;
}
