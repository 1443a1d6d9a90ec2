import { abortedByDeadline, errorMessage, OperatorError, wrap } from '../errors.js';

/**
 * The gRPC status codes (grpc/status.proto; the SDK's GrpcStatus has the same numbers), written out
 * so that this module, which every reconcile imports, does not load the SDK: it is loaded only when
 * Firestore is first called (client.ts).
 */
const GrpcStatus = { CANCELLED: 1, UNKNOWN: 2, DEADLINE_EXCEEDED: 4, NOT_FOUND: 5, ALREADY_EXISTS: 6, RESOURCE_EXHAUSTED: 8, FAILED_PRECONDITION: 9, UNAVAILABLE: 14 } as const;

/**
 * gRPC codes that mean "Firestore could not be reached or did not answer", not "Firestore refused":
 * an outage, which must never fail a Gaim or stall Kubernetes-side convergence.
 */
const UNAVAILABLE_CODES: ReadonlySet<number> = new Set([
  GrpcStatus.UNAVAILABLE, GrpcStatus.DEADLINE_EXCEEDED, GrpcStatus.CANCELLED, GrpcStatus.RESOURCE_EXHAUSTED, GrpcStatus.UNKNOWN,
]);

/** Firestore is unreachable or did not answer in time: wait and try again, without failing the Gaim. */
export class FirestoreUnavailableError extends OperatorError {
  override name = 'FirestoreUnavailableError';

  constructor(message: string, options: { cause?: unknown } = {}) {
    super('firestore', message, { ...options, reason: 'FirestoreUnavailable' });
  }
}

/** The gRPC status code of a Firestore error, if it carries one. */
export function grpcCode(error: unknown): number | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

export const isAlreadyExists = (error: unknown): boolean => grpcCode(error) === GrpcStatus.ALREADY_EXISTS;

/**
 * A conditional write found the document not as it was read: updated since (FAILED_PRECONDITION),
 * deleted (NOT_FOUND), or created meanwhile (ALREADY_EXISTS).
 */
export const isPreconditionFailure = (error: unknown): boolean => {
  const code = grpcCode(error);
  return code === GrpcStatus.FAILED_PRECONDITION || code === GrpcStatus.NOT_FOUND || code === GrpcStatus.ALREADY_EXISTS;
};

/**
 * What a failed Firestore call means for the operator: an OperatorError as it is (a conflict found
 * inside a transaction), unavailability (a code above, or no gRPC code at all: a connection that
 * never came up), or a refusal (`firestore`, with the message Firestore gave). `what` is the
 * "cannot …" message of the call.
 */
export function classifyFirestoreError(error: unknown, what: string, signal?: AbortSignal): OperatorError {
  if (error instanceof OperatorError) return error;
  if (signal !== undefined && abortedByDeadline(signal)) {
    return wrap(error, what, { type: 'timeout' });
  }
  const code = grpcCode(error);
  if (code === undefined || UNAVAILABLE_CODES.has(code)) return new FirestoreUnavailableError(`${what}: ${errorMessage(error)}`, { cause: error });
  return wrap(error, what, { type: 'firestore' });
}
