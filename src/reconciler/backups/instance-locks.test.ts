import { describe, expect, it } from 'vitest';
import { cachesOf } from '../../testing/caches-fake.js';
import type { KubeObject } from '../../kube/objects.js';
import { Resources } from '../../kube/resources.js';
import { FILESTORE_INSTANCE_LABEL, instanceLabelValue } from '../../resources/backup.js';
import { InstanceLocks, queuedBehind } from './instance-locks.js';

const INSTANCE = 'modeMultishare/ms/project/us-central1/fs-1';
const snapshot = (name: string, instance: string, status: { readyToUse?: boolean } = {}, extra: Record<string, unknown> = {}): KubeObject =>
  ({ metadata: { name, namespace: 'team', labels: { [FILESTORE_INSTANCE_LABEL]: instanceLabelValue(instance) }, ...extra }, status });

describe('one backup at a time per Filestore instance', () => {
  it('is held by an unready snapshot of the instance in the cache, not a ready one, one being deleted, or one of another instance', () => {
    const caches = cachesOf([
      [Resources.volumeSnapshot, snapshot('done', INSTANCE, { readyToUse: true })],
      [Resources.volumeSnapshot, snapshot('going', INSTANCE, {}, { deletionTimestamp: '2026-12-06T00:00:00Z' })],
      [Resources.volumeSnapshot, snapshot('elsewhere', `${INSTANCE}-other`)],
    ]);
    const locks = new InstanceLocks(caches);
    expect(locks.holder(INSTANCE, 'team/mine')).toBeUndefined();
    caches.put(Resources.volumeSnapshot, snapshot('running', INSTANCE));
    expect(locks.holder(INSTANCE, 'team/mine')).toBe('team/running');
    expect(locks.holder(INSTANCE, 'team/running'), 'a snapshot does not wait for itself').toBeUndefined();
  });

  it('covers the moment between deciding and the cache showing the snapshot, for 30 s', () => {
    const locks = new InstanceLocks(cachesOf());
    expect(locks.acquire(INSTANCE, 'team/first', 0)).toBeUndefined();
    expect(locks.acquire(INSTANCE, 'team/second', 1_000)).toBe('team/first');
    expect(locks.acquire(INSTANCE, 'team/first', 2_000), 'the holder asks again').toBeUndefined();
    expect(locks.acquire(`${INSTANCE}-other`, 'team/second', 2_000), 'another instance is free').toBeUndefined();
    expect(locks.acquire(INSTANCE, 'team/second', 32_001), 'a claim the cache never confirmed lapses').toBeUndefined();
  });

  it('says which instance and which snapshot a queued share waits for', () => {
    expect(queuedBehind(INSTANCE, 'team/running')).toBe('queued: Filestore instance ms/project/us-central1/fs-1 backs up one share at a time (GKE), and VolumeSnapshot team/running of another share is in progress');
  });
});
