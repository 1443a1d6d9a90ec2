import { describe, expect, it } from 'vitest';
import { afterFailure, afterSuccess, holdOff } from './retry-ledger.js';

const policy = { baseMs: 1000, capMs: 8000, jitter: 0.5 };
const now = new Date('2026-01-01T00:00:00Z');

describe('retry ledger', () => {
  it('counts failures and schedules each retry with growing, capped, jittered gaps', () => {
    let ledger = afterSuccess();
    const gaps: number[] = [];
    for (let i = 0; i < 6; i++) {
      const next = afterFailure(ledger, false, now, policy, () => 0.5);
      ledger = next.ledger;
      gaps.push(next.delayMs ?? -1);
      expect(Date.parse(ledger.nextRetryAt ?? '') - now.getTime()).toBe(next.delayMs);
    }
    expect(ledger.retryCount).toBe(6);
    expect(gaps).toEqual([750, 1500, 3000, 6000, 6000, 6000]);
    expect(ledger.lastRetryAt).toBe('2026-01-01T00:00:00.000Z');
  });

  it('does not count or schedule a terminal failure', () => {
    const before = { retryCount: 2, lastRetryAt: '2025-12-31T23:59:00Z', nextRetryAt: '2026-01-01T00:01:00Z' };
    expect(afterFailure(before, true, now, policy)).toEqual({ ledger: { retryCount: 2, lastRetryAt: '2025-12-31T23:59:00Z' }, delayMs: undefined });
  });

  it('resets on success', () => {
    expect(afterSuccess()).toEqual({ retryCount: 0 });
  });

  it('holds off until nextRetryAt unless the spec changed or a retry was asked for', () => {
    const ledger = { retryCount: 1, nextRetryAt: '2026-01-01T00:00:30Z' };
    expect(holdOff(ledger, false, false, now)).toBe(30_000);
    expect(holdOff(ledger, true, false, now)).toBeUndefined();
    expect(holdOff(ledger, false, true, now)).toBeUndefined();
    expect(holdOff(ledger, false, false, new Date('2026-01-01T00:01:00Z'))).toBeUndefined();
    expect(holdOff({ retryCount: 0 }, false, false, now)).toBeUndefined();
  });
});
