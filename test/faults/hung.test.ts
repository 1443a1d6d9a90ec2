// What the operator depends on hangs: a tenant's MongoDB or Redis accepts connections and never
// answers, the Firestore emulator takes calls and never replies. No reconcile hangs with it: each
// fails in bounded time as a timeout and is retried, and everything converges once the part answers.
// (Refused connections and stopped parts: infrastructure.test.ts.)
import { afterEach, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/kube/objects.js';
import { createGaim } from '../support/gaims.js';
import { condition, isSynced, waitForGaim, type GaimObject } from '../support/operator.js';
import { createNamespace, eventually, partitionStores, stackComponent } from '../support/stack.js';
import { useSuite } from '../support/suite.js';
import { expectNoLeaks, Witness } from './witness.js';

describe('faults: the parts around the operator hang', () => {
  const suite = useSuite();
  const witness = new Witness();
  const gaimIdOf = (g: KubeObject) => (g as GaimObject & { spec: { gaimId: string } }).spec.gaimId;
  const syncStatusIn = async (gaimId: string) => ((await suite.firestore.doc(`gaims/${gaimId}`).get()).data() as { sync_status?: string } | undefined)?.sync_status;

  afterEach(async () => { await witness.stopAll(suite.client); });

  for (const store of ['mongodb', 'redis'] as const) {
    it(`a ${store} that accepts connections and never answers: the Gaim fails with errorType timeout and retries, nothing hangs, then converges`, async () => {
      const ns = witness.namespace(await createNamespace(`${store}-hung`));
      await witness.operator([ns], { GAIM_BACKOFF_BASE_MS: '500', GAIM_BACKOFF_CAP_MS: '2000' });
      // Its pods start and are Ready; the operator's connections to it are accepted and never answered.
      await partitionStores(store, 'silence', ns);
      try {
        await createGaim(suite.client, ns, 'hung');
        const failed = await waitForGaim(suite.client, ns, 'hung', `to time out on its ${store} and retry`,
          (g) => g.status?.syncStatus === 'Failed' && ((g.status as { retryCount?: number }).retryCount ?? 0) >= 2, 180_000);
        expect(failed.status?.errorType, failed.status?.message).toBe('timeout');
        expect(condition(failed, 'Seeded')?.status).toBe('False');
      } finally {
        await partitionStores(store, 'heal', ns);
      }
      await waitForGaim(suite.client, ns, 'hung', `to be Synced once its ${store} answers`, isSynced, 120_000);
    }, 360_000);
  }

  it('Firestore that accepts calls and never answers (its process frozen): Kubernetes converges meanwhile, and the document catches up', async () => {
    const ns = witness.namespace(await createNamespace('fs-hung'));
    await witness.operator([ns]);
    await stackComponent('firestore-emulator', 'pause');
    let gaim: KubeObject;
    try {
      gaim = await createGaim(suite.client, ns, 'frozen');
      const ready = await waitForGaim(suite.client, ns, 'frozen', 'to be Ready with Firestore hung', (g) =>
        condition(g, 'Ready')?.status === 'True' && condition(g, 'FirestoreSynced')?.status === 'False', 180_000);
      expect(condition(ready, 'FirestoreSynced')?.reason).toBe('FirestoreUnavailable');
    } finally {
      await stackComponent('firestore-emulator', 'resume');
    }
    await waitForGaim(suite.client, ns, 'frozen', 'to be Synced with Firestore answering', (g) => isSynced(g) && condition(g, 'FirestoreSynced')?.status === 'True', 120_000);
    await eventually('the document to be written', async () => ((await syncStatusIn(gaimIdOf(gaim))) === 'synced' ? true : undefined));
  }, 360_000);

  it('leaves no secret value in the operators\' logs, events or Gaim statuses', async () => {
    await expectNoLeaks(suite.client, witness);
  });
});
