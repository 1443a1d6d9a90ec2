import { describe, expect, it } from 'vitest';
import { cacheOf } from '../../testing/cache-fake.js';
import type { KubeObject } from '../../kube/objects.js';
import { changesTemplate, isRolling, RolloutSlots, type StatefulSetView } from './rollouts.js';

const sts = (name: string, over: { generation?: number; status?: StatefulSetView['status'] } = {}): StatefulSetView => ({
  metadata: { name, namespace: 'ns', generation: over.generation ?? 1 },
  spec: { replicas: 1 },
  status: over.status ?? { observedGeneration: over.generation ?? 1, currentRevision: 'a', updateRevision: 'a', readyReplicas: 1, updatedReplicas: 1 },
});
const cache = (items: StatefulSetView[]) => cacheOf(items);

describe('isRolling', () => {
  it.each<[string, StatefulSetView, boolean]>([
    ['settled', sts('a'), false],
    ['the controller has not seen the new generation', sts('a', { generation: 2, status: { observedGeneration: 1, currentRevision: 'a', updateRevision: 'a', readyReplicas: 1, updatedReplicas: 1 } }), true],
    ['a new revision not yet current', sts('a', { status: { observedGeneration: 1, currentRevision: 'a', updateRevision: 'b', readyReplicas: 1, updatedReplicas: 0 } }), true],
    ['the new pod not ready', sts('a', { status: { observedGeneration: 1, currentRevision: 'b', updateRevision: 'b', readyReplicas: 0, updatedReplicas: 1 } }), true],
  ])('%s', (_name, s, rolling) => { expect(isRolling(s)).toBe(rolling); });
});

describe('changesTemplate', () => {
  const withHash = (hash?: string): KubeObject => ({ metadata: { annotations: hash === undefined ? {} : { 'gaim.livingcontent.io/template-hash': hash } } });
  it('is a rollout only for an existing StatefulSet whose template fingerprint differs (or that an older version made without one)', () => {
    expect(changesTemplate(withHash('x'), undefined)).toBe(false);
    expect(changesTemplate(withHash('x'), withHash('x'))).toBe(false);
    expect(changesTemplate(withHash('y'), withHash('x'))).toBe(true);
    expect(changesTemplate(withHash('y'), withHash())).toBe(true);
  });
});

describe('RolloutSlots', () => {
  it('grants at most max slots, counts rollouts it did not start, and frees a slot once its StatefulSet rolled out', () => {
    const { byKey, caches } = cache([sts('a'), sts('b'), sts('c'), sts('d', { status: { observedGeneration: 1, currentRevision: 'a', updateRevision: 'b' } })]);
    const slots = new RolloutSlots(2, caches);
    expect(slots.tryAcquire('ns/a')).toEqual({ granted: true, inFlight: 1 }); // d rolls already (someone else's)
    slots.started('ns/a', 2);
    expect(slots.tryAcquire('ns/b')).toEqual({ granted: false, inFlight: 2 });
    // a's rollout is seen, then finishes: its slot frees.
    byKey.set('ns/a', sts('a', { generation: 2, status: { observedGeneration: 2, currentRevision: 'a', updateRevision: 'b', readyReplicas: 0, updatedReplicas: 1 } }));
    expect(slots.tryAcquire('ns/b').granted).toBe(false);
    byKey.set('ns/a', sts('a', { generation: 2 }));
    expect(slots.tryAcquire('ns/b').granted).toBe(true);
  });

  it('keeps a granted slot until the cache shows the new generation (no double grant in the cache\'s lag), and gives back one not applied', () => {
    const { caches } = cache([sts('a'), sts('b'), sts('c')]);
    const slots = new RolloutSlots(1, caches);
    expect(slots.tryAcquire('ns/a').granted).toBe(true);
    slots.started('ns/a', 2); // the cache still shows generation 1, settled
    expect(slots.tryAcquire('ns/b').granted).toBe(false);
    expect(slots.tryAcquire('ns/a').granted).toBe(true); // the one rolling may change again (a revert)
    slots.release('ns/a');
    expect(slots.tryAcquire('ns/c').granted).toBe(true);
  });
});
