import { afterEach, describe, expect, it, vi } from 'vitest';
import { StatusExpectations } from './expectations.js';

describe('StatusExpectations', () => {
  afterEach(() => { vi.useRealTimers(); });

  it('trusts the cache when nothing was written, and once it holds the version the write made', () => {
    const expectations = new StatusExpectations();
    expect(expectations.satisfied('ns/a', '10')).toBe(true);
    expectations.expect('ns/a', '12', '10');
    expect(expectations.satisfied('ns/a', '10')).toBe(false); // the cache lags the write
    expect(expectations.satisfied('ns/b', '10')).toBe(true); // per key
    expect(expectations.satisfied('ns/a', '12')).toBe(true);
    expect(expectations.satisfied('ns/a', '10')).toBe(true); // fulfilled once, then forgotten
  });

  it('waits past a version between the read and the write: the finalizer added before the status was written', () => {
    // Read at 10, the finalizer applied (11), then the status written (12): 11 has no status yet.
    const expectations = new StatusExpectations();
    expectations.expect('ns/a', '12', '10');
    expect(expectations.observed('ns/a', '11')).toBe(false);
    expect(expectations.satisfied('ns/a', '11')).toBe(false);
  });

  it('wakes the Gaim when the version it was put off for arrives, and only then', () => {
    const expectations = new StatusExpectations();
    expectations.expect('ns/a', '12', '10');
    expect(expectations.observed('ns/a', '12')).toBe(false); // nobody was waiting: no extra reconcile
    expect(expectations.satisfied('ns/a', '10')).toBe(true); // and the cache is known to have passed it
    expectations.expect('ns/a', '14', '12');
    expect(expectations.satisfied('ns/a', '12')).toBe(false);
    expect(expectations.observed('ns/a', '13')).toBe(false);
    expect(expectations.observed('ns/a', '14')).toBe(true);
    expect(expectations.satisfied('ns/a', '14')).toBe(true);
  });

  it('expects nothing of a write that made no new version', () => {
    const expectations = new StatusExpectations();
    expectations.expect('ns/a', '10', '10');
    expect(expectations.satisfied('ns/a', '10')).toBe(true);
  });

  it('stops waiting after a while: a cache that relisted past the write must not block the Gaim', () => {
    vi.useFakeTimers();
    const expectations = new StatusExpectations();
    expectations.expect('ns/a', '12', '10');
    vi.advanceTimersByTime(9_000);
    expect(expectations.satisfied('ns/a', '10')).toBe(false);
    vi.advanceTimersByTime(2_000);
    expect(expectations.satisfied('ns/a', '10')).toBe(true);
  });
});
