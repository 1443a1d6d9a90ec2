// Day one on a stack as strict as GKE: StorageClasses that bind on first consumer, new shares owned
// by root with mode 0755, seed containers run as their securityContext's user with no fsGroup on the
// share, store pods that initialise from the credentials the operator generates, and the operator
// running as the chart's ServiceAccount in namespaces with Pod Security labels.
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/kube/objects.js';
import { Resources } from '../../src/kube/resources.js';
import { samples } from '../api/cases.js';
import { createGaim, createGaimOnBlockedShare, gaimStores } from '../support/gaims.js';
import { condition, isSynced, waitForGaim } from '../support/operator.js';
import { createNamespace, eventually, stackEnv } from '../support/stack.js';
import { useSuite } from '../support/suite.js';
import { stackVolumePath } from '../../stack/provisioner.js';

type Claim = KubeObject & { spec: { volumeName?: string }; status?: { phase?: string; capacity?: Record<string, string> } };
type Volume = KubeObject & { spec: { hostPath?: { path: string }; csi?: { volumeAttributes?: Record<string, string> }; nfs?: { server: string; path: string } } };
type Job = KubeObject & { status?: { succeeded?: number; failed?: number } };

describe('day one on GKE', () => {
  const suite = useSuite();

  /** Where the stack keeps the files of a Gaim's LanceDB claim: its PersistentVolume's directory or NFS export. */
  const shareOf = async (ns: string, gaim: string) => {
    const claim = await suite.client.get<Claim>(Resources.persistentVolumeClaim, `${gaim}-lancedb`, ns);
    const volume = await suite.client.get<Volume>(Resources.persistentVolume, claim.spec.volumeName ?? '');
    return stackVolumePath(volume) ?? join(stackEnv().STACK_VOLUMES, 'nfs', volume.spec.nfs?.server ?? '', volume.spec.nfs?.path ?? '');
  };
  const seedJobs = async (ns: string) =>
    (await suite.client.list<Job>(Resources.job, { namespace: ns, labelSelector: 'app.kubernetes.io/component=seed' })).items;

  it('reaches Synced for every sample, each in a new namespace, with the credentials the operator generated', async () => {
    await suite.operator();
    const applied = await Promise.all(samples().map(async ({ file, manifest }) => {
      // In the namespace each sample names (as its comment says: kubectl create namespace <name>).
      const ns = await createNamespace(manifest.metadata.name, 'baseline', { exactName: true });
      await suite.client.create(Resources.gaim, { ...manifest, metadata: { ...manifest.metadata, namespace: ns } });
      return { file, ns, name: manifest.metadata.name };
    }));
    expect(applied.map((a) => a.file)).toEqual(['full.yaml', 'minimal.yaml', 'multi-environment.yaml', 'static-nfs.yaml']);
    for (const { ns, name, file } of applied) {
      const synced = await waitForGaim(suite.client, ns, name, `(${file}) to be Synced`, isSynced, 180_000);
      // FerretDB cannot give the app user roles: said in Seeded, never silently Synced.
      expect(condition(synced, 'Seeded')).toMatchObject({ status: 'True', reason: 'AppUserUnsupported' });

      // The credentials are the operator's own, and they open the stores their pods initialised.
      const secret = await suite.client.get<KubeObject & { metadata: { ownerReferences?: unknown[] } }>(Resources.secret, `${name}-mongodb-credentials`, ns);
      expect(secret.metadata.ownerReferences).toHaveLength(1);
      const stores = await gaimStores(suite.client, ns, name);
      try {
        expect((await stores.mongo.db('admin').command({ ping: 1 }))['ok']).toBe(1);
        expect(await stores.redis.ping()).toBe('PONG');
      } finally {
        await stores.close();
      }

      // Each environment's directory belongs to the storage uid/gid, group-writable with setgid; so does what the seed made in it.
      const share = await shareOf(ns, name);
      for (const env of (synced.spec as { environments: string[] }).environments) {
        const dir = await stat(join(share, env));
        expect({ uid: dir.uid, gid: dir.gid, setgid: (dir.mode & 0o2000) !== 0, groupWrite: (dir.mode & 0o020) !== 0 }, `${file} ${env}`)
          .toEqual({ uid: 1000, gid: 1000, setgid: true, groupWrite: true });
        const table = await stat(join(share, env, 'knowledge', 'knowledge_text.lance'));
        expect({ uid: table.uid, gid: table.gid }).toEqual({ uid: 1000, gid: 1000 });
      }
      // The share itself was handed out as Filestore hands out a new one: root's, 0755.
      const root = await stat(share);
      expect({ uid: root.uid, mode: root.mode & 0o7777 }).toEqual({ uid: 0, mode: 0o755 });
    }

    // WaitForFirstConsumer: the dynamic LanceDB claims were bound only once the seed Job's pod was scheduled.
    const minimal = applied.find((a) => a.file === 'minimal.yaml');
    const claim = await suite.client.get<Claim>(Resources.persistentVolumeClaim, 'marvin-lancedb', minimal?.ns ?? '');
    expect(claim.metadata?.annotations?.['volume.kubernetes.io/selected-node']).toBe('stack-node');
    expect(claim.status?.phase).toBe('Bound');
  }, 780_000); // four samples, each given up to 180 s to be Synced

  it('keeps a store\'s users when its pod starts again on existing data, as the official image does', async () => {
    await suite.operator();
    const ns = await createNamespace('restart');
    await createGaim(suite.client, ns, 'again');
    await waitForGaim(suite.client, ns, 'again', 'to be Synced', isSynced, 120_000);
    const secretName = 'again-mongodb-credentials';
    const original = await suite.client.get<KubeObject & { data: Record<string, string> }>(Resources.secret, secretName, ns);
    // Someone changes the password in the Secret: the store must not take it on a restart (its data has its users).
    await suite.client.mergePatch(Resources.secret, secretName, ns, { stringData: { 'root-password': 'a-password-the-store-never-saw' } });
    const pods = await suite.client.list(Resources.pod, { namespace: ns, labelSelector: 'app.kubernetes.io/component=mongodb' });
    const before = pods.items[0]?.metadata?.uid;
    await suite.client.delete(Resources.pod, pods.items[0]?.metadata?.name ?? '', ns);
    await eventually('the MongoDB pod to be Ready again', async () => {
      const now = (await suite.client.list<KubeObject & { status?: { conditions?: { type: string; status: string }[] } }>(Resources.pod, { namespace: ns, labelSelector: 'app.kubernetes.io/component=mongodb' })).items[0];
      return now !== undefined && now.metadata?.uid !== before && now.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ? true : undefined;
    }, 60_000);
    // The old password still opens it; the new one does not.
    await suite.client.mergePatch(Resources.secret, secretName, ns, { data: { 'root-password': original.data['root-password'] } });
    const stores = await gaimStores(suite.client, ns, 'again');
    try {
      expect((await stores.mongo.db('admin').command({ ping: 1 }))['ok']).toBe(1);
    } finally {
      await stores.close();
    }
    await suite.client.mergePatch(Resources.secret, secretName, ns, { stringData: { 'root-password': 'a-password-the-store-never-saw' } });
    const refused = await gaimStores(suite.client, ns, 'again');
    try {
      await expect(refused.mongo.db('admin').command({ listDatabases: 1 })).rejects.toThrow(/auth/i);
    } finally {
      await refused.close();
    }
  });

  it('fails with SharePermissionDenied, naming the uid and the path, on a root-owned share when the preparation step is off', async () => {
    // Off, as for a namespace that enforces restricted: the seed Job's pod then passes it.
    await suite.operator('', { GAIM_PREPARE_SHARES: 'false' });
    const ns = await createNamespace('noprep', 'restricted');
    await createGaim(suite.client, ns, 'locked');
    const failed = await waitForGaim(suite.client, ns, 'locked', 'to fail on the share', (g) => g.status?.errorType === 'storage', 120_000);
    expect(condition(failed, 'Ready')?.reason).toBe('SharePermissionDenied');
    expect(failed.status?.message).toMatch(/cannot write \S*\/stage as uid 1000, gid 1000: permission denied/);
    const job = (await seedJobs(ns))[0] as KubeObject & { spec: { template: { spec: { initContainers?: unknown[] } } } } | undefined;
    expect(job?.spec.template.spec.initContainers).toBeUndefined();
  });

  it('retries a failed seed Job with a new one: by itself at the next retry once the cause is gone, and at once on retry-now', async () => {
    await suite.operator('', { GAIM_BACKOFF_BASE_MS: '2000', GAIM_BACKOFF_CAP_MS: '4000' });
    const ns = await createNamespace('retry');
    const share = await createGaimOnBlockedShare(suite.client, ns, 'phoenix');
    const failing = await waitForGaim(suite.client, ns, 'phoenix', 'to fail twice', (g) =>
      g.status?.errorType === 'storage' && ((g.status as { retryCount?: number }).retryCount ?? 0) >= 2, 120_000);
    expect(condition(failing, 'Ready')?.reason).toBe('SharePreparationFailed');
    expect(failing.status?.message).toContain('exists and is not a directory');
    // Each attempt is a Job of its own; only the newest failed one is kept for inspection.
    const whileFailing = await seedJobs(ns);
    expect(whileFailing.length).toBeLessThanOrEqual(2);
    expect(whileFailing.every((j) => (j.status?.failed ?? 0) > 0 || (j.status?.succeeded ?? 0) === 0)).toBe(true);

    await share.unblock();
    await waitForGaim(suite.client, ns, 'phoenix', 'to be Synced at the next retry, by itself', isSynced, 60_000);
    const jobs = await seedJobs(ns);
    expect(jobs.map((j) => j.status?.succeeded ?? 0)).toEqual([1]); // the failed attempts are gone
    expect(Number(jobs[0]?.metadata?.labels?.['gaim.livingcontent.io/seed-attempt'])).toBeGreaterThanOrEqual(3);
  });

  it('retries a failed seed Job at once when asked (retry-now), whatever the backoff says', async () => {
    await suite.operator('', { GAIM_BACKOFF_BASE_MS: '600000', GAIM_BACKOFF_CAP_MS: '600000' });
    const ns = await createNamespace('retrynow');
    const share = await createGaimOnBlockedShare(suite.client, ns, 'lazarus');
    const failed = await waitForGaim(suite.client, ns, 'lazarus', 'to fail once', (g) => g.status?.errorType === 'storage', 120_000);
    expect(Date.parse((failed.status as { nextRetryAt?: string }).nextRetryAt ?? '') - Date.now()).toBeGreaterThan(5 * 60_000);
    await share.unblock();
    await suite.client.mergePatch(Resources.gaim, 'lazarus', ns, { metadata: { annotations: { 'gaim.livingcontent.io/retry-now': 'now-1' } } });
    await waitForGaim(suite.client, ns, 'lazarus', 'to be Synced after retry-now', (g) => isSynced(g) && (g.status as { retryNowHandled?: string }).retryNowHandled === 'now-1', 60_000);
  });

  it('says why a claim stays Pending: the provisioner\'s refusal of a size outside the class\'s limits', async () => {
    await suite.operator();
    const ns = await createNamespace('small');
    await createGaim(suite.client, ns, 'tiny', { lancedb: { storage: { storageClassName: 'enterprise-multishare-rwx', size: '50Gi' } } });
    const pending = await waitForGaim(suite.client, ns, 'tiny', 'to say why its claim is Pending',
      (g) => (condition(g, 'StorageReady')?.message ?? '').includes('ProvisioningFailed'), 90_000);
    expect(condition(pending, 'StorageReady')).toMatchObject({ status: 'False', reason: 'ClaimPending' });
    expect(condition(pending, 'StorageReady')?.message).toContain('Request bytes 53687091200 is less than minimum share size bytes 107374182400');
    expect(pending.status?.syncStatus).toBe('Progressing');
  });

  it('says why the seed Job gets no pod in a namespace that enforces restricted while the preparation step is on', async () => {
    await suite.operator();
    const ns = await createNamespace('strict', 'restricted');
    await createGaim(suite.client, ns, 'strict');
    const waiting = await waitForGaim(suite.client, ns, 'strict', 'to say why seeding waits',
      (g) => (condition(g, 'Seeded')?.message ?? '').includes('violates PodSecurity'), 120_000);
    expect(condition(waiting, 'Seeded')?.message).toContain('FailedCreate');
    expect(condition(waiting, 'Seeded')?.message).toContain('restricted:latest');
  });
});

