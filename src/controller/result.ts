import type { Logger } from 'pino';
import type { ErrorType } from '../api/v1alpha1/gaim.js';
import { OperatorError } from '../errors.js';

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
export const failed = (error: OperatorError): ReconcileResult => ({ kind: 'error', error });

/** Wraps anything thrown into an OperatorError; unknown throws are retryable `kubernetes` errors. */
export function asOperatorError(error: unknown, fallback: ErrorType = 'kubernetes'): OperatorError {
  if (error instanceof OperatorError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new OperatorError(fallback, message, { cause: error });
}

export interface Reconciler {
  /** Converges one object, named by `namespace/name`. Must be idempotent and level-based. */
  reconcile(key: string, context: ReconcileContext): Promise<ReconcileResult>;
}

export interface ReconcileContext {
  /** Aborted when the operator shuts down or loses leadership. */
  readonly signal: AbortSignal;
  /** Retries of this key since its last success (0 on the first attempt). */
  readonly attempt: number;
  /** Carries gaim, namespace and a reconcile id on every line. */
  readonly log: Logger;
}
