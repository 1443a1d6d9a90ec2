// Provisioning in the local stack: the real operator turns a Gaim into Ready StatefulSets (pods made
// Ready by kwok), a Bound LanceDB claim and Ready=True; reverts drift; writes nothing when nothing
// changed; keeps credentials; deletes by the deletion policy.
import { beforeAll, describe, expect, it } from 'vitest';
import { PINNED_IMAGES } from '../../src/config/images.js';
import { isNotFound } from '../../src/kube/errors.js';
import type { KubeObject } from '../../src/kube/objects.js';
import { Resources, type Resource } from '../../src/kube/resources.js';
import { Message } from '../../src/messages.js';
import { installCrd } from '../support/crd.js';
import { createGaim } from '../support/gaims.js';
import { apiWrites, condition, isSynced, reconcileCount, settlesQuietly, waitForGaim } from '../support/operator.js';
import { createNamespace, eventually } from '../support/stack.js';
import { useSuite } from '../support/suite.js';

type Sts = KubeObject & { spec: { template: { spec: { containers: { image: string; resources: { requests: Record<string, string> } }[] } } } };
type Secret = KubeObject & { data: Record<string, string> };

describe('provisioning', () => {
  const suite = useSuite();
  const exists = async (resource: Resource, name: string, ns?: string) =>
    suite.client.get(resource, name, ns).then(() => true, (e: unknown) => { if (isNotFound(e)) return false; throw e; });
  const listed = async (resource: Resource, ns: string) =>
    (await suite.client.list(resource, { namespace: ns, labelSelector: 'app.kubernetes.io/managed-by=gaim-operator' })).items;

  beforeAll(async () => { await installCrd(); });

  it('provisions a Gaim to Ready, reverts drift, follows a tier change, and makes no write when nothing changed', async () => {
    const ns = await createNamespace('prov');
    const operator = await suite.operator();
    await createGaim(suite.client, ns, 'marvin');
    // Synced, and the queue prober's first sample in (within GAIM_QUEUE_SAMPLE_SECONDS of Redis being
    // ready): until then its first status write is still to come, a change like any other.
    const synced = await waitForGaim(suite.client, ns, 'marvin', 'to be Synced with its first queue sample',
      (g) => isSynced(g) && condition(g, 'QueuesHealthy') !== undefined);
    expect(synced.status?.conditions?.map((c) => `${c.type}=${c.status}/${c.reason}`)).toEqual([
      'Ready=True/Ready', 'MongoDBReady=True/Ready', 'RedisReady=True/Ready', 'StorageReady=True/ClaimBound', 'Seeded=True/AppUserUnsupported', 'FirestoreSynced=True/FirestoreWritten',
      'QueuesHealthy=True/Healthy',
    ]);
    expect(synced.status?.endpoints).toEqual({
      mongodb: `marvin-mongodb.${ns}.svc.cluster.local:27017`, redis: `marvin-redis.${ns}.svc.cluster.local:6379`, lancedbClaim: 'marvin-lancedb',
    });
    expect(synced.metadata?.finalizers).toEqual(['gaim.livingcontent.io/cleanup']);
    const claim = await suite.client.get<KubeObject & { status: { phase: string } }>(Resources.persistentVolumeClaim, 'marvin-lancedb', ns);
    expect(claim.status.phase).toBe('Bound');

    // Nothing changed: reconciles (forced by touching an annotation) write nothing. Measured once the
    // operator has settled (on a loaded machine, caches may still be catching up with its last writes).
    // One poke at a time, each waited for: pokes sent together reach the work queue while the key is
    // still queued or in flight and fold into one or two reconciles (CI saw fewer than three in 60 s).
    // The writes are read after the operator settles again, so a late reconcile's write is not missed.
    await settlesQuietly(operator, [`${ns}/marvin`]);
    const writes = await apiWrites(operator);
    for (let i = 0; i < 3; i++) {
      const reconciles = await reconcileCount(operator, `${ns}/marvin`);
      await suite.client.mergePatch(Resources.gaim, 'marvin', ns, { metadata: { annotations: { 'test/poke': String(i) } } });
      await eventually(`the reconcile of poke ${String(i + 1)}`, async () => ((await reconcileCount(operator, `${ns}/marvin`)) > reconciles ? true : undefined));
    }
    await settlesQuietly(operator, [`${ns}/marvin`]);
    expect(await apiWrites(operator)).toBe(writes);

    // Drift: a deleted Service and a hand-edited StatefulSet come back.
    await suite.client.delete(Resources.service, 'marvin-redis', ns);
    await suite.client.mergePatch(Resources.statefulSet, 'marvin-mongodb', ns, { spec: { template: { spec: { containers: [{ name: 'mongodb', image: 'mongo:6.0' }] } } } });
    await eventually('the Service to come back', async () => ((await exists(Resources.service, 'marvin-redis', ns)) ? true : undefined));
    await eventually('the StatefulSet image to be reverted', async () => {
      const sts = await suite.client.get<Sts>(Resources.statefulSet, 'marvin-mongodb', ns);
      return sts.spec.template.spec.containers[0]?.image === PINNED_IMAGES.mongodb ? true : undefined;
    });

    // A tier change updates resources, and the Gaim is Synced again at the new generation.
    await suite.client.mergePatch(Resources.gaim, 'marvin', ns, { spec: { tier: 'medium' } });
    await eventually('medium resources on the MongoDB StatefulSet', async () => {
      const sts = await suite.client.get<Sts>(Resources.statefulSet, 'marvin-mongodb', ns);
      return sts.spec.template.spec.containers[0]?.resources.requests['memory'] === '2Gi' ? true : undefined;
    });
    await eventually('medium resources on the Redis StatefulSet', async () => {
      const redis = await suite.client.get<Sts>(Resources.statefulSet, 'marvin-redis', ns);
      return JSON.stringify(redis.spec.template.spec.containers[0]?.resources.requests) === JSON.stringify({ cpu: '250m', memory: '1Gi' }) ? true : undefined;
    });
    await waitForGaim(suite.client, ns, 'marvin', 'to be Synced at generation 2', (g) => isSynced(g) && g.metadata?.generation === 2);
  });

  it('keeps credentials across reconciles and operator restarts', async () => {
    const ns = await createNamespace('prov-secret');
    let operator = await suite.operator();
    await createGaim(suite.client, ns, 'secrets');
    await waitForGaim(suite.client, ns, 'secrets', 'to be Synced', isSynced);
    const before = await Promise.all(['secrets-mongodb-credentials', 'secrets-redis-credentials'].map((n) => suite.client.get<Secret>(Resources.secret, n, ns)));
    expect(Object.keys(before[0]?.data ?? {}).sort()).toEqual(['app-password', 'app-username', 'root-password', 'root-username']);

    await operator.stop();
    operator = await suite.operator();
    const reconciles = await eventually('the new operator to reconcile', async () => {
      const count = await reconcileCount(operator, `${ns}/secrets`);
      return count > 0 ? count : undefined;
    });
    await suite.client.mergePatch(Resources.gaim, 'secrets', ns, { spec: { tier: 'large' } });
    await eventually('a reconcile of the change', async () => ((await reconcileCount(operator, `${ns}/secrets`)) > reconciles ? true : undefined));
    // Synced again at the new generation: the stores still accept the credentials generated first.
    await waitForGaim(suite.client, ns, 'secrets', 'to be Synced after the change', (g) => isSynced(g) && g.status?.observedGeneration === 2);
    const after = await Promise.all(['secrets-mongodb-credentials', 'secrets-redis-credentials'].map((n) => suite.client.get<Secret>(Resources.secret, n, ns)));
    expect(after.map((s) => s.data)).toEqual(before.map((s) => s.data));
    expect(after.map((s) => s.metadata?.resourceVersion)).toEqual(before.map((s) => s.metadata?.resourceVersion));
  });

  it('with deletionPolicy Retain keeps claims, volumes and Secrets (without owners) and removes the workloads', async () => {
    const ns = await createNamespace('prov-retain');
    await suite.operator();
    await createGaim(suite.client, ns, 'keeper', { lancedb: { storage: { nfs: { server: '10.0.0.2', path: `/vol1/gaims/${ns}` } } } });
    await waitForGaim(suite.client, ns, 'keeper', 'to be Synced', isSynced);
    const volume = `gaim-${ns}-keeper-lancedb`;
    expect(await exists(Resources.persistentVolume, volume)).toBe(true);

    await suite.client.delete(Resources.gaim, 'keeper', ns);
    await eventually('the Gaim to be gone', async () => ((await exists(Resources.gaim, 'keeper', ns)) ? undefined : true));
    await eventually('the workloads to be collected', async () =>
      ((await listed(Resources.statefulSet, ns)).length === 0 && (await listed(Resources.service, ns)).length === 0
        && (await listed(Resources.configMap, ns)).length === 0 && (await listed(Resources.networkPolicy, ns)).length === 0) ? true : undefined);

    const claims = await listed(Resources.persistentVolumeClaim, ns);
    expect(claims.map((c) => c.metadata?.name).sort()).toEqual(['data-keeper-mongodb-0', 'data-keeper-redis-0', 'keeper-lancedb']);
    const secrets = await listed(Resources.secret, ns);
    expect(secrets.map((s) => s.metadata?.name).sort()).toEqual(['keeper-mongodb-credentials', 'keeper-redis-credentials']);
    for (const kept of [...claims, ...secrets]) expect(kept.metadata?.ownerReferences ?? []).toEqual([]);
    const pv = await suite.client.get<KubeObject & { status: { phase: string } }>(Resources.persistentVolume, volume);
    expect(pv.status.phase).toBe('Bound'); // still bound to the kept claim
  });

  it('with deletionPolicy Delete leaves no claim, volume or Secret behind', async () => {
    const ns = await createNamespace('prov-delete');
    await suite.operator();
    await createGaim(suite.client, ns, 'goner', { deletionPolicy: 'Delete', lancedb: { storage: { nfs: { server: '10.0.0.2', path: `/vol1/gaims/${ns}` } } } });
    await waitForGaim(suite.client, ns, 'goner', 'to be Synced', isSynced);
    await suite.client.delete(Resources.gaim, 'goner', ns);
    await eventually('everything to be gone', async () => {
      const left = [
        ...(await listed(Resources.persistentVolumeClaim, ns)), ...(await listed(Resources.secret, ns)),
        ...(await listed(Resources.statefulSet, ns)), ...(await listed(Resources.service, ns)),
      ];
      const volume = await exists(Resources.persistentVolume, `gaim-${ns}-goner-lancedb`);
      return left.length === 0 && !volume && !(await exists(Resources.gaim, 'goner', ns)) ? true : undefined;
    });
  });

  it('refuses a second Gaim in the same namespace without touching anything', async () => {
    const ns = await createNamespace('prov-conflict');
    await suite.operator();
    await createGaim(suite.client, ns, 'first');
    await waitForGaim(suite.client, ns, 'first', 'to be Synced', isSynced);
    await createGaim(suite.client, ns, 'second');
    const refused = await waitForGaim(suite.client, ns, 'second', 'to fail with a conflict', (g) => g.status?.syncStatus === 'Failed');
    expect(refused.status?.errorType).toBe('conflict');
    expect(refused.status?.message).toBe(Message.namespaceTaken(ns, 'first'));
    expect(refused.status?.conditions?.find((c) => c.type === 'Ready')?.reason).toBe('NamespaceConflict');
    const names = [...(await listed(Resources.statefulSet, ns)), ...(await listed(Resources.secret, ns)), ...(await listed(Resources.persistentVolumeClaim, ns))]
      .map((o) => o.metadata?.name ?? '');
    expect(names.filter((n) => n.startsWith('second'))).toEqual([]);
  });

  it('with suspend makes no change and says so', async () => {
    const ns = await createNamespace('prov-suspend');
    const operator = await suite.operator();
    await createGaim(suite.client, ns, 'sleepy');
    await waitForGaim(suite.client, ns, 'sleepy', 'to be Synced', isSynced);
    await suite.client.mergePatch(Resources.gaim, 'sleepy', ns, { spec: { suspend: true } });
    const suspended = await waitForGaim(suite.client, ns, 'sleepy', 'to report suspension', (g) => condition(g, 'Ready')?.reason === 'Suspended');
    expect(condition(suspended, 'Ready')?.message).toContain('suspend');
    // The deleted Service is an owned object: its deletion, and the poke, each make a reconcile that must do nothing.
    const reconciles = await reconcileCount(operator, `${ns}/sleepy`);
    await suite.client.delete(Resources.service, 'sleepy-redis', ns);
    await eventually('the reconcile the deletion causes', async () => ((await reconcileCount(operator, `${ns}/sleepy`)) >= reconciles + 1 ? true : undefined));
    await suite.client.mergePatch(Resources.gaim, 'sleepy', ns, { metadata: { annotations: { 'test/poke': '1' } } });
    await eventually('the reconcile the poke causes', async () => ((await reconcileCount(operator, `${ns}/sleepy`)) >= reconciles + 2 ? true : undefined));
    expect(await exists(Resources.service, 'sleepy-redis', ns)).toBe(false);
    await suite.client.mergePatch(Resources.gaim, 'sleepy', ns, { spec: { suspend: false } });
    await eventually('the Service to come back after resuming', async () => ((await exists(Resources.service, 'sleepy-redis', ns)) ? true : undefined));
  });
});

