// Backups when things go wrong, on the stack's real snapshot-controller with its stand-in for the CSI
// drivers' snapshot side: deletionPolicy Snapshot leaves a final backup; a reconcile from a stale
// cache leaves Completed as it is; a claim that cannot be snapshotted makes a backup that says so;
// an operator killed mid-backup takes it once. (Split from backups.test.ts so the two run side by side.)
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { parseSettings } from '../../src/config/settings.js';
import type { Caches } from '../../src/controller/caches.js';
import { KubeEventRecorder } from '../../src/kube/events.js';
import type { KubeObject } from '../../src/kube/objects.js';
import { Resources, type Resource } from '../../src/kube/resources.js';
import { Metrics } from '../../src/observability/metrics.js';
import { FIELD_MANAGER } from '../../src/operator.js';
import { BackupReconciler } from '../../src/reconciler/backups/backup-reconciler.js';
import { InstanceLocks } from '../../src/reconciler/backups/instance-locks.js';
import { UNRESPONSIVE_SNAPSHOT_CLASS } from '../../stack/snapshot-classes.js';
import { backupObject, waitForBackup, waitForRecord, type Backup } from '../support/backups.js';
import { kubectl } from '../support/crd.js';
import { createGaim } from '../support/gaims.js';
import { isSynced, waitForGaim } from '../support/operator.js';
import { createNamespace, eventually, holdSnapshots } from '../support/stack.js';
import { useSuite } from '../support/suite.js';

/** A Filestore instance class the stand-in can snapshot (multishare shares cannot be). */
const SNAPSHOTTABLE = { lancedb: { storage: { storageClassName: 'standard-rwx', size: '100Gi' } } };
type Event = KubeObject & { reason?: string; note?: string };

describe('backups when things go wrong', () => {
  const suite = useSuite();
  const waitFor = (ns: string, name: string, phase: string, timeoutMs?: number) => waitForBackup(suite.client, ns, name, phase, timeoutMs);
  const eventsIn = async (ns: string) => (await suite.client.list<Event>(Resources.event, { namespace: ns })).items;

  it('deletionPolicy Snapshot: a final backup completes before the claims go, and stays', async () => {
    await suite.operator();
    const ns = await createNamespace('final');
    await createGaim(suite.client, ns, 'fin', { ...SNAPSHOTTABLE, deletionPolicy: 'Snapshot' });
    const synced = await waitForGaim(suite.client, ns, 'fin', 'to be Synced', isSynced, 120_000);
    await suite.client.delete(Resources.gaim, 'fin', ns);
    await eventually('the Gaim to be finalized', () => suite.client.get(Resources.gaim, 'fin', ns).then(() => undefined, () => true), 180_000);
    const finals = (await suite.client.list<Backup>(Resources.gaimBackup, { namespace: ns })).items;
    expect(finals.map((b) => [b.metadata?.name, b.status?.phase, b.metadata?.labels?.['gaim.livingcontent.io/backup-trigger']]))
      .toEqual([[`fin-final-${(synced.metadata?.uid ?? '').slice(0, 8)}`, 'Completed', 'final']]);
    expect(finals[0]?.metadata?.ownerReferences ?? []).toEqual([]);
    await eventually('the claims to be gone', async () => ((await suite.client.list(Resources.persistentVolumeClaim, { namespace: ns })).items.length === 0 ? true : undefined), 60_000);
  }, 400_000);

  it('a reconcile from a cache that has not seen the backup complete leaves Completed as it is', async () => {
    const operator = await suite.operator();
    const ns = await createNamespace('stale');
    await createGaim(suite.client, ns, 'stl', { ...SNAPSHOTTABLE, deletionPolicy: 'Delete' });
    await waitForGaim(suite.client, ns, 'stl', 'to be Synced', isSynced, 120_000);
    // The backup as a cache first holds it, before any status: what a lagging cache still serves.
    const created = await suite.client.create<Backup>(Resources.gaimBackup, backupObject(ns, 'stl-1', 'stl'));
    await waitFor(ns, 'stl-1', 'Completed');
    await suite.client.delete(Resources.gaim, 'stl', ns);
    await eventually('the Gaim to be gone', () => suite.client.get(Resources.gaim, 'stl', ns).then(() => undefined, () => true), 120_000);
    await operator.stop();

    // What an operator's reconcile sees when it started before the Completed status reached its
    // cache and the Gaim is gone by now: from that view the backup would be Failed (no Gaim).
    const stale: Caches = {
      get: <T extends KubeObject>(resource: Resource, key: string) => (resource === Resources.gaimBackup && key === `${ns}/stl-1` ? created as unknown as T : undefined),
      list: () => [],
    };
    const log = pino({ level: 'silent' });
    const reconciler = new BackupReconciler({
      caches: stale, client: suite.client, events: new KubeEventRecorder(suite.client, 'gaim-operator', 'test', log), metrics: new Metrics(),
      settings: parseSettings({}), fieldManager: FIELD_MANAGER, apis: { volumeSnapshots: true },
      instanceLocks: new InstanceLocks(stale), operatorNamespace: 'gaim-system',
    });
    const never = new AbortController().signal;
    // Refused, it looks again soon (from a cache that will have caught up by then).
    expect(await reconciler.reconcile(`${ns}/stl-1`, { signal: never, stop: never, attempt: 0, log })).toEqual({ kind: 'requeue', afterMs: 1000 });
    const after = await suite.client.get<Backup>(Resources.gaimBackup, 'stl-1', ns);
    expect([after.status?.phase, after.status?.message]).toEqual(['Completed', expect.not.stringContaining('Gaim') as unknown]);
  }, 300_000);

  it('says so when a claim cannot be snapshotted: a driver that never answers, a multishare share over NFSv4.1', async () => {
    await suite.operator('', { GAIM_SNAPSHOT_CLASS_REDIS: UNRESPONSIVE_SNAPSHOT_CLASS, GAIM_BACKUP_TIMEOUT_SECONDS: '20' });
    const ns = await createNamespace('nosnap');
    await createGaim(suite.client, ns, 'silent', SNAPSHOTTABLE);
    // GKE backs up NFSv4.1 single shares only: a multishare class of that protocol, as a platform adds one.
    const ms = await createNamespace('nfs41');
    const className = `ms41-${ms.slice(-6)}`;
    await suite.client.create(Resources.storageClass, {
      apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: className }, provisioner: 'filestore.csi.storage.gke.io',
      parameters: { tier: 'enterprise', multishare: 'true', protocol: 'NFS_V4_1', 'instance-storageclass-label': className }, reclaimPolicy: 'Delete', volumeBindingMode: 'WaitForFirstConsumer',
    });
    await createGaim(suite.client, ms, 'partial', { lancedb: { storage: { storageClassName: className, size: '100Gi' } }, backup: { requireAll: false } });
    for (const [n, g] of [[ns, 'silent'], [ms, 'partial']] as const) await waitForGaim(suite.client, n, g, 'to be Synced', isSynced, 120_000);

    await suite.client.create(Resources.gaimBackup, backupObject(ns, 'silent-1', 'silent'));
    const silent = await waitFor(ns, 'silent-1', 'Failed');
    const redis = silent.status?.claims?.find((c) => c.store === 'redis');
    expect(redis).toMatchObject({ supported: true, readyToUse: false, volumeSnapshot: 'silent-1-redis' });
    expect(redis?.error).toContain('not ready within 20s');
    expect(silent.status?.message).toContain('redis (data-silent-redis-0)');
    expect(silent.status?.claims?.filter((c) => c.readyToUse).map((c) => c.store)).toEqual(['mongodb', 'lancedb']);
    // A failed backup holds nothing: no record, and its unfinished snapshot is not left to its driver.
    // The snapshot's deletion is the real snapshot-controller's, under its own retry backoff on a busy machine.
    await eventually('the failed backup\'s record and unready snapshot to go', async () => {
      const record = await suite.client.get(Resources.gaimBackupRecord, `${ns}.silent-1`).then(() => true, () => false);
      const unready = await suite.client.get(Resources.volumeSnapshot, 'silent-1-redis', ns).then(() => true, () => false);
      if (record || unready) throw new Error(`left: ${[record ? `record ${ns}.silent-1` : '', unready ? 'VolumeSnapshot silent-1-redis' : ''].filter(Boolean).join(', ')}`);
      return true;
    }, 150_000);
    expect((await suite.client.get<Backup>(Resources.gaimBackup, 'silent-1', ns)).status?.phase, 'the Failed backup stays as evidence').toBe('Failed');

    await suite.client.create(Resources.gaimBackup, backupObject(ms, 'partial-1', 'partial'));
    const partial = await waitFor(ms, 'partial-1', 'Completed');
    expect(partial.status?.claims?.find((c) => c.store === 'lancedb')).toMatchObject({ supported: false, readyToUse: false });
    expect(partial.status?.claims?.find((c) => c.store === 'lancedb')?.error).toContain('GKE backs up NFSv4.1 single shares only');
    expect(partial.status?.message).toContain('requireAll is false');
    // Its Redis too was on the class that never answers (the operator's setting): the record holds MongoDB alone.
    expect((await waitForRecord(suite.client, `${ms}.partial-1`)).spec.snapshots?.map((s) => s.store)).toEqual(['mongodb']);
    expect((await eventsIn(ns)).map((e) => e.reason)).toContain('BackupFailed');
    await suite.client.delete(Resources.storageClass, className);
  }, 400_000);

  it('neither duplicates nor loses a backup when the operator is killed while it runs', async () => {
    const first = await suite.operator();
    const ns = await createNamespace('killed');
    await createGaim(suite.client, ns, 'kil', SNAPSHOTTABLE);
    // 240 s: in a full run beside the disaster-recovery drill (three control planes on two cores), an
    // operator started this late once took over 120 s to write the Gaim's first status.
    await waitForGaim(suite.client, ns, 'kil', 'to be Synced', isSynced, 240_000);
    await holdSnapshots('hold', ns);
    await suite.client.create(Resources.gaimBackup, backupObject(ns, 'kil-1', 'kil'));
    const made = async () => (await suite.client.list(Resources.volumeSnapshot, { namespace: ns, labelSelector: 'gaim.livingcontent.io/backup=kil-1' })).items.map((o) => `${o.kind ?? ''}/${o.metadata?.name ?? ''}/${o.metadata?.uid ?? ''}`).sort();
    const before = await eventually('the backup to be Running with its snapshots made', async () => {
      const backup = await suite.client.get<Backup>(Resources.gaimBackup, 'kil-1', ns);
      const objects = await made();
      return backup.status?.phase === 'Running' && objects.length === 3 ? objects : undefined;
    });
    first.kill('SIGKILL');
    await first.exited;
    await suite.operator();
    await holdSnapshots('release', ns);
    const backup = await waitFor(ns, 'kil-1', 'Completed');
    expect(await made()).toEqual(before);
    expect(backup.status?.claims?.every((c) => c.readyToUse)).toBe(true);
    expect((await suite.client.list<Backup>(Resources.gaimBackup, { namespace: ns })).items.map((b) => b.metadata?.name)).toEqual(['kil-1']);
  }, 420_000);

  it('documents GaimBackup for kubectl explain', async () => {
    const explained = await kubectl(['explain', 'gaimbackup.spec']);
    expect(explained.ok).toBe(true);
    expect(explained.output).toContain('The Gaim (in this namespace) whose claims to back up');
  });
});
