// An operator "upgrade" over 20 Gaims: the new operator's default Redis image differs from what the
// old one applied (the setting GAIM_REDIS_IMAGE stands in for a new build), so every tenant's Redis
// must roll. At most GAIM_MAX_CONCURRENT_ROLLOUTS roll at once; the others keep their running form,
// stay Synced, and say that they wait.
import { describe, expect, it } from 'vitest';
import { PINNED_IMAGES } from '../../src/config/images.js';
import { Resources } from '../../src/kube/resources.js';
import { isRolling, type StatefulSetView } from '../../src/reconciler/rollouts.js';
import { createGaim } from '../support/gaims.js';
import { isSynced, waitForGaim, type GaimObject } from '../support/operator.js';
import { createNamespace, eventually } from '../support/stack.js';
import { useSuite } from '../support/suite.js';

const GAIMS = 20;
const MAX = 2;
const NEW_REDIS = `redis:7.2.17@sha256:${'0123456789abcdef'.repeat(4)}`;

type StatefulSet = StatefulSetView & { spec?: { template?: { spec?: { containers?: { image?: string }[] } } } };

describe('an operator upgrade that changes the stores\' form', () => {
  const suite = useSuite();

  it(`rolls ${String(GAIMS)} Redis StatefulSets at most ${String(MAX)} at a time; the waiting ones stay Synced on their old form and say so`, async () => {
    const old = await suite.operator('', { GAIM_MAX_CONCURRENT_ROLLOUTS: String(MAX) });
    const namespaces = await Promise.all(Array.from({ length: GAIMS }, () => createNamespace('upgrade')));
    await Promise.all(namespaces.map((ns, i) => createGaim(suite.client, ns, `up${String(i)}`)));
    for (const [i, ns] of namespaces.entries()) await waitForGaim(suite.client, ns, `up${String(i)}`, 'to be Synced', isSynced, 300_000);
    const ours = new Set(namespaces);
    const redisSets = async () => (await suite.client.list<StatefulSet>(Resources.statefulSet, { labelSelector: 'app.kubernetes.io/component=redis' }))
      .items.filter((s) => ours.has(s.metadata?.namespace ?? ''));
    const image = (s: StatefulSet) => s.spec?.template?.spec?.containers?.[0]?.image;
    expect((await redisSets()).map(image)).toEqual(Array.from({ length: GAIMS }, () => PINNED_IMAGES.redis));

    await old.stop();
    await suite.operator('', { GAIM_MAX_CONCURRENT_ROLLOUTS: String(MAX), GAIM_REDIS_IMAGE: NEW_REDIS });

    let most = 0;
    let waitingSeen = 0;
    const failed = new Set<string>();
    await eventually('every Redis to roll to the new image', async () => {
      const sets = await redisSets();
      most = Math.max(most, sets.filter(isRolling).length);
      const gaims = (await suite.client.list<GaimObject>(Resources.gaim)).items.filter((g) => ours.has(g.metadata?.namespace ?? ''));
      for (const g of gaims) {
        if (g.status?.syncStatus === 'Failed') failed.add(`${g.metadata?.namespace ?? ''}: ${g.status.message ?? ''}`);
        if (g.status?.syncStatus === 'Synced' && (g.status.message ?? '').includes('keeps its running form until a rollout slot frees')) waitingSeen++;
      }
      return sets.length === GAIMS && sets.every((s) => image(s) === NEW_REDIS && !isRolling(s)) ? true : undefined;
    }, 300_000);

    expect([...failed]).toEqual([]);
    expect(most).toBeGreaterThanOrEqual(1);
    expect(most).toBeLessThanOrEqual(MAX);
    expect(waitingSeen).toBeGreaterThan(0);
    // Every Gaim ends Synced on the new form, without the waiting note.
    for (const [i, ns] of namespaces.entries()) {
      const synced = await waitForGaim(suite.client, ns, `up${String(i)}`, 'to be Synced on the new form', (g) => isSynced(g) && g.status?.message === 'all stores are ready and seeded', 60_000);
      expect(synced.status?.syncStatus).toBe('Synced');
    }
  });
});
