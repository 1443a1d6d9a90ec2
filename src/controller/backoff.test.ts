import { describe, expect, it } from 'vitest';
import { backoffDelay } from './backoff.js';

describe('backoffDelay', () => {
  const policy = { baseMs: 1000, capMs: 60_000, jitter: 0.2 };

  it('doubles from the base with no jitter drawn', () => {
    expect([1, 2, 3, 4, 5].map((n) => backoffDelay(policy, n, () => 0))).toEqual([1000, 2000, 4000, 8000, 16_000]);
  });

  it('never exceeds the cap, even for huge attempt counts', () => {
    expect(backoffDelay(policy, 7, () => 0)).toBe(60_000);
    expect(backoffDelay(policy, 10_000, () => 0)).toBe(60_000);
  });

  it('keeps jittered delays within [d * (1 - jitter), d]', () => {
    for (let attempt = 1; attempt <= 8; attempt++) {
      const full = backoffDelay(policy, attempt, () => 0);
      for (let i = 0; i < 50; i++) {
        const delay = backoffDelay(policy, attempt);
        expect(delay).toBeGreaterThanOrEqual(Math.floor(full * 0.8));
        expect(delay).toBeLessThanOrEqual(full);
      }
    }
    expect(backoffDelay(policy, 3, () => 1)).toBe(3200);
  });

  it('spreads delays when jitter is on', () => {
    const delays = new Set(Array.from({ length: 20 }, () => backoffDelay(policy, 4)));
    expect(delays.size).toBeGreaterThan(5);
  });
});
