import { describe, expect, it } from 'vitest';
import { SEED_RECHECK_MS, seedRecheckMs } from './seed.js';
import { SLOT_RECHECK_MS } from './seed-slots.js';

describe('seedRecheckMs', () => {
  it('looks again soon at a Pending claim or a seed Job that Kubernetes says something about', () => {
    expect(seedRecheckMs(true, { details: [], queued: false })).toBe(SEED_RECHECK_MS);
    expect(seedRecheckMs(false, { details: ['job g-seed: FailedCreate: forbidden'], queued: false })).toBe(SEED_RECHECK_MS);
  });

  it('looks again seldom at a Gaim waiting in line for a seed slot, though its claim is Pending: the slot wakes it', () => {
    // Its claim waits for its first consumer, the Job not created yet; polling it every 15 s kept the workers busy.
    expect(seedRecheckMs(true, { details: ['waiting for a seed slot (16 of GAIM_MAX_CONCURRENT_SEEDS=16 seed Jobs running)'], queued: true }))
      .toBe(SLOT_RECHECK_MS);
    expect(SLOT_RECHECK_MS).toBeGreaterThan(SEED_RECHECK_MS);
  });

  it('does not look again for seeding once nothing waits', () => {
    expect(seedRecheckMs(false, { details: [], queued: false })).toBe(Infinity);
  });
});
