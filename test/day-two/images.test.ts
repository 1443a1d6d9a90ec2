// Changing a store's image on the stack's real StatefulSet controller: a new image no node can pull
// leaves the pod waiting (ImagePullBackOff, as the stack's kubelet reports for a `.invalid` registry);
// once its startup budget has passed the store fails with the kubelet's words, and reverting the
// image brings it back with nobody deleting a pod — the StatefulSets are Parallel, so the controller
// replaces a pod of the old revision even while it is not ready. And StatefulSets an older operator
// made as OrderedReady (an immutable field) move to Parallel without restarting their pods.
import { describe, expect, it } from 'vitest';
import { PINNED_IMAGES } from '../../src/config/images.js';
import type { KubeObject } from '../../src/kube/objects.js';
import { Resources, type Resource } from '../../src/kube/resources.js';
import { createGaim, gaimStores } from '../support/gaims.js';
import { condition, isSynced, waitForGaim } from '../support/operator.js';
import { createNamespace, eventually } from '../support/stack.js';
import { useSuite } from '../support/suite.js';

type StatefulSet = KubeObject & {
  spec?: { podManagementPolicy?: string; template?: { spec?: { containers?: { image?: string }[] } } };
  status?: { currentRevision?: string; updateRevision?: string; readyReplicas?: number };
};
type Pod = KubeObject & { spec?: { containers?: { image?: string }[] }; status?: { conditions?: { type: string; status: string }[] } };

const BROKEN = 'registry.invalid/redis:7.2.16';

describe('store images', () => {
  const suite = useSuite();
  const pod = (ns: string, name: string) => suite.client.get<Pod>(Resources.pod, name, ns);
  const ready = (p: Pod) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;

  it('fails a store whose new pod is not ready within its startup budget, and recovers when the image is reverted', async () => {
    // A budget of 10 s + 6 s per GiB (2Gi of Redis volume): 30 s, one probe period more before it counts.
    await suite.operator('', { GAIM_STORE_STARTUP_BASE_SECONDS: '10' });
    const ns = await createNamespace('image');
    await createGaim(suite.client, ns, 'img');
    const synced = await waitForGaim(suite.client, ns, 'img', 'to be Synced', isSynced, 120_000);
    // Read once for the image: the server's version and featureCompatibilityVersion (FerretDB says 7.0.x and 7.0).
    expect((synced.status as { mongodbVersion?: unknown }).mongodbVersion).toMatchObject({
      image: PINNED_IMAGES.mongodb, server: expect.stringMatching(/^7\.0\./) as unknown, featureCompatibilityVersion: '7.0', since: expect.any(String) as unknown,
    });
    const stores = await gaimStores(suite.client, ns, 'img');
    await stores.redis.connect();
    await stores.redis.set('written-before-the-image-change', 'kept');
    await stores.close();

    await suite.client.mergePatch(Resources.gaim, 'img', ns, { spec: { redis: { image: BROKEN } } });
    const failed = await waitForGaim(suite.client, ns, 'img', 'to fail its Redis after the startup budget', (g) => g.status?.syncStatus === 'Failed', 120_000);
    expect(failed.status?.errorType).toBe('redis');
    expect(condition(failed, 'RedisReady')).toMatchObject({ status: 'False', reason: 'StartupBudgetExceeded' });
    expect(condition(failed, 'Ready')?.reason).toBe('StartupBudgetExceeded');
    expect(failed.status?.message).toMatch(/^cannot start pod img-redis-0 \(image registry\.invalid\/redis:7\.2\.16\): not ready \d+s after it was created, beyond its startup budget of 30s: /);
    expect(failed.status?.message).toContain(`ImagePullBackOff: Back-off pulling image "${BROKEN}"`);
    expect(condition(failed, 'MongoDBReady')?.status).toBe('True');
    expect((await pod(ns, 'img-redis-0')).spec?.containers?.[0]?.image).toBe(BROKEN);

    // Revert: the spec names no image again. Nobody deletes the broken pod; the controller does.
    await suite.client.mergePatch(Resources.gaim, 'img', ns, { spec: { redis: { image: null } } });
    await waitForGaim(suite.client, ns, 'img', 'to be Synced on the reverted image', isSynced, 120_000);
    // Its pod, replaced by the controller, on the pinned image and Ready (read until it is: on a busy
    // machine a probe can miss once after the Gaim saw the StatefulSet ready).
    const recovered = await eventually('img-redis-0 Ready on the pinned image', async () => {
      const current = await pod(ns, 'img-redis-0');
      return current.spec?.containers?.[0]?.image === PINNED_IMAGES.redis && ready(current) ? current : undefined;
    }, 60_000);
    expect(recovered.spec?.containers?.[0]?.image).toBe(PINNED_IMAGES.redis);
    const sts = await suite.client.get<StatefulSet>(Resources.statefulSet, 'img-redis', ns);
    expect(sts.status?.currentRevision).toBe(sts.status?.updateRevision);
    // The data on the claim came through both restarts.
    const after = await gaimStores(suite.client, ns, 'img');
    await after.redis.connect();
    expect(await after.redis.get('written-before-the-image-change')).toBe('kept');
    await after.close();
  }, 400_000);

  it('moves StatefulSets an older version made OrderedReady to Parallel without restarting their pods or touching their claims', async () => {
    const first = await suite.operator();
    const ns = await createNamespace('policy');
    // deletionPolicy Delete: its claims are owned by the StatefulSets (whenDeleted: Delete), the case
    // where a deletion that is not an orphaning would take the data.
    await createGaim(suite.client, ns, 'pol', { deletionPolicy: 'Delete' });
    await waitForGaim(suite.client, ns, 'pol', 'to be Synced', isSynced, 120_000);
    await first.stop();

    // What an older version left: the same StatefulSets, OrderedReady, applied by the operator's field manager.
    const names = ['pol-mongodb', 'pol-redis'];
    for (const name of names) {
      const { metadata, spec } = await suite.client.get<StatefulSet>(Resources.statefulSet, name, ns);
      await suite.client.delete(Resources.statefulSet, name, ns, { propagationPolicy: 'Orphan' });
      await eventually(`${name} to be gone`, () => suite.client.get(Resources.statefulSet, name, ns).then(() => undefined, () => true));
      await suite.client.apply(Resources.statefulSet, {
        apiVersion: 'apps/v1', kind: 'StatefulSet',
        metadata: { name, namespace: ns, labels: metadata?.labels, annotations: metadata?.annotations, ownerReferences: metadata?.ownerReferences },
        spec: { ...spec, podManagementPolicy: 'OrderedReady' },
      }, { fieldManager: 'gaim-operator' });
    }
    const uids = async (resource: Resource, items: string[]) =>
      Promise.all(items.map(async (name) => (await suite.client.get(resource, name, ns)).metadata?.uid));
    const podNames = names.map((n) => `${n}-0`);
    const claimNames = names.map((n) => `data-${n}-0`).concat('pol-lancedb');
    await eventually('the old-form StatefulSets to adopt their pods and be ready', async () => {
      const sets = await Promise.all(names.map((n) => suite.client.get<StatefulSet>(Resources.statefulSet, n, ns)));
      return sets.every((s) => s.spec?.podManagementPolicy === 'OrderedReady' && s.status?.readyReplicas === 1) ? true : undefined;
    });
    const podsBefore = await uids(Resources.pod, podNames);
    const claimsBefore = await uids(Resources.persistentVolumeClaim, claimNames);

    await suite.operator();
    await eventually('both StatefulSets to be Parallel and ready', async () => {
      const sets = await Promise.all(names.map((n) => suite.client.get<StatefulSet>(Resources.statefulSet, n, ns).catch(() => undefined)));
      return sets.every((s) => s?.spec?.podManagementPolicy === 'Parallel' && s.status?.readyReplicas === 1 && s.status.currentRevision === s.status.updateRevision) ? true : undefined;
    }, 120_000);
    await waitForGaim(suite.client, ns, 'pol', 'to be Synced again', isSynced, 60_000);
    expect(await uids(Resources.pod, podNames)).toEqual(podsBefore);
    expect(await uids(Resources.persistentVolumeClaim, claimNames)).toEqual(claimsBefore);
    for (const name of podNames) {
      const owner = (await pod(ns, name)).metadata?.ownerReferences?.[0];
      const sts = await suite.client.get<StatefulSet>(Resources.statefulSet, name.replace(/-0$/, ''), ns);
      expect(owner?.uid).toBe(sts.metadata?.uid);
    }
  }, 400_000);

  // FerretDB 1.24 reports server 7.0.x on featureCompatibilityVersion 7.0 whatever its "image", and has
  // no setFeatureCompatibilityVersion (CommandNotFound): no major upgrade can run on the stack.
  it.skip('raises the featureCompatibilityVersion after a major upgrade has run healthy for the burn-in — needs a real mongod of two major versions (not on the stack; src/resources/feature-compatibility.test.ts covers the decision and the command)', () => undefined);
});
