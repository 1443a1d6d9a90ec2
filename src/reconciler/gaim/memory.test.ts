import { describe, expect, it } from 'vitest';
import type { BackoffPolicy } from '../../controller/backoff.js';
import type { PlatformFirestore } from '../../firestore/client.js';
import { Resources } from '../../kube/resources.js';
import { Metrics } from '../../observability/metrics.js';
import { cachesOf } from '../../testing/caches-fake.js';
import { GaimMemory } from './memory.js';
import { FirestoreWriteBack } from './write-back.js';

describe('GaimMemory', () => {
  it('forgets a deleted Gaim in every part, its metric series too, and keeps the other Gaims', async () => {
    const metrics = new Metrics();
    // Each Gaim's Redis StatefulSet is rolling (a slot granted to it stays until it settles).
    const rolling = (namespace: string) => [Resources.statefulSet, { metadata: { name: 'g-redis', namespace, generation: 2 }, spec: { replicas: 1 }, status: { observedGeneration: 1, replicas: 1 } }] as const;
    const memory = new GaimMemory({
      caches: cachesOf([rolling('a'), rolling('b')]), metrics, maxConcurrentRollouts: 5, maxConcurrentSeeds: 0,
      writeBack: new FirestoreWriteBack({} as PlatformFirestore, {} as BackoffPolicy, 'c', () => 1),
    });
    for (const namespace of ['a', 'b']) {
      memory.expectations.expect(`${namespace}/g`, '2', '1');
      memory.rollouts.tryAcquire(`${namespace}/g-redis`);
      memory.seedSlots.tryAcquire(`${namespace}/g`, `${namespace}/g-seed`); // no slot: it waits in line
      memory.retained(`${namespace}/g`).add(`pv-${namespace}`);
      metrics.backedUp.set({ namespace, gaim: 'g' }, 1);
      metrics.backupLastSuccess.set({ namespace, gaim: 'g' }, 1);
    }
    // A refused sibling Gaim of namespace a goes: the owner's StatefulSets keep their slots.
    memory.forget('a/sibling');
    const both = memory.sizes();
    expect(both).toMatchObject({ expectations: 2, rollouts: 2, seedSlots: 2, retained: 2 });

    memory.forget('a/g');

    const halved = Object.fromEntries(Object.entries(both).map(([part, n]) => [part, n / 2]));
    expect(memory.sizes()).toEqual(halved);
    expect(memory.retained('b/g').has('pv-b')).toBe(true);
    expect(memory.expectations.satisfied('b/g', '1')).toBe(false); // b's write still awaits its echo
    for (const name of ['gaim_backed_up', 'gaim_backup_last_success_timestamp_seconds']) {
      const series = (await metrics.registry.getSingleMetric(name)?.get())?.values.map((v) => v.labels['namespace']);
      expect(series, name).toEqual(['b']);
    }
  });
});
