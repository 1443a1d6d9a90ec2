import { describe, expect, it } from 'vitest';
import { nextSlot, previousSlot, scheduleProblem, schedulePeriodMs } from './cron.js';

describe('cron schedules', () => {
  it.each([['0 3 * * *'], ['*/15 * * * *'], ['@daily'], ['@hourly'], ['30 2 * * 1-5']])('takes %s', (expression) => {
    expect(scheduleProblem(expression)).toBeUndefined();
  });

  it.each([['0 3 * *', 'five fields'], ['0 0 3 * * *', 'five fields'], ['61 * * * *', ''], ['* * * * mon-xyz', ''], ['@fortnightly', 'five fields']])('refuses %s', (expression, why) => {
    const problem = scheduleProblem(expression);
    expect(problem).toBeDefined();
    expect(problem).toContain(why);
  });

  it('finds the slot at or before now, and the one after, in UTC', () => {
    const now = new Date('2026-12-01T03:00:00Z');
    expect(previousSlot('0 3 * * *', now)?.toISOString()).toBe('2026-12-01T03:00:00.000Z');
    expect(previousSlot('0 3 * * *', new Date('2026-12-01T02:59:59Z'))?.toISOString()).toBe('2026-11-30T03:00:00.000Z');
    expect(nextSlot('0 3 * * *', now)?.toISOString()).toBe('2026-12-02T03:00:00.000Z');
    expect(schedulePeriodMs('*/15 * * * *', now)).toBe(15 * 60_000);
    expect(schedulePeriodMs('@daily', now)).toBe(86_400_000);
  });
});
