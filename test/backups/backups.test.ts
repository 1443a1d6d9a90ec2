// Backups and restore on the stack's real snapshot-controller (external-snapshotter), with the
// stack's stand-in for the CSI drivers' snapshot side (stack/snapshotter.ts, GKE's rules):
// every sample Gaim — all on Filestore multishare — is backed up and restored with its data and its
// credentials; the shares of one Filestore instance are backed up one at a time; a restore refuses a
// backup of another gaimId; a schedule keeps `keep` backups. When things go wrong (a final backup, a
// claim that cannot be snapshotted, a stale cache, a killed operator): backup-faults.test.ts. What
// outlives a namespace, and moves between clusters: outlive.test.ts.
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/kube/objects.js';
import { Resources } from '../../src/kube/resources.js';
import { SELECTED_NODE } from '../../stack/provisioner.js';
import { STACK_NODE } from '../../stack/stack.js';
import { backupObject, expectData, kubectlGaim, sample, waitForBackup, waitForRecord, writeData, type Backup } from '../support/backups.js';
import { createGaim } from '../support/gaims.js';
import { condition, isSynced, waitForGaim } from '../support/operator.js';
import { createNamespace, eventually, holdSnapshots } from '../support/stack.js';
import { useSuite } from '../support/suite.js';

/** A Filestore instance class the stand-in can snapshot (multishare shares cannot be). */
const SNAPSHOTTABLE = { lancedb: { storage: { storageClassName: 'standard-rwx', size: '100Gi' } } };
type Event = KubeObject & { reason?: string; note?: string };

describe('backups and restore', () => {
  const suite = useSuite();
  const waitFor = (ns: string, name: string, phase: string, timeoutMs?: number) => waitForBackup(suite.client, ns, name, phase, timeoutMs);
  const eventsIn = async (ns: string) => (await suite.client.list<Event>(Resources.event, { namespace: ns })).items;

  it('backs up every sample Gaim (Filestore multishare) and restores it with its data and its credentials, in its namespace or another', async () => {
    await suite.operator();
    const samples = ['minimal.yaml', 'multi-environment.yaml', 'full.yaml'];
    await Promise.all(samples.map(async (file, i) => {
      const ns = await createNamespace(`sample-${String(i)}`);
      const manifest = await sample(file, ns);
      const { name } = manifest.metadata;
      const env = manifest.spec.environments[0] ?? 'stage';
      await suite.client.create(Resources.gaim, manifest);
      await waitForGaim(suite.client, ns, name, `${file} to be Synced`, isSynced, 240_000);
      const marker = await writeData(suite.client, ns, name, env);

      await suite.client.create(Resources.gaimBackup, backupObject(ns, `${name}-1`, name));
      const backup = await waitFor(ns, `${name}-1`, 'Completed', 180_000);
      expect(backup.status?.claims?.map((c) => [c.store, c.readyToUse])).toEqual([['mongodb', true], ['redis', true], ['lancedb', true]]);
      expect(backup.status?.method).toBe('VolumeSnapshot');
      expect(backup.status?.notes).toContain('each claim snapshotted on its own, a moment apart (no VolumeGroupSnapshot: GKE\'s Persistent Disk and Filestore drivers have none)');
      const record = await waitForRecord(suite.client, `${ns}.${name}-1`);
      expect(backup.status?.record).toBe(record.metadata?.name);
      // The snapshots outlive their VolumeSnapshots: every content the backup made is kept.
      for (const s of record.spec.snapshots ?? []) {
        const content = await suite.client.get<KubeObject & { spec?: { deletionPolicy?: string } }>(Resources.volumeSnapshotContent, s.volumeSnapshotContent ?? '');
        expect(content.spec?.deletionPolicy, `${s.store}'s content`).toBe('Retain');
      }

      // The first sample comes back in its own namespace after that was deleted (by the backup's name);
      // the others in a namespace of their own, allowed on the record.
      let target = ns;
      let restoreFrom: Record<string, string> = { backup: `${name}-1` };
      if (i === 0) {
        await suite.client.delete(Resources.namespace, ns);
        await eventually(`namespace ${ns} to be gone`, () => suite.client.get(Resources.namespace, ns).then(() => undefined, () => true), 120_000);
        await createNamespace(ns, 'baseline', { exactName: true });
      } else {
        target = await createNamespace(`restored-${String(i)}`);
        const allowed = await kubectlGaim(['backup', 'allow', `${ns}.${name}-1`, '-n', target]);
        expect(allowed.code, allowed.stderr).toBe(0);
        restoreFrom = { record: `${ns}.${name}-1` };
      }
      await suite.client.create(Resources.gaim, await sample(file, target, { restoreFrom }));
      const restored = await waitForGaim(suite.client, target, name, `${file} to be restored and Synced`, isSynced, 240_000);
      expect((restored.status as { restoredFrom?: string } | undefined)?.restoredFrom).toBe(restoreFrom['backup'] ?? restoreFrom['record']);
      const claims = (await suite.client.list<KubeObject & { spec?: { storageClassName?: string; dataSource?: { kind?: string } } }>(Resources.persistentVolumeClaim, { namespace: target })).items;
      // A multishare backup cannot go back into a multishare instance: the single-share Enterprise class takes it.
      expect(claims.find((c) => c.metadata?.name === `${name}-lancedb`)?.spec?.storageClassName).toBe('enterprise-rwx');
      expect(claims.every((c) => c.spec?.dataSource?.kind === 'VolumeSnapshot')).toBe(true);
      await expectData(suite.client, target, name, env, marker);
      // The binding objects of the static path are gone once restored; the backup's snapshots stay.
      await eventually('the restore\'s VolumeSnapshots to go', async () => ((await suite.client.list(Resources.volumeSnapshot, { namespace: target })).items.length === 0 ? true : undefined));
    }));
  }, 900_000);

  it('backs up the shares of one Filestore instance one at a time, and a multishare class takes no restore', async () => {
    await suite.operator();
    // A multishare class of its own (its own instances), as a platform adds one: both shares land on one instance.
    const className = `ms-${(await createNamespace('ms-class')).slice(-6)}`;
    await suite.client.create(Resources.storageClass, {
      apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: className }, provisioner: 'filestore.csi.storage.gke.io',
      parameters: { tier: 'enterprise', multishare: 'true', 'instance-storageclass-label': className }, reclaimPolicy: 'Delete', volumeBindingMode: 'WaitForFirstConsumer', allowVolumeExpansion: true,
    });
    const [a, b] = await Promise.all([createNamespace('share-a'), createNamespace('share-b')]);
    for (const ns of [a, b]) await createGaim(suite.client, ns, 'share', { lancedb: { storage: { storageClassName: className, size: '100Gi' } } });
    for (const ns of [a, b]) await waitForGaim(suite.client, ns, 'share', 'to be Synced', isSynced, 180_000);
    const instances = await Promise.all([a, b].map(async (ns) => {
      const claim = await suite.client.get<KubeObject & { spec?: { volumeName?: string } }>(Resources.persistentVolumeClaim, 'share-lancedb', ns);
      const volume = await suite.client.get<KubeObject & { spec?: { csi?: { volumeHandle?: string } } }>(Resources.persistentVolume, claim.spec?.volumeName ?? '');
      return (volume.spec?.csi?.volumeHandle ?? '').split('/').slice(0, 5).join('/');
    }));
    expect(instances[0], 'both shares on one instance').toBe(instances[1]);

    // A's backup is slow (its driver holds it): B's share waits, queued, and is not taken until A's is done.
    await holdSnapshots('hold', a);
    await suite.client.create(Resources.gaimBackup, backupObject(a, 'a-1', 'share'));
    await eventually('A\'s lancedb snapshot to be under way', async () => ((await suite.client.get<Backup>(Resources.gaimBackup, 'a-1', a)).status?.claims?.find((c) => c.store === 'lancedb')?.volumeSnapshot !== undefined ? true : undefined));
    await suite.client.create(Resources.gaimBackup, backupObject(b, 'b-1', 'share'));
    const queued = await eventually('B\'s lancedb share to be queued', async () => {
      const backup = await suite.client.get<Backup>(Resources.gaimBackup, 'b-1', b);
      const lancedb = backup.status?.claims?.find((c) => c.store === 'lancedb');
      return lancedb?.queued !== undefined && backup.status?.claims?.filter((c) => c.readyToUse).length === 2 ? backup : undefined;
    }, 60_000);
    expect(queued.status?.phase).toBe('Running');
    const why = queued.status?.claims?.find((c) => c.store === 'lancedb')?.queued ?? '';
    expect(why).toMatch(/^queued: Filestore instance \S+ backs up one share at a time \(GKE\)/);
    expect(why).toContain(`VolumeSnapshot ${a}/a-1-lancedb of another share is in progress`);
    expect(queued.status?.message).toContain('lancedb (queued: Filestore instance');
    await expect(suite.client.get(Resources.volumeSnapshot, 'b-1-lancedb', b)).rejects.toThrow();
    await holdSnapshots('release', a);
    await Promise.all([waitFor(a, 'a-1', 'Completed'), waitFor(b, 'b-1', 'Completed')]);
    // Never two at once: the driver (which refuses a second share of a busy instance) refused nothing.
    for (const ns of [a, b]) expect((await eventsIn(ns)).filter((e) => e.reason === 'SnapshotCreationFailed').map((e) => e.note)).toEqual([]);

    // A restore into a multishare class is refused as the driver refuses it; a single-share class takes it.
    const claim = (name: string, storageClassName: string, snapshot = 'b-1-lancedb', size = '100Gi') => suite.client.create(Resources.persistentVolumeClaim, {
      apiVersion: 'v1', kind: 'PersistentVolumeClaim',
      // What the scheduler writes once a pod that mounts the claim is placed (GKE's classes bind on first consumer).
      metadata: { name, namespace: b, annotations: { [SELECTED_NODE]: STACK_NODE } },
      spec: { accessModes: ['ReadWriteMany'], storageClassName, resources: { requests: { storage: size } }, dataSource: { apiGroup: 'snapshot.storage.k8s.io', kind: 'VolumeSnapshot', name: snapshot } },
    });
    await claim('into-multishare', className);
    await claim('into-enterprise', 'enterprise-rwx');
    // external-provisioner's own checks come first, in its order and words: the request (not the 1 TiB
    // Enterprise would round it to) against the snapshot's size; the snapshot's driver; a missing one.
    await claim('too-small', 'enterprise-rwx', 'b-1-lancedb', '50Gi');
    await claim('other-driver', 'standard-rwo');
    await claim('no-snapshot', 'enterprise-rwx', 'nope');
    const refusals = {
      'into-multishare': 'Volume provisioning failed with infeasible error. Retries will be delayed. rpc error: code = InvalidArgument desc = Multishare backed volumes do not support volume content source',
      'too-small': 'error getting handle for DataSource Type VolumeSnapshot by Name b-1-lancedb: requested volume size 53687091200 is less than the size 107374182400 for the source snapshot b-1-lancedb',
      'other-driver': 'is not handled by CSI driver of StorageClass standard-rwo',
      'no-snapshot': 'error getting handle for DataSource Type VolumeSnapshot by Name nope: error getting snapshot nope from api server: volumesnapshots.snapshot.storage.k8s.io "nope" not found',
    };
    await eventually('each refused restore to say why, in the provisioner\'s and the driver\'s words', async () => {
      const notes = (await eventsIn(b)).filter((e) => e.reason === 'ProvisioningFailed').map((e) => [(e as { regarding?: { name?: string } }).regarding?.name, e.note]);
      return Object.entries(refusals).every(([name, text]) => notes.some(([n, note]) => n === name && (note ?? '').includes(text))) ? true : undefined;
    });
    await eventually('the single-share restore to bind', async () => ((await suite.client.get<KubeObject & { status?: { phase?: string } }>(Resources.persistentVolumeClaim, 'into-enterprise', b)).status?.phase === 'Bound' ? true : undefined));
    expect((await suite.client.get<KubeObject & { status?: { phase?: string } }>(Resources.persistentVolumeClaim, 'into-multishare', b)).status?.phase).toBe('Pending');
    await suite.client.delete(Resources.storageClass, className);
  }, 600_000);

  it('refuses to restore another gaimId\'s backup, naming both, and creates nothing', async () => {
    await suite.operator();
    const ns = await createNamespace('own');
    const made = await createGaim(suite.client, ns, 'own', SNAPSHOTTABLE);
    await waitForGaim(suite.client, ns, 'own', 'to be Synced', isSynced, 180_000);
    await suite.client.create(Resources.gaimBackup, backupObject(ns, 'own-1', 'own'));
    await waitFor(ns, 'own-1', 'Completed');
    await waitForRecord(suite.client, `${ns}.own-1`);

    const thief = await createNamespace('thief');
    const allowed = await kubectlGaim(['backup', 'allow', `${ns}.own-1`, '-n', thief]);
    expect(allowed.code, allowed.stderr).toBe(0);
    const otherId = '5a1e8400-e29b-41d4-a716-446655440077';
    await createGaim(suite.client, thief, 'own', { ...SNAPSHOTTABLE, gaimId: otherId, restoreFrom: { record: `${ns}.own-1` } });
    const failed = await waitForGaim(suite.client, thief, 'own', 'to fail validation', (g) => g.status?.syncStatus === 'Failed');
    const ownId = (made['spec'] as { gaimId: string }).gaimId;
    expect([failed.status?.errorType, condition(failed, 'Ready')?.reason]).toEqual(['validation', 'RestoreSourceMismatch']);
    expect(failed.status?.message).toBe(`cannot restore from backup ${ns}.own-1: it is a backup of gaimId ${ownId} (Gaim ${ns}/own), and this Gaim's gaimId is ${otherId}; a Gaim restores only its own backups`);
    expect((failed.status as { retryCount?: number } | undefined)?.retryCount ?? 0).toBe(0);
    for (const resource of [Resources.persistentVolumeClaim, Resources.secret, Resources.volumeSnapshot, Resources.statefulSet] as const) {
      expect((await suite.client.list(resource, { namespace: thief })).items.filter((o) => o.metadata?.name?.startsWith('own') === true || o.metadata?.name?.startsWith('data-own') === true).map((o) => o.metadata?.name), resource.plural).toEqual([]);
    }

    // A platform administrator deletes the backup from the catalog: the record goes, and with it the
    // GaimBackup it records and its snapshots.
    const record = await suite.client.get<KubeObject & { spec: { snapshots?: { volumeSnapshotContent?: string }[] } }>(Resources.gaimBackupRecord, `${ns}.own-1`);
    await suite.client.delete(Resources.gaimBackupRecord, `${ns}.own-1`);
    await eventually('the backup, its record and its snapshot contents to be gone', async () => {
      const backup = await suite.client.get(Resources.gaimBackup, 'own-1', ns).then(() => true, () => false);
      const recorded = await suite.client.get(Resources.gaimBackupRecord, `${ns}.own-1`).then(() => true, () => false);
      const contents = await Promise.all((record.spec.snapshots ?? []).map((c) => suite.client.get(Resources.volumeSnapshotContent, c.volumeSnapshotContent ?? '').then(() => true, () => false)));
      return !backup && !recorded && contents.every((c) => !c) ? true : undefined;
    }, 60_000);
  }, 400_000);

  it('takes a backup every minute on a schedule and keeps exactly `keep` Completed ones', async () => {
    await suite.operator();
    const ns = await createNamespace('schedule');
    await createGaim(suite.client, ns, 'sch', { ...SNAPSHOTTABLE, backup: { schedule: '* * * * *', keep: 2 } });
    await waitForGaim(suite.client, ns, 'sch', 'to be Synced', isSynced, 120_000);
    const taken = new Set<string>();
    const completed = async () => (await suite.client.list<Backup>(Resources.gaimBackup, { namespace: ns })).items;
    await eventually('three scheduled backups taken, two Completed kept', async () => {
      const items = await completed();
      for (const b of items) taken.add(b.metadata?.name ?? '');
      const done = items.filter((b) => b.status?.phase === 'Completed');
      return taken.size >= 3 && done.length === 2 && items.every((b) => b.status?.phase === 'Completed') ? done : undefined;
    }, 300_000);
    const gaim = await waitForGaim(suite.client, ns, 'sch', 'to report its last backup', (g) => condition(g, 'BackedUp')?.status === 'True');
    const status = gaim.status as { lastBackup?: { name: string }; lastScheduleTime?: string } | undefined;
    expect(taken.has(status?.lastBackup?.name ?? '')).toBe(true);
    expect(status?.lastScheduleTime).toMatch(/:00Z$/);
    // Every scheduled backup carries its slot: one per minute, no slot twice.
    const slots = (await completed()).map((b) => b.metadata?.annotations?.['gaim.livingcontent.io/scheduled-for']);
    expect(new Set(slots).size).toBe(slots.length);
    // Retention deletes a pruned backup's record and its kept snapshots, and only those.
    await eventually('the pruned backups\' records and snapshot contents to go', async () => {
      const present = new Set((await completed()).map((b) => b.metadata?.name ?? ''));
      const records = (await suite.client.list(Resources.gaimBackupRecord)).items.map((r) => r.metadata?.name ?? '').filter((n) => n.startsWith(`${ns}.`));
      const contents = (await suite.client.list<KubeObject & { spec?: { volumeSnapshotRef?: { namespace?: string; name?: string } } }>(Resources.volumeSnapshotContent)).items
        .filter((c) => c.spec?.volumeSnapshotRef?.namespace === ns).map((c) => (c.spec?.volumeSnapshotRef?.name ?? '').replace(/-(mongodb|redis|lancedb)$/, ''));
      const pruned = [...taken].filter((b) => !present.has(b));
      return pruned.length > 0 && records.every((r) => present.has(r.slice(ns.length + 1))) && contents.every((b) => present.has(b))
        && pruned.every((b) => !records.includes(`${ns}.${b}`) && !contents.includes(b)) ? true : undefined;
    }, 120_000);
  }, 400_000);
});
