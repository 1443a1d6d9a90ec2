// An operator "upgrade" over 20 Gaims: the new operator's default Redis image differs from what the
// old one applied (the setting GAIM_REDIS_IMAGE stands in for a new build), so every tenant's Redis
// must roll. At most GAIM_MAX_CONCURRENT_ROLLOUTS roll at once; the others keep their running form,
// stay Synced, and say that they wait.
import { describe, expect, it } from 'vitest';
import { PINNED_IMAGES } from '../../src/config/images.js';
import type { KubeClient } from '../../src/kube/client.js';
import type { KubeObject } from '../../src/kube/objects.js';
import { Resources } from '../../src/kube/resources.js';
import type { StatefulSetView } from '../../src/reconciler/gaim/rollouts.js';
import { createGaim } from '../support/gaims.js';
import { isSynced, waitForGaim, type GaimObject } from '../support/operator.js';
import { createNamespace, eventually } from '../support/stack.js';
import { useSuite } from '../support/suite.js';

const GAIMS = 20;
const MAX = 2;
const NEW_REDIS = `redis:7.2.17@sha256:${'0123456789abcdef'.repeat(4)}`;

type StatefulSet = StatefulSetView & { spec?: { template?: { spec?: { containers?: { image?: string }[] } } } };

type Pod = { metadata?: { name?: string }; status?: { phase?: string; conditions?: { type: string; status: string; lastTransitionTime?: string }[]; containerStatuses?: { ready?: boolean; restartCount?: number; state?: unknown }[] } };

/** What a Gaim stuck short of Synced is waiting on: its Redis StatefulSet and pod as the API has them, and what the operator logged about it. */
async function whyNotReady(client: KubeClient, ns: string, records: readonly { readonly [field: string]: unknown }[]): Promise<string> {
  const sets = (await client.list<StatefulSet>(Resources.statefulSet, { namespace: ns })).items.map((s) => ({ name: s.metadata?.name, generation: s.metadata?.generation, status: s.status }));
  const pods = (await client.list<Pod>(Resources.pod, { namespace: ns })).items.map((p) => ({ name: p.metadata?.name, phase: p.status?.phase, conditions: p.status?.conditions, containers: p.status?.containerStatuses }));
  const logged = records.filter((r) => JSON.stringify(r).includes(ns)).slice(-20);
  return `statefulsets: ${JSON.stringify(sets)}\npods: ${JSON.stringify(pods)}\noperator log: ${logged.map((r) => JSON.stringify(r)).join('\n')}`;
}

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
    // Every version of every Redis pod from here on, on a watch: a pod Ready on the new image for less
    // than one poll (then a probe flap on a loaded machine) ended its rollout for the operator, and a
    // poll alone missed it and counted a third (one clean-clone run).
    type RedisPod = Pod & { metadata?: { namespace?: string }; spec?: { containers?: { image?: string }[] } };
    const rolledOut = new Set<string>();
    const seeRolledOut = (p: RedisPod) => {
      if (p.spec?.containers?.[0]?.image === NEW_REDIS && p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true) rolledOut.add(p.metadata?.namespace ?? '');
    };
    const watching = new AbortController();
    const podList = await suite.client.list<RedisPod & KubeObject>(Resources.pod, { labelSelector: 'app.kubernetes.io/component=redis' });
    podList.items.forEach(seeRolledOut);
    const podWatch = (async () => {
      let from = podList.resourceVersion;
      while (!watching.signal.aborted) {
        from = await suite.client.watch<RedisPod & KubeObject>(Resources.pod, {
          labelSelector: 'app.kubernetes.io/component=redis', resourceVersion: from, signal: watching.signal, inactivityMs: 300_000, timeoutSeconds: 300,
          onEvent: (event) => { if (event.type !== 'BOOKMARK') seeRolledOut(event.object); },
        });
      }
    })().catch(() => undefined);
    const upgraded = await suite.operator('', { GAIM_MAX_CONCURRENT_ROLLOUTS: String(MAX), GAIM_REDIS_IMAGE: NEW_REDIS });

    let most = 0;
    let waitingSeen = 0;
    const failed = new Set<string>();
    // Rolling, as the pods show it (not as the operator's own isRolling reads a StatefulSet): a Redis
    // whose StatefulSet asks for the new image and whose pod has not yet been Ready on it (seen on the
    // watch above, or in this poll). Once Ready on the new image, its rollout is over: a probe that
    // fails later on a loaded machine is not a rollout (a full-suite run once counted such a flap as a third).
    const rollingByPods = async (sets: readonly StatefulSet[]) => {
      (await suite.client.list<RedisPod & KubeObject>(Resources.pod, { labelSelector: 'app.kubernetes.io/component=redis' })).items.forEach(seeRolledOut);
      return sets.filter((set) => image(set) === NEW_REDIS && !rolledOut.has(set.metadata?.namespace ?? '')).length;
    };
    try {
      await eventually('every Redis to roll to the new image', async () => {
        const sets = await redisSets();
        most = Math.max(most, await rollingByPods(sets));
        const gaims = (await suite.client.list<GaimObject>(Resources.gaim)).items.filter((g) => ours.has(g.metadata?.namespace ?? ''));
        for (const g of gaims) {
          if (g.status?.syncStatus === 'Failed') failed.add(`${g.metadata?.namespace ?? ''}: ${g.status.message ?? ''}`);
          if (g.status?.syncStatus === 'Synced' && (g.status.message ?? '').includes('keeps its running form until a rollout slot frees')) waitingSeen++;
        }
        return sets.length === GAIMS && sets.every((s) => image(s) === NEW_REDIS) && (await rollingByPods(sets)) === 0 ? true : undefined;
      }, 300_000);
    } finally {
      watching.abort();
      await podWatch;
    }

    expect([...failed]).toEqual([]);
    expect(most).toBeGreaterThanOrEqual(1);
    expect(most).toBeLessThanOrEqual(MAX);
    expect(waitingSeen).toBeGreaterThan(0);
    // Every Gaim ends Synced on the new form, without the waiting note. (Two full-suite runs saw one
    // Gaim stay RedisReady False for over 60 s after its StatefulSet was ready, never one run alone;
    // the message below carries what to look at if it comes back.)
    for (const [i, ns] of namespaces.entries()) {
      const synced = await waitForGaim(suite.client, ns, `up${String(i)}`, 'to be Synced on the new form', (g) => isSynced(g) && g.status?.message === 'all stores are ready and seeded', 180_000)
        .catch(async (error: unknown) => {
          const busy = (await upgraded.metrics()).split('\n').filter((l) => /^(workqueue_depth|controller_runtime_active_workers|controller_runtime_reconcile_total)\{/.test(l)).join('; ');
          throw new Error(`${String(error)}\n${await whyNotReady(suite.client, ns, upgraded.records)}\noperator: ${busy}`, { cause: error });
        });
      expect(synced.status?.syncStatus).toBe('Synced');
    }
  }, 600_000); // twenty Gaims to converge, then to roll two at a time
});
