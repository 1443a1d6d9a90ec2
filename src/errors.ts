import type { ErrorType } from './api/v1alpha1/gaim.js';

/** Error types that retrying cannot fix: the spec (or another object) has to change first. */
const TERMINAL: ReadonlySet<ErrorType> = new Set(['validation', 'conflict']);

/**
 * Every failure the operator reports carries the category written to status.errorType and
 * Firestore's error_type, and whether retrying can help.
 */
export class OperatorError extends Error {
  override name = 'OperatorError';
  readonly terminal: boolean;

  constructor(
    readonly errorType: ErrorType,
    message: string,
    options: { cause?: unknown; terminal?: boolean } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.terminal = options.terminal ?? TERMINAL.has(errorType);
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
