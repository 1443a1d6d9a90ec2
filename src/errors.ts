// The operator's failures as typed values: every error it reports carries the category written to
// status.errorType and Firestore's error_type, the condition reason that names it, and whether
// retrying can help. This module is the bottom layer: it imports nothing of the operator's.

/** What failed, as written to status.errorType and Firestore's error_type. */
export const ERROR_TYPES = ['validation', 'conflict', 'kubernetes', 'mongodb', 'redis', 'storage', 'firestore', 'timeout'] as const;
export type ErrorType = (typeof ERROR_TYPES)[number];

/** Error types that retrying cannot fix: the spec (or another object) has to change first. */
const TERMINAL: ReadonlySet<ErrorType> = new Set(['validation', 'conflict']);

/**
 * The condition reason of each error type when the failure has no more specific one. Specific
 * reasons (NamespaceConflict, ApplyFailed, SharePermissionDenied, …) are passed where the error is made.
 */
export const ErrorReason: Readonly<Record<ErrorType, string>> = {
  validation: 'InvalidSpec',
  conflict: 'Conflict',
  kubernetes: 'KubernetesError',
  mongodb: 'MongoDBSeedFailed',
  redis: 'RedisSeedFailed',
  storage: 'StorageFailed',
  firestore: 'FirestoreFailed',
  timeout: 'Timeout',
};

export interface OperatorErrorOptions {
  readonly cause?: unknown;
  readonly terminal?: boolean;
  /** PascalCase condition reason; defaults to the error type's. */
  readonly reason?: string;
}

export class OperatorError extends Error {
  override name = 'OperatorError';
  readonly terminal: boolean;
  readonly reason: string;

  constructor(readonly errorType: ErrorType, message: string, options: OperatorErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.terminal = options.terminal ?? TERMINAL.has(errorType);
    this.reason = options.reason ?? ErrorReason[errorType];
  }
}

/** One problem with one field, named by its path (`spec.environments[1]`). */
export interface FieldIssue {
  readonly path: string;
  readonly message: string;
}

/** The Gaim is invalid; terminal until its spec changes. */
export class ValidationError extends OperatorError {
  override name = 'ValidationError';

  constructor(readonly issues: readonly FieldIssue[]) {
    super('validation', issues.map((i) => (i.path === '' ? i.message : `${i.path}: ${i.message}`)).join('; '));
  }
}

/** How a wrapped failure is reported: its category (default `kubernetes`) and its condition reason. */
export interface WrapOptions {
  readonly type?: ErrorType;
  readonly reason?: string;
  readonly terminal?: boolean;
}

/**
 * The operator's one way to say what failed: `<doing>: <cause>` as an OperatorError with a category
 * and a reason, the cause kept — Crossplane's `errors.Wrap(err, errObserve)`. `doing` is a Message
 * ("cannot apply statefulset marvin-redis"); report() turns the error into the condition, the event
 * and Firestore's error_type in one place.
 */
export function wrap(cause: unknown, doing: string, options: WrapOptions = {}): OperatorError {
  return new OperatorError(options.type ?? 'kubernetes', `${doing}: ${errorMessage(cause)}`, {
    cause, ...(options.reason === undefined ? {} : { reason: options.reason }), ...(options.terminal === undefined ? {} : { terminal: options.terminal }),
  });
}

/** The message of anything thrown: an Error's message, or the value as text. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** True when `error` is an abort or timeout raised by an AbortSignal. */
export function isAbort(error: unknown): boolean {
  return error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError');
}

/** True when the signal was aborted by its own deadline (AbortSignal.timeout), not by a shutdown. */
export function abortedByDeadline(signal: AbortSignal): boolean {
  return signal.aborted && signal.reason instanceof Error && signal.reason.name === 'TimeoutError';
}

/**
 * Wraps anything thrown into an OperatorError. An unknown throw is a retryable error of type
 * `fallback`, unless `signal` ran out of time: then it is a `timeout`, whatever the call said.
 */
export function asOperatorError(error: unknown, fallback: ErrorType = 'kubernetes', signal?: AbortSignal): OperatorError {
  if (signal !== undefined && abortedByDeadline(signal) && !(error instanceof OperatorError && error.errorType === 'timeout')) {
    return new OperatorError('timeout', `${errorMessage(error)} (the reconcile ran out of time)`, { cause: error });
  }
  if (error instanceof OperatorError) return error;
  return new OperatorError(fallback, errorMessage(error), { cause: error });
}
