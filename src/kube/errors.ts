import { OperatorError } from '../errors.js';

/** A failed call to the Kubernetes API, with the HTTP status and the Status reason. */
export class KubeApiError extends OperatorError {
  override name = 'KubeApiError';

  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
    readonly retryAfterSeconds?: number,
    options: { cause?: unknown } = {},
  ) {
    super('kubernetes', message, options);
  }
}

export const isNotFound = (error: unknown): boolean => error instanceof KubeApiError && error.status === 404;
export const isConflict = (error: unknown): boolean => error instanceof KubeApiError && error.status === 409;
export const isForbidden = (error: unknown): boolean => error instanceof KubeApiError && error.status === 403;
/** The resourceVersion is too old: a watch (or list) has to start over from a fresh list. */
export const isGone = (error: unknown): boolean =>
  error instanceof KubeApiError && (error.status === 410 || error.reason === 'Expired' || error.reason === 'Gone');

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
