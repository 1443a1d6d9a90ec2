import { describe, expect, it } from 'vitest';
import { OperatorError } from '../../errors.js';
import { joinedErrors, settled, soonest, type StepResult } from './step.js';

type Rotation = StepResult & { readonly handled?: string };

const signal = new AbortController().signal;

describe('reconcile steps', () => {
  it('settles a step that throws into its one error, with what it achieved when it failed', async () => {
    const ok = await settled<Rotation>(() => Promise.resolve({ handled: 'r1', recheckAfterMs: 5 }), {}, 'kubernetes', signal);
    expect(ok).toEqual({ handled: 'r1', recheckAfterMs: 5 });

    const failed = await settled<Rotation>(() => Promise.reject(new Error('connection reset')), {}, 'redis', signal);
    expect(failed.handled).toBeUndefined();
    expect(failed.errors).toHaveLength(1);
    expect(failed.errors).toMatchObject([{ errorType: 'redis', message: 'connection reset' }]);

    const typed = await settled<StepResult>(() => Promise.reject(new OperatorError('validation', 'bad', { reason: 'InvalidSpec' })), {}, 'redis', signal);
    expect(typed.errors).toMatchObject([{ errorType: 'validation', reason: 'InvalidSpec' }]);
  });

  it('calls a deadline a timeout, whatever the step said', async () => {
    const expired = AbortSignal.abort(new DOMException('deadline', 'TimeoutError'));
    const failed = await settled<StepResult>(() => Promise.reject(new Error('aborted')), {}, 'mongodb', expired);
    expect(failed.errors).toMatchObject([{ errorType: 'timeout' }]);
  });

  it('looks again at the soonest recheck any step asked for, or never', () => {
    expect(soonest([{}, { recheckAfterMs: 5000 }, { recheckAfterMs: 2000 }, { errors: [] }])).toBe(2000);
    expect(soonest([{}, { errors: [] }])).toBeUndefined();
    expect(soonest([])).toBeUndefined();
  });

  it('reports every step\'s errors as one, typed and reasoned by the first, in step order', () => {
    const seed = new OperatorError('redis', 'cannot seed redis: refused', { reason: 'RedisSeedFailed' });
    const rotate = new OperatorError('kubernetes', 'cannot update secret s: conflict', { reason: 'SecretFailed' });
    const joined = joinedErrors([{ recheckAfterMs: 1 }, { errors: [seed] }, { errors: [] }, { errors: [rotate] }]);
    expect(joined).toMatchObject({ errorType: 'redis', reason: 'RedisSeedFailed', message: 'cannot seed redis: refused; cannot update secret s: conflict' });
    expect(joined?.cause).toBe(seed);
    expect(joinedErrors([{}, { errors: [] }])).toBeUndefined();
  });
});
