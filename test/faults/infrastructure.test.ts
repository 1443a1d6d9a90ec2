// What the operator depends on goes away and comes back: the API server (with etcd compacted while
// it is down, so every watch must relist), every MongoDB and Redis (cut off from the operator by a
// partition), and the Firestore emulator.
// Work that arrives during the outage is not lost, Gaims already Synced are not harmed, and
// everything converges once the part is back.
import { afterEach, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/kube/objects.js';
import { Resources } from '../../src/kube/resources.js';
import { createGaim } from '../support/gaims.js';
import { metricValue } from '../support/operator-process.js';
import { condition, isSynced, waitForGaim, type GaimObject } from '../support/operator.js';
import { compactEtcd, createNamespace, eventually, partitionStores, stackComponent } from '../support/stack.js';
import { useSuite } from '../support/suite.js';
import { expectNoLeaks, Witness } from './witness.js';

type Secret = KubeObject & { data?: Record<string, string> };

describe('faults: the parts around the operator fail', () => {
  const suite = useSuite();
  const witness = new Witness();
  const gaimIdOf = (g: KubeObject) => (g as GaimObject & { spec: { gaimId: string } }).spec.gaimId;
  const syncStatusIn = async (gaimId: string) => ((await suite.firestore.doc(`gaims/${gaimId}`).get()).data() as { sync_status?: string } | undefined)?.sync_status;

  afterEach(async () => { await witness.stopAll(suite.client); });

  it('API server restarted with etcd compacted meanwhile: changes made around the outage all converge', async () => {
    const [before, during] = [witness.namespace(await createNamespace('apisrv-a')), witness.namespace(await createNamespace('apisrv-b'))];
    const operator = await witness.operator();
    await createGaim(suite.client, before, 'steady');
    const steady = await waitForGaim(suite.client, before, 'steady', 'to be Synced', isSynced, 90_000);
    const secretsBefore = (await suite.client.list<Secret>(Resources.secret, { namespace: before })).items.map((s) => s.data);

    await stackComponent('kube-apiserver', 'stop');
    await compactEtcd(); // every resourceVersion the operator's watches hold is now gone
    await stackComponent('kube-apiserver', 'start');
    // A new Gaim, and damage to a Synced one, both while the operator's watches are broken.
    await createGaim(suite.client, during, 'arrival');
    // (Objects without pods: this test is about the operator's watches, not kwok's.)
    await suite.client.delete(Resources.configMap, 'steady-connections', before);
    await suite.client.delete(Resources.networkPolicy, 'steady-stores', before);

    await waitForGaim(suite.client, during, 'arrival', 'to be Synced after the relist', isSynced, 90_000);
    await eventually('the deleted ConfigMap and NetworkPolicy to be recreated', async () => {
      const found = await Promise.all([suite.client.get(Resources.configMap, 'steady-connections', before), suite.client.get(Resources.networkPolicy, 'steady-stores', before)]
        .map((p) => p.catch(() => undefined)));
      return found.every((f) => f !== undefined) ? true : undefined;
    }, 60_000);
    await waitForGaim(suite.client, before, 'steady', 'to be Synced again', isSynced, 90_000);
    expect((await suite.client.list<Secret>(Resources.secret, { namespace: before })).items.map((s) => s.data)).toEqual(secretsBefore);
    expect(await syncStatusIn(gaimIdOf(steady))).toBe('synced');
    const relists = metricValue(await operator.metrics(), 'gaim_informer_relists_total') ?? 0;
    expect(relists).toBeGreaterThan(0);
  }, 360_000); // the sum of its waits' bounds (three Synced, the recreation)

  for (const store of ['mongodb', 'redis'] as const) {
    it(`every ${store} cut off from the operator and back: new Gaims fail with errorType ${store} and retry, then converge`, async () => {
      const [synced, waiting] = [witness.namespace(await createNamespace(`${store}-a`)), witness.namespace(await createNamespace(`${store}-b`))];
      await witness.operator([], { GAIM_BACKOFF_BASE_MS: '500', GAIM_BACKOFF_CAP_MS: '2000' });
      const first = await createGaim(suite.client, synced, 'early');
      await waitForGaim(suite.client, synced, 'early', 'to be Synced', isSynced, 90_000);
      // A partition: the stores run and their pods stay Ready, but the operator cannot reach them.
      await partitionStores(store, 'cut');
      let late: KubeObject;
      try {
        late = await createGaim(suite.client, waiting, 'late');
        const failed = await waitForGaim(suite.client, waiting, 'late', `to fail on ${store} and retry`,
          (g) => g.status?.syncStatus === 'Failed' && g.status.errorType === store && ((g.status as { retryCount?: number }).retryCount ?? 0) >= 2, 90_000);
        expect(condition(failed, 'Seeded')?.status).toBe('False');
        // The outage does not touch what was already done.
        expect((await suite.client.get<GaimObject>(Resources.gaim, 'early', synced)).status?.syncStatus).toBe('Synced');
      } finally {
        await partitionStores(store, 'heal');
      }
      await waitForGaim(suite.client, waiting, 'late', `to be Synced once ${store} is reachable`, isSynced, 90_000);
      await eventually('Firestore to show both synced', async () =>
        ((await syncStatusIn(gaimIdOf(first))) === 'synced' && (await syncStatusIn(gaimIdOf(late))) === 'synced' ? true : undefined));
    }, 360_000); // the sum of its waits' bounds (Synced, failed twice, Synced again, Firestore)
  }

  it('Firestore emulator stopped and restarted: Kubernetes converges meanwhile, and the document catches up', async () => {
    const ns = witness.namespace(await createNamespace('fs-outage'));
    await witness.operator();
    await stackComponent('firestore-emulator', 'stop');
    let gaim: KubeObject;
    try {
      gaim = await createGaim(suite.client, ns, 'offline');
      const ready = await waitForGaim(suite.client, ns, 'offline', 'to be Ready with Firestore down', (g) =>
        condition(g, 'Ready')?.status === 'True' && condition(g, 'FirestoreSynced')?.status === 'False', 90_000);
      expect(condition(ready, 'FirestoreSynced')?.reason).toBe('FirestoreUnavailable');
    } finally {
      // The emulator keeps nothing across a restart; the operator must write the document afresh.
      await stackComponent('firestore-emulator', 'start');
    }
    await waitForGaim(suite.client, ns, 'offline', 'to be Synced with Firestore back', (g) => isSynced(g) && condition(g, 'FirestoreSynced')?.status === 'True', 90_000);
    await eventually('the document to be written', async () => ((await syncStatusIn(gaimIdOf(gaim))) === 'synced' ? true : undefined));
    expect((await suite.firestore.doc(`gaims/${gaimIdOf(gaim)}/env/stage/config/current`).get()).exists).toBe(true);
  }, 240_000); // the sum of its waits' bounds (Ready, Synced, the document)

  it('leaves no secret value in the operators\' logs, events or Gaim statuses', async () => {
    await expectNoLeaks(suite.client, witness);
  });
});
