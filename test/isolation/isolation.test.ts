// Tenant isolation against a hostile or careless Gaim author: nothing outside its namespace is
// reachable through a Gaim, and credentials never drift from the data. Each test has its negative
// control: the allowed case works.
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { inClusterAccess } from '../../src/kube/access.js';
import { KubeClient } from '../../src/kube/client.js';
import { KubeApiError } from '../../src/kube/errors.js';
import type { KubeObject } from '../../src/kube/objects.js';
import { type Resource, Resources } from '../../src/kube/resources.js';
import { expectNoLeaks, Witness } from '../faults/witness.js';
import { installOperatorAccount } from '../support/operator-account.js';
import { createGaim, gaimStores } from '../support/gaims.js';
import { condition, isSynced, reconcileCount, waitForGaim } from '../support/operator.js';
import { createNamespace, eventually, stackEnv, testStack } from '../support/stack.js';
import { useSuite } from '../support/suite.js';
import { stackVolumePath } from '../../stack/provisioner.js';

type Claim = KubeObject & { spec: { volumeName?: string }; status?: { phase?: string } };
type Volume = KubeObject & { spec: { persistentVolumeReclaimPolicy?: string; hostPath?: { path: string }; csi?: { volumeAttributes?: Record<string, string> } }; status?: { phase?: string } };

describe('tenant isolation', () => {
  const suite = useSuite();
  const witness = new Witness();
  afterEach(async () => { await witness.stopAll(suite.client); });

  const gone = async (resource: Resource, name: string, namespace?: string) =>
    suite.client.get(resource, name, namespace).then(() => false, (error: unknown) => {
      if (error instanceof KubeApiError && error.status === 404) return true;
      throw error;
    });

  it('refuses an NFS share outside the allow-list before any volume exists, terminally, and allows a Gaim\'s own', async () => {
    const operator = await witness.operator();
    const neighbour = witness.namespace(await createNamespace('neighbour'));
    // The stack allows servers 10.0.0.2 and filestore.test, at /vol1/gaims/{namespace} or below.
    const hostile = {
      parent: (_ns: string) => ({ server: '10.0.0.2', path: '/vol1' }),
      'tenants-root': (_ns: string) => ({ server: '10.0.0.2', path: '/vol1/gaims' }),
      sibling: (_ns: string) => ({ server: '10.0.0.2', path: `/vol1/gaims/${neighbour}` }),
      'other-server': (ns: string) => ({ server: 'evil.example.com', path: `/vol1/gaims/${ns}` }),
      'ip-for-name': (ns: string) => ({ server: '127.0.0.1', path: `/vol1/gaims/${ns}` }),
      escape: (ns: string) => ({ server: 'filestore.test', path: `/vol1/gaims/${ns}/` }),
    };
    const refused = await Promise.all(Object.entries(hostile).map(async ([name, share]) => {
      const ns = witness.namespace(await createNamespace(name.slice(0, 12)));
      await createGaim(suite.client, ns, 'grabby', { lancedb: { storage: { nfs: share(ns) } } });
      return { name, ns };
    }));
    const allowedNs = witness.namespace(await createNamespace('own-share'));
    await createGaim(suite.client, allowedNs, 'honest', { lancedb: { storage: { nfs: { server: 'filestore.test', path: `/vol1/gaims/${allowedNs}/lancedb` } } } });

    for (const { name, ns } of refused) {
      const failed = await waitForGaim(suite.client, ns, 'grabby', `(${name}) to be refused`, (g) => g.status?.syncStatus === 'Failed', 60_000);
      expect(failed.status, name).toMatchObject({ errorType: 'validation', retryCount: 0 });
      expect(condition(failed, 'Ready')?.reason, name).toBe('ShareNotAllowed');
      expect(failed.status?.message, name).toMatch(/GAIM_NFS_(SERVERS|PATH_TEMPLATE)|plain absolute path/);
    }
    // The negative control: its own share binds.
    await waitForGaim(suite.client, allowedNs, 'honest', 'to be Synced on its own share', isSynced, 120_000);
    expect(await gone(Resources.persistentVolume, `gaim-${allowedNs}-honest-lancedb`)).toBe(false);

    // Many reconciles later: no retry counted, no volume, nothing made for a refused Gaim.
    const before = await Promise.all(refused.map(({ ns }) => reconcileCount(operator, `${ns}/grabby`)));
    for (const { ns } of refused) await suite.client.mergePatch(Resources.gaim, 'grabby', ns, { metadata: { annotations: { 'test/poke': '1' } } });
    await eventually('a reconcile of each refused Gaim', async () => {
      const now = await Promise.all(refused.map(({ ns }) => reconcileCount(operator, `${ns}/grabby`)));
      return now.every((count, i) => count > (before[i] ?? 0)) ? true : undefined;
    });
    for (const { name, ns } of refused) {
      expect(await gone(Resources.persistentVolume, `gaim-${ns}-grabby-lancedb`), `${name}: no PersistentVolume`).toBe(true);
      expect((await suite.client.list(Resources.statefulSet, { namespace: ns })).items, `${name}: nothing made`).toEqual([]);
      expect((await suite.client.get<{ status?: { retryCount?: number } } & KubeObject>(Resources.gaim, 'grabby', ns)).status?.retryCount).toBe(0);
    }
  });

  it('refuses a share another Gaim\'s kept volume still holds (ShareConflict, naming it), makes nothing on it, and takes it once the volume is gone', async () => {
    const ns = witness.namespace(await createNamespace('share-kept'));
    await witness.operator([ns]);
    const share = { server: 'filestore.test', path: `/vol1/gaims/${ns}/lancedb` };
    await createGaim(suite.client, ns, 'first', { lancedb: { storage: { nfs: share } } });
    await waitForGaim(suite.client, ns, 'first', 'to be Synced on its share', isSynced, 120_000);
    // Deleted with the default policy (Retain): its volume, and the data on the share, stay.
    await suite.client.delete(Resources.gaim, 'first', ns);
    await eventually('first to be gone', async () => ((await gone(Resources.gaim, 'first', ns)) ? true : undefined), 60_000);
    expect(await gone(Resources.persistentVolume, `gaim-${ns}-first-lancedb`)).toBe(false);

    await createGaim(suite.client, ns, 'second', { lancedb: { storage: { nfs: share } } });
    const refused = await waitForGaim(suite.client, ns, 'second', 'to be refused the share first\'s volume holds', (g) => g.status?.syncStatus === 'Failed', 60_000);
    expect(refused.status?.errorType).toBe('conflict');
    expect(condition(refused, 'Ready')?.reason).toBe('ShareConflict');
    expect(refused.status?.message).toBe(`cannot use the NFS share filestore.test:/vol1/gaims/${ns}/lancedb: it already backs Gaim ${ns}/first; one share per Gaim`);
    expect(await gone(Resources.persistentVolume, `gaim-${ns}-second-lancedb`), 'no second volume on the same share').toBe(true);
    expect((await suite.client.list(Resources.statefulSet, { namespace: ns })).items.map((o) => o.metadata?.name), 'nothing made for second').toEqual([]);

    // A conflict is terminal: nothing is retried in a loop. The old Gaim's kept claim and volume are
    // removed by a person, then asked to retry: the share is second's.
    await suite.client.delete(Resources.persistentVolumeClaim, 'first-lancedb', ns);
    await suite.client.delete(Resources.persistentVolume, `gaim-${ns}-first-lancedb`);
    await eventually('first\'s volume to be gone', async () => ((await gone(Resources.persistentVolume, `gaim-${ns}-first-lancedb`)) ? true : undefined), 60_000);
    await suite.client.mergePatch(Resources.gaim, 'second', ns, { metadata: { annotations: { 'gaim.livingcontent.io/retry-now': 'share-freed' } } });
    await waitForGaim(suite.client, ns, 'second', 'to be Synced on the share once the old volume is gone', isSynced, 120_000);
  }, 360_000);

  it('binds a static share\'s kept volume again when its namespace is made again with the same gaimId, and for no other gaimId', async () => {
    const ns = witness.namespace(await createNamespace('nfs-again'));
    await witness.operator();
    const share = { server: 'filestore.test', path: `/vol1/gaims/${ns}/lancedb` };
    const first = await createGaim(suite.client, ns, 'again', { lancedb: { storage: { nfs: share } } });
    const gaimId = (first['spec'] as { gaimId: string }).gaimId;
    await waitForGaim(suite.client, ns, 'again', 'to be Synced on its share', isSynced, 120_000);
    const volume = `gaim-${ns}-again-lancedb`;

    // The namespace goes (the Gaim's policy, Retain, keeps the volume: Released, bound by uid to a claim now gone).
    await suite.client.delete(Resources.namespace, ns);
    await eventually(`namespace ${ns} to be gone`, async () => ((await gone(Resources.namespace, ns)) ? true : undefined), 180_000);
    await eventually('the kept volume to be Released', async () =>
      ((await suite.client.get<KubeObject & { status?: { phase?: string } }>(Resources.persistentVolume, volume)).status?.phase === 'Released' ? true : undefined), 60_000);

    // Made again, as Argo CD would: another gaimId is refused the volume, and nothing is bound.
    await createNamespace(ns, 'baseline', { exactName: true });
    await createGaim(suite.client, ns, 'again', { gaimId: randomUUID(), lancedb: { storage: { nfs: share } } });
    const refused = await waitForGaim(suite.client, ns, 'again', 'to be refused the volume of another gaimId', (g) => g.status?.syncStatus === 'Failed', 90_000);
    expect(condition(refused, 'Ready')?.reason).toBe('ShareConflict');
    expect(refused.status?.message).toContain(`it is Released and holds the data of gaimId ${gaimId}`);
    expect((await suite.client.get<KubeObject & { status?: { phase?: string } }>(Resources.persistentVolume, volume)).status?.phase).toBe('Released');
    await suite.client.delete(Resources.gaim, 'again', ns);
    await eventually('the refused Gaim to be gone', async () => ((await gone(Resources.gaim, 'again', ns)) ? true : undefined), 60_000);

    // The same gaimId: the volume binds its new claim, and the Gaim is Synced on its old data.
    await createGaim(suite.client, ns, 'again', { gaimId, lancedb: { storage: { nfs: share } } });
    await waitForGaim(suite.client, ns, 'again', 'to be Synced on its kept volume', isSynced, 180_000);
    const claim = await suite.client.get<KubeObject & { spec: { volumeName?: string }; status: { phase?: string } }>(Resources.persistentVolumeClaim, 'again-lancedb', ns);
    expect({ volume: claim.spec.volumeName, phase: claim.status.phase }).toEqual({ volume, phase: 'Bound' });
  }, 720_000);

  it('in namespaced mode reaches Synced with a Role per namespace, and cannot read a Secret anywhere else', async () => {
    const served = witness.namespace(await createNamespace('served'));
    const elsewhere = await createNamespace('elsewhere');
    const release = `iso-${served.slice(-6)}`;
    const account = await installOperatorAccount(stackEnv(), stackEnv().STACK_DIR, {
      release, namespace: testStack().operatorAccount.namespace, set: [`operator.watchNamespaces={${served}}`],
    });
    await witness.operator([served], { GAIM_SERVICE_ACCOUNT_DIR: account.dir });
    await createGaim(suite.client, served, 'scoped');
    await waitForGaim(suite.client, served, 'scoped', 'to be Synced under the namespaced Role', isSynced, 120_000);

    // The operator's own credentials: its Secret there, and nothing of another namespace's.
    await suite.client.create(Resources.secret, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'tenant-secret', namespace: elsewhere }, stringData: { token: 'x' } });
    const asOperator = await KubeClient.create(await inClusterAccess(account.host, account.port, account.dir), { userAgent: 'isolation-test' });
    try {
      const status = (call: Promise<unknown>) => call.then(() => 200, (error: unknown) => (error instanceof KubeApiError ? error.status : 0));
      expect(await status(asOperator.get(Resources.secret, 'scoped-mongodb-credentials', served))).toBe(200); // negative control
      expect(await status(asOperator.get(Resources.secret, 'tenant-secret', elsewhere))).toBe(403);
      expect(await status(asOperator.list(Resources.secret, { namespace: served }))).toBe(403); // by name only, never a listing
      expect(await status(asOperator.list(Resources.statefulSet, { namespace: elsewhere }))).toBe(403);
    } finally {
      await asOperator.close();
    }
  });

  it('never mints credentials over existing data: a deleted Secret fails the Gaim with CredentialsMissing until it is restored', async () => {
    // The operator may not watch Secrets, so nothing tells it of the deletion: the next reconcile
    // finds it, at the latest the full re-check (GAIM_RESYNC_SECONDS), short here and scoped to this
    // namespace. (With the default, a CI run's last incidental reconcile — the queue prober's first
    // status write — came before the deletion, and the Gaim stayed Synced for the test's minute.)
    const ns = witness.namespace(await createNamespace('drift'));
    const operator = await witness.operator([ns], { GAIM_RESYNC_SECONDS: '3' });
    await createGaim(suite.client, ns, 'keeper');
    await waitForGaim(suite.client, ns, 'keeper', 'to be Synced', isSynced, 120_000);
    const secretName = 'keeper-mongodb-credentials';
    const saved = await suite.client.get<KubeObject & { data: Record<string, string> }>(Resources.secret, secretName, ns);
    const claim = await suite.client.get<Claim>(Resources.persistentVolumeClaim, 'data-keeper-mongodb-0', ns);

    await suite.client.delete(Resources.secret, secretName, ns);
    const failed = await waitForGaim(suite.client, ns, 'keeper', 'to fail on its missing credentials', (g) => g.status?.syncStatus === 'Failed', 60_000);
    expect(failed.status?.errorType).toBe('kubernetes');
    expect(condition(failed, 'Ready')?.reason).toBe('CredentialsMissing');
    expect(failed.status?.message).toContain(secretName);
    expect(failed.status?.message).toContain('docs/runbooks/credentials-missing.md');
    // More reconciles (retries): still no new Secret, and the data claim is the same one.
    const reconciles = await reconcileCount(operator, `${ns}/keeper`);
    await eventually('two more reconciles of keeper', async () => ((await reconcileCount(operator, `${ns}/keeper`)) >= reconciles + 2 ? true : undefined), 60_000);
    expect(await gone(Resources.secret, secretName, ns)).toBe(true);
    expect((await suite.client.get<Claim>(Resources.persistentVolumeClaim, 'data-keeper-mongodb-0', ns)).metadata?.uid).toBe(claim.metadata?.uid);

    // Restored as the runbook says (from a backup of the Secret): Synced, and the old passwords still open the store.
    await suite.client.create(Resources.secret, { apiVersion: 'v1', kind: 'Secret', metadata: { name: secretName, namespace: ns }, data: saved.data });
    await suite.client.mergePatch(Resources.gaim, 'keeper', ns, { metadata: { annotations: { 'gaim.livingcontent.io/retry-now': 'restored' } } });
    await waitForGaim(suite.client, ns, 'keeper', 'to be Synced once the Secret is back', isSynced, 60_000);
    const stores = await gaimStores(suite.client, ns, 'keeper');
    try {
      expect((await stores.mongo.db('admin').command({ ping: 1 }))['ok']).toBe(1);
    } finally {
      await stores.close();
    }
  });

  it('keeps a Retain Gaim\'s volumes when its namespace is deleted, and a Delete Gaim\'s go', async () => {
    await witness.operator();
    const [kept, dropped] = [witness.namespace(await createNamespace('ns-retain')), witness.namespace(await createNamespace('ns-delete'))];
    await createGaim(suite.client, kept, 'keep', { deletionPolicy: 'Retain' });
    await createGaim(suite.client, dropped, 'drop', { deletionPolicy: 'Delete' });
    await waitForGaim(suite.client, kept, 'keep', 'to be Synced', isSynced, 120_000);
    await waitForGaim(suite.client, dropped, 'drop', 'to be Synced', isSynced, 120_000);
    const volumesOf = async (ns: string) => (await suite.client.list<Claim>(Resources.persistentVolumeClaim, { namespace: ns })).items.map((c) => c.spec.volumeName ?? '');
    const keptVolumes = await volumesOf(kept);
    const droppedVolumes = await volumesOf(dropped);
    expect(keptVolumes).toHaveLength(3); // both stores' data and the LanceDB claim
    // As soon as they are bound, a Retain Gaim's volumes are Retain: their class's Delete no longer applies.
    await eventually('the Retain Gaim\'s volumes to be Retain', async () => {
      const volumes = await Promise.all(keptVolumes.map((name) => suite.client.get<Volume>(Resources.persistentVolume, name)));
      return volumes.every((v) => v.spec.persistentVolumeReclaimPolicy === 'Retain') ? true : undefined;
    });
    for (const name of droppedVolumes) expect((await suite.client.get<Volume>(Resources.persistentVolume, name)).spec.persistentVolumeReclaimPolicy).toBe('Delete');

    for (const ns of [kept, dropped]) await suite.client.delete(Resources.namespace, ns);
    await eventually('both namespaces to be gone', async () =>
      ((await gone(Resources.namespace, kept)) && (await gone(Resources.namespace, dropped)) ? true : undefined), 120_000);
    for (const name of keptVolumes) {
      const volume = await suite.client.get<Volume>(Resources.persistentVolume, name);
      expect(volume.status?.phase, name).toBe('Released');
      expect(existsSync(stackVolumePath(volume) ?? '/nonexistent'), `${name}'s data`).toBe(true);
    }
    await eventually('the Delete Gaim\'s volumes to be gone', async () => {
      const left = await Promise.all(droppedVolumes.map((name) => gone(Resources.persistentVolume, name)));
      return left.every(Boolean) ? true : undefined;
    }, 60_000);
  });

  it('leaves no secret value in the operators\' logs, events, statuses or objects', async () => {
    await expectNoLeaks(suite.client, witness);
  });
});
