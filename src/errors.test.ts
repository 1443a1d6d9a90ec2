import { describe, expect, it } from 'vitest';
import { asOperatorError, ERROR_TYPES, ErrorReason, OperatorError, wrap } from './errors.js';
import { Reason } from './status/reasons.js';

describe('errors', () => {
  it('gives every error type a reason that is one of the status reasons', () => {
    for (const type of ERROR_TYPES) {
      expect(Object.values(Reason), type).toContain(ErrorReason[type]);
      expect(new OperatorError(type, 'x').reason).toBe(ErrorReason[type]);
    }
  });

  it('wraps a cause as "<doing>: <cause>" with its category and reason, the cause kept', () => {
    const cause = new Error('connection refused');
    const wrapped = wrap(cause, 'cannot apply statefulset marvin-redis', { reason: 'ApplyFailed' });
    expect(wrapped).toMatchObject({ errorType: 'kubernetes', reason: 'ApplyFailed', terminal: false, message: 'cannot apply statefulset marvin-redis: connection refused' });
    expect(wrapped.cause).toBe(cause);
    expect(wrap('gone', 'cannot read secret s', { type: 'validation' })).toMatchObject({ errorType: 'validation', reason: 'InvalidSpec', terminal: true, message: 'cannot read secret s: gone' });
    expect(wrap(cause, 'x', { type: 'storage', terminal: true }).terminal).toBe(true);
  });

  it('keeps a specific reason, and makes validation and conflict terminal', () => {
    expect(new OperatorError('conflict', 'x', { reason: 'NamespaceConflict' })).toMatchObject({ reason: 'NamespaceConflict', terminal: true });
    expect(new OperatorError('validation', 'x').terminal).toBe(true);
    expect(new OperatorError('redis', 'x').terminal).toBe(false);
  });

  it('classifies anything thrown once the reconcile ran out of time as a timeout', async () => {
    const deadline = AbortSignal.timeout(1);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(asOperatorError(new OperatorError('mongodb', 'closed'), 'mongodb', deadline)).toMatchObject({ errorType: 'timeout', reason: 'Timeout' });
    expect(asOperatorError(new Error('socket closed'), 'redis', deadline).errorType).toBe('timeout');
  });

  it('does not call a shutdown a timeout', () => {
    const stop = new AbortController();
    stop.abort(new Error('leadership lost'));
    expect(asOperatorError(new Error('aborted'), 'redis', stop.signal).errorType).toBe('redis');
    expect(asOperatorError('a string', 'kubernetes').message).toBe('a string');
  });
});
