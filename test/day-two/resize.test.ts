// Growing volumes in place, on the stack's resizer stand-in (the CSI external-resizer with the PD and
// Filestore drivers' expansion rules) and the stack kubelet's file-system step: the Gaim's larger size
// raises the existing claims' requests, never the StatefulSets' immutable claim templates, and the
// Gaim says how far each resize is until the volumes have what was asked; an expansion a driver refuses
// is backed out by setting the size back.
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/kube/objects.js';
import { Resources } from '../../src/kube/resources.js';
import { kubectl } from '../support/crd.js';
import { createGaim } from '../support/gaims.js';
import { condition, isSynced, recordGaim, settlesQuietly, waitForGaim, type GaimObject } from '../support/operator.js';
import { createNamespace, holdResizes } from '../support/stack.js';
import { useSuite } from '../support/suite.js';

type Claim = KubeObject & { spec: { resources: { requests: { storage: string } }; volumeName?: string }; status?: { capacity?: Record<string, string> } };
type StatefulSet = KubeObject & { spec: { volumeClaimTemplates: { spec: { resources: { requests: { storage: string } } } }[] } };
type Volume = KubeObject & { spec: { capacity: { storage: string } } };
type Event = KubeObject & { reason?: string; note?: string; regarding?: { name?: string } };

const claimsOf = (g: GaimObject) => (g.status as { claims?: { name: string; store: string; requested?: string; capacity?: string }[] } | undefined)?.claims ?? [];

describe('growing volumes', () => {
  const suite = useSuite();
  const events = async (ns: string, reason: string) =>
    (await suite.client.list<Event>(Resources.event, { namespace: ns })).items.filter((e) => e.reason === reason);

  it('grows each store\'s claim in place, shows each step, and reports the new capacity once the volumes have it', async () => {
    await suite.operator();
    const ns = await createNamespace('grow');
    await createGaim(suite.client, ns, 'grow', { mongodb: { storage: '2Gi' }, redis: { storage: '1Gi' } });
    const synced = await waitForGaim(suite.client, ns, 'grow', 'to be Synced', isSynced, 120_000);
    expect(claimsOf(synced)).toEqual(expect.arrayContaining([
      { name: 'data-grow-mongodb-0', store: 'mongodb', requested: '2Gi', capacity: '2Gi' },
      { name: 'data-grow-redis-0', store: 'redis', requested: '1Gi', capacity: '1Gi' },
      { name: 'grow-lancedb', store: 'lancedb', requested: '100Gi', capacity: '100Gi' },
    ]));

    // A slow driver: each step of the resize shows in the Gaim before the next one starts.
    await holdResizes('controller', 'hold', ns);
    await holdResizes('node', 'hold', ns);
    const history = recordGaim(suite.client, ns, 'grow');
    try {
      await suite.client.mergePatch(Resources.gaim, 'grow', ns, { spec: { mongodb: { storage: '3Gi' }, redis: { storage: '2Gi' }, lancedb: { storage: { size: '200Gi' } } } });

      const resizing = await waitForGaim(suite.client, ns, 'grow', 'to show the resizes waiting on the resizer',
        (g) => condition(g, 'MongoDBReady')?.reason === 'Resizing' && condition(g, 'StorageReady')?.reason === 'Resizing');
      expect(resizing.status?.syncStatus).toBe('Progressing');
      expect(condition(resizing, 'MongoDBReady')).toMatchObject({ status: 'False', message: expect.stringContaining('claim data-grow-mongodb-0: capacity 2Gi, requested 3Gi') as unknown });
      expect(claimsOf(resizing)).toContainEqual({ name: 'data-grow-mongodb-0', store: 'mongodb', requested: '3Gi', capacity: '2Gi' });

      // The claims' requests were raised; the StatefulSets' claim templates (immutable) were left alone.
      expect((await suite.client.get<Claim>(Resources.persistentVolumeClaim, 'data-grow-mongodb-0', ns)).spec.resources.requests.storage).toBe('3Gi');
      expect((await suite.client.get<Claim>(Resources.persistentVolumeClaim, 'grow-lancedb', ns)).spec.resources.requests.storage).toBe('200Gi');
      for (const [sts, size] of [['grow-mongodb', '2Gi'], ['grow-redis', '1Gi']] as const) {
        expect((await suite.client.get<StatefulSet>(Resources.statefulSet, sts, ns)).spec.volumeClaimTemplates[0]?.spec.resources.requests.storage).toBe(size);
      }

      // The resizer grows the volumes: Filestore (NFS) is done at once; PD waits for the kubelet's file-system step.
      await holdResizes('controller', 'release', ns);
      const pending = await waitForGaim(suite.client, ns, 'grow', 'to show the file-system step pending',
        (g) => condition(g, 'MongoDBReady')?.reason === 'FileSystemResizePending' && condition(g, 'RedisReady')?.reason === 'FileSystemResizePending'
          && condition(g, 'StorageReady')?.status === 'True');
      expect(claimsOf(pending)).toContainEqual({ name: 'grow-lancedb', store: 'lancedb', requested: '200Gi', capacity: '200Gi' });

      await holdResizes('node', 'release', ns);
      const grown = await waitForGaim(suite.client, ns, 'grow', 'to be Synced with the new capacities', (g) =>
        isSynced(g) && claimsOf(g).find((c) => c.store === 'mongodb')?.capacity === '3Gi' && claimsOf(g).find((c) => c.store === 'redis')?.capacity === '2Gi');
      expect(claimsOf(grown)).toEqual(expect.arrayContaining([
        { name: 'data-grow-mongodb-0', store: 'mongodb', requested: '3Gi', capacity: '3Gi' },
        { name: 'data-grow-redis-0', store: 'redis', requested: '2Gi', capacity: '2Gi' },
        { name: 'grow-lancedb', store: 'lancedb', requested: '200Gi', capacity: '200Gi' },
      ]));
      const mongoClaim = await suite.client.get<Claim>(Resources.persistentVolumeClaim, 'data-grow-mongodb-0', ns);
      expect((await suite.client.get<Volume>(Resources.persistentVolume, mongoClaim.spec.volumeName ?? '')).spec.capacity.storage).toBe('3Gi');
    } finally {
      history.stop();
      await holdResizes('controller', 'release', ns);
      await holdResizes('node', 'release', ns);
    }
    expect(history.versions.some((g) => g.status?.syncStatus === 'Failed')).toBe(false);
    expect((await events(ns, 'VolumeExpansionRequested')).map((e) => e.note).sort()).toEqual([
      'claim data-grow-mongodb-0: requested 3Gi (was 2Gi)', 'claim data-grow-redis-0: requested 2Gi (was 1Gi)', 'claim grow-lancedb: requested 200Gi (was 100Gi)',
    ]);
    expect((await events(ns, 'FileSystemResizeSuccessful')).some((e) => e.regarding?.name === 'data-grow-mongodb-0')).toBe(true);
    expect((await events(ns, 'VolumeResizeSuccessful')).some((e) => e.regarding?.name === 'grow-lancedb')).toBe(true);
  });

  it('is refused by the API server when a size shrinks, with the message that volumes only grow', async () => {
    const ns = await createNamespace('shrink');
    await createGaim(suite.client, ns, 'shrink', { mongodb: { storage: '5Gi' } });
    const result = await kubectl(['patch', 'gaim', 'shrink', '-n', ns, '--type=merge', '-p', JSON.stringify({ spec: { mongodb: { storage: '4Gi' } } })]);
    expect(result.ok).toBe(false);
    expect(result.output).toContain('spec.mongodb.storage');
    expect(result.output).toContain('volumes only grow');
  });

  it('backs out an expansion the driver refuses: the request goes down above the capacity, or stays at the capacity, and the Gaim is Synced', async () => {
    const operator = await suite.operator();
    const ns = await createNamespace('backout');
    await createGaim(suite.client, ns, 'back', { mongodb: { storage: '2Gi' } });
    await waitForGaim(suite.client, ns, 'back', 'to be Synced', isSynced, 120_000);
    const request = async (claim: string) => (await suite.client.get<Claim>(Resources.persistentVolumeClaim, claim, ns)).spec.resources.requests.storage;

    // Beyond what the drivers take: a persistent disk above 64 TiB, a multishare share above 1 TiB.
    await suite.client.mergePatch(Resources.gaim, 'back', ns, { spec: { mongodb: { storage: '100Ti' }, lancedb: { storage: { size: '2Ti' } } } });
    const failed = await waitForGaim(suite.client, ns, 'back', 'to fail on the refused expansion', (g) => g.status?.syncStatus === 'Failed');
    expect(failed.status).toMatchObject({ errorType: 'storage', message: expect.stringContaining('to back out') as unknown });
    expect(condition(failed, 'Ready')?.reason).toBe('VolumeResizeFailed');

    // Below the capacity is still a shrink, refused by the API server.
    const shrink = await kubectl(['patch', 'gaim', 'back', '-n', ns, '--type=merge', '-p', JSON.stringify({ spec: { mongodb: { storage: '1Gi' } } })]);
    expect(shrink.ok).toBe(false);
    expect(shrink.output).toContain('volumes only grow');

    // Backed out: MongoDB's to a size above its capacity (its request goes down, and the disk grows to
    // it); LanceDB's to the capacity it has (the API server keeps a request above the capacity, so the
    // refused one stays on the claim, and the share keeps what it has).
    await suite.client.mergePatch(Resources.gaim, 'back', ns, { spec: { mongodb: { storage: '3Gi' }, lancedb: { storage: { size: '100Gi' } } } });
    const backed = await waitForGaim(suite.client, ns, 'back', 'to be Synced again', (g) => isSynced(g) && claimsOf(g).find((c) => c.store === 'mongodb')?.capacity === '3Gi', 120_000);
    expect(claimsOf(backed)).toEqual(expect.arrayContaining([
      { name: 'data-back-mongodb-0', store: 'mongodb', requested: '3Gi', capacity: '3Gi' },
      { name: 'back-lancedb', store: 'lancedb', requested: '2Ti', capacity: '100Gi' },
    ]));
    expect(await request('data-back-mongodb-0')).toBe('3Gi');
    expect(await request('back-lancedb')).toBe('2Ti');
    expect((await events(ns, 'VolumeExpansionRequested')).map((e) => e.note)).toContain('claim data-back-mongodb-0: requested 3Gi (was 100Ti; an expansion backed out, the volume has 2Gi)');
    // A request left above the capacity is no reason to keep reconciling.
    await settlesQuietly(operator, [`${ns}/back`]);
  });

  it('fails the Gaim with errorType storage, naming the class, when the class cannot expand, and changes nothing', async () => {
    // A platform team's own class, with the Filestore driver and no expansion.
    const className = `fixed-${Math.random().toString(36).slice(2, 8)}`;
    await suite.client.create(Resources.storageClass, {
      apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: className },
      provisioner: 'filestore.csi.storage.gke.io', parameters: { tier: 'standard', network: 'default' },
      reclaimPolicy: 'Delete', volumeBindingMode: 'WaitForFirstConsumer', allowVolumeExpansion: false,
    });
    try {
      await suite.operator();
      const ns = await createNamespace('fixed');
      await createGaim(suite.client, ns, 'fixed', { lancedb: { storage: { storageClassName: className, size: '100Gi' } } });
      await waitForGaim(suite.client, ns, 'fixed', 'to be Synced', isSynced, 120_000);
      await suite.client.mergePatch(Resources.gaim, 'fixed', ns, { spec: { lancedb: { storage: { size: '200Gi' } } } });
      const failed = await waitForGaim(suite.client, ns, 'fixed', 'to fail on the class', (g) => g.status?.syncStatus === 'Failed');
      expect(failed.status?.errorType).toBe('storage');
      expect(condition(failed, 'Ready')?.reason).toBe('VolumeExpansionNotAllowed');
      expect(failed.status?.message).toBe(`cannot grow claim fixed-lancedb to 200Gi: its StorageClass ${className} does not allow volume expansion (allowVolumeExpansion is not true); nothing was changed`);
      expect((await suite.client.get<Claim>(Resources.persistentVolumeClaim, 'fixed-lancedb', ns)).spec.resources.requests.storage).toBe('100Gi');
      expect(await events(ns, 'VolumeExpansionRequested')).toEqual([]);
    } finally {
      await suite.client.delete(Resources.storageClass, className).catch(() => undefined);
    }
  });
});
