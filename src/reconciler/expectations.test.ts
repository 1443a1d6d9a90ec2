import { afterEach, describe, expect, it, vi } from 'vitest';
import { LedgerExpectations } from './expectations.js';

describe('LedgerExpectations', () => {
  afterEach(() => { vi.useRealTimers(); });
  const failed = { retryCount: 2, lastRetryAt: '2026-01-01T00:00:00.000Z', nextRetryAt: '2026-01-01T00:00:04.000Z' };

  it('trusts the cache when nothing was written, and once it shows the write', () => {
    const expectations = new LedgerExpectations();
    expect(expectations.satisfied('ns/a', { retryCount: 1 })).toBe(true);
    expectations.expect('ns/a', failed);
    expect(expectations.satisfied('ns/a', { retryCount: 1 })).toBe(false); // the cache lags the write
    expect(expectations.satisfied('ns/b', { retryCount: 1 })).toBe(true); // per key
    expect(expectations.satisfied('ns/a', { ...failed })).toBe(true);
    expect(expectations.satisfied('ns/a', { retryCount: 1 })).toBe(true); // fulfilled once, then forgotten
  });

  it('stops waiting after a while: a write someone else overwrote must not block the Gaim', () => {
    vi.useFakeTimers();
    const expectations = new LedgerExpectations();
    expectations.expect('ns/a', failed);
    vi.advanceTimersByTime(9_000);
    expect(expectations.satisfied('ns/a', { retryCount: 0 })).toBe(false);
    vi.advanceTimersByTime(2_000);
    expect(expectations.satisfied('ns/a', { retryCount: 0 })).toBe(true);
  });
});
