import { OperatorError } from '../errors.js';

/**
 * A failed call to the Kubernetes API, with the HTTP status and the API's Status reason (NotFound,
 * Expired, …). A request that ran out of time is a `timeout`; everything else is `kubernetes`.
 */
export class KubeApiError extends OperatorError {
  override name = 'KubeApiError';

  constructor(
    readonly status: number,
    readonly statusReason: string,
    message: string,
    readonly retryAfterSeconds?: number,
    options: { cause?: unknown; timedOut?: boolean } = {},
  ) {
    super(options.timedOut === true ? 'timeout' : 'kubernetes', message, options.cause === undefined ? {} : { cause: options.cause });
  }
}

export const isNotFound = (error: unknown): boolean => error instanceof KubeApiError && error.status === 404;
export const isConflict = (error: unknown): boolean => error instanceof KubeApiError && error.status === 409;
/** The resourceVersion is too old: a watch (or list) has to start over from a fresh list. */
export const isGone = (error: unknown): boolean =>
  error instanceof KubeApiError && (error.status === 410 || error.statusReason === 'Expired' || error.statusReason === 'Gone');

/** The message of a Kubernetes `Status` body, or the HTTP status text. */
export function statusMessage(body: unknown, fallback: string): { message: string; reason: string } {
  if (typeof body === 'object' && body !== null) {
    const status = body as { message?: unknown; reason?: unknown };
    return {
      message: typeof status.message === 'string' ? status.message : fallback,
      reason: typeof status.reason === 'string' ? status.reason : '',
    };
  }
  return { message: fallback, reason: '' };
}
