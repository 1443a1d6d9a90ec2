import { describe, expect, it } from 'vitest';
import { cacheOf } from '../../testing/cache-fake.js';
import type { CacheChange } from '../../controller/caches.js';
import type { KubeObject } from '../../kube/objects.js';
import { Resources } from '../../kube/resources.js';
import { SEED_HASH_LABEL } from '../../resources/seed-job.js';
import { LINE_EXPIRY_MS, SLOT_RECHECK_MS, SeedSlots } from './seed-slots.js';

type Job = KubeObject & { status?: { conditions?: { type: string; status: string }[] } };
const job = (name: string, ended?: 'Complete' | 'Failed', seed = true): Job => ({
  metadata: { name, namespace: 'ns', labels: seed ? { [SEED_HASH_LABEL]: 'h' } : {} },
  status: ended === undefined ? {} : { conditions: [{ type: ended, status: 'True' }] },
});
const cache = (items: Job[]) => cacheOf(items);
const ended = (object: Job, old: Job): CacheChange => ({ event: 'update', resource: Resources.job, object, old });

describe('SeedSlots', () => {
  it('counts unfinished seed Jobs from the cache, not finished ones or other Jobs', () => {
    const { caches } = cache([job('a'), job('b', 'Complete'), job('c', 'Failed'), job('maintain', undefined, false)]);
    expect(new SeedSlots(4, caches).inFlight()).toBe(1);
  });

  it('refuses a slot when max run, counting those it granted that the cache does not show yet', () => {
    const { caches, byKey } = cache([job('a')]);
    const slots = new SeedSlots(2, caches);
    expect(slots.tryAcquire('ns/g1', 'ns/g1-seed')).toEqual({ granted: true, inFlight: 1 });
    expect(slots.tryAcquire('ns/g2', 'ns/g2-seed')).toEqual({ granted: false, inFlight: 2 }); // g1's Job is not cached yet
    byKey.set('ns/g1-seed', job('g1-seed'));
    expect(slots.inFlight()).toBe(2); // counted once, from the cache now
    slots.release('ns/never-created');
    expect(slots.waiting()).toEqual(['ns/g2']);
  });

  it('frees the slot of a Job that could not be created', () => {
    const { caches } = cache([]);
    const slots = new SeedSlots(1, caches);
    expect(slots.tryAcquire('ns/g1', 'ns/g1-seed').granted).toBe(true);
    slots.release('ns/g1-seed');
    expect(slots.tryAcquire('ns/g2', 'ns/g2-seed').granted).toBe(true);
  });

  it('serves the line first come first served: a Gaim that did not wait cannot take the slot of one that did', () => {
    const { caches, byKey } = cache([job('a'), job('b')]);
    const slots = new SeedSlots(2, caches);
    expect(slots.tryAcquire('ns/first', 'ns/first-seed').granted).toBe(false);
    expect(slots.tryAcquire('ns/second', 'ns/second-seed').granted).toBe(false);
    const a = byKey.get('ns/a') ?? job('a');
    byKey.set('ns/a', job('a', 'Complete'));
    expect(slots.wakeFor(ended(job('a', 'Complete'), a))).toEqual(['ns/first']); // one slot free: the first in line
    expect(slots.tryAcquire('ns/late', 'ns/late-seed').granted).toBe(false);
    expect(slots.tryAcquire('ns/first', 'ns/first-seed').granted).toBe(true);
    expect(slots.waiting()).toEqual(['ns/second', 'ns/late']);
  });

  it('wakes the line only when a seed Job ends or goes unfinished, not for its other updates', () => {
    const { caches, byKey } = cache([job('a')]);
    const slots = new SeedSlots(1, caches);
    slots.tryAcquire('ns/g', 'ns/g-seed');
    expect(slots.wakeFor(ended(job('a'), job('a')))).toEqual([]); // still running
    byKey.delete('ns/a');
    expect(slots.wakeFor({ event: 'delete', resource: Resources.job, object: job('a') })).toEqual(['ns/g']);
    expect(slots.wakeFor({ event: 'delete', resource: Resources.job, object: job('old', 'Complete') })).toEqual([]); // its slot was free already
    expect(slots.wakeFor(ended(job('m', 'Complete', false), job('m', undefined, false)))).toEqual([]); // not a seed Job
    slots.forget('ns/g');
    expect(slots.waiting()).toEqual([]);
  });

  it('keeps a waiting Gaim in line, ahead of those that came later, for as long as it asks again every recheck', () => {
    const { caches, byKey } = cache([job('a')]);
    let now = 0;
    const slots = new SeedSlots(1, caches, () => now);
    expect(slots.tryAcquire('ns/patient', 'ns/patient-seed').granted).toBe(false);
    // Ten rechecks, far longer than the line's expiry; a newcomer joins behind it halfway.
    for (let recheck = 1; recheck <= 10; recheck++) {
      now = recheck * SLOT_RECHECK_MS;
      expect(slots.tryAcquire('ns/patient', 'ns/patient-seed').granted).toBe(false);
      if (recheck >= 5) expect(slots.tryAcquire('ns/newcomer', 'ns/newcomer-seed').granted).toBe(false);
    }
    expect(now).toBeGreaterThan(2 * LINE_EXPIRY_MS);
    expect(slots.waiting()).toEqual(['ns/patient', 'ns/newcomer']);
    const a = byKey.get('ns/a') ?? job('a');
    byKey.set('ns/a', job('a', 'Complete'));
    expect(slots.wakeFor(ended(job('a', 'Complete'), a))).toEqual(['ns/patient']);
    expect(slots.tryAcquire('ns/newcomer', 'ns/newcomer-seed').granted).toBe(false);
    expect(slots.tryAcquire('ns/patient', 'ns/patient-seed').granted).toBe(true);
  });

  it('drops from the line a Gaim that stopped asking, so it cannot hold the slot of those behind it', () => {
    const { caches, byKey } = cache([job('a')]);
    let now = 0;
    const slots = new SeedSlots(1, caches, () => now);
    expect(slots.tryAcquire('ns/suspended', 'ns/suspended-seed').granted).toBe(false);
    now = LINE_EXPIRY_MS / 2;
    expect(slots.tryAcquire('ns/next', 'ns/next-seed').granted).toBe(false);
    byKey.set('ns/a', job('a', 'Complete'));
    now = LINE_EXPIRY_MS + 1; // 'suspended' has not asked again since it joined; 'next' asked within the window
    expect(slots.wakeFor(ended(job('a', 'Complete'), job('a')))).toEqual(['ns/next']);
    expect(slots.tryAcquire('ns/next', 'ns/next-seed').granted).toBe(true);
    expect(slots.waiting()).toEqual([]);
  });
});
