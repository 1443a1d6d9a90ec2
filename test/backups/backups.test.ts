// Backups and restore on the stack's real snapshot-controller (external-snapshotter), with the
// stack's stand-in for the CSI drivers' snapshot side (test/stack/snapshotter.ts): a GaimBackup
// completes with a snapshot per claim, a deleted Gaim comes back from it with its files, its Redis
// data and its credentials; a schedule keeps `keep` backups; deletionPolicy Snapshot leaves a final
// backup and no claims; a claim that cannot be snapshotted (a driver that never answers, a Filestore
// multishare share) makes a backup that says so; an operator restarted mid-backup takes it once.
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { parseSettings } from '../../src/config/settings.js';
import type { Caches } from '../../src/controller/manager.js';
import { KubeEventRecorder } from '../../src/kube/events.js';
import type { KubeObject } from '../../src/kube/objects.js';
import { Resources, type Resource } from '../../src/kube/resources.js';
import { Metrics } from '../../src/observability/metrics.js';
import { FIELD_MANAGER } from '../../src/operator.js';
import { BackupReconciler } from '../../src/reconciler/backup-reconciler.js';
import { stackVolumePath } from '../stack/provisioner.js';
import { UNRESPONSIVE_SNAPSHOT_CLASS } from '../stack/snapshot-classes.js';
import { kubectl } from '../support/crd.js';
import { createGaim, gaimManifest, gaimStores } from '../support/gaims.js';
import { condition, isSynced, waitForGaim } from '../support/operator.js';
import { createNamespace, eventually, holdSnapshots } from '../support/stack.js';
import { useSuite } from '../support/suite.js';

type Backup = KubeObject & {
  spec: { gaim: string };
  status?: {
    phase?: string; message?: string; method?: string; credentialsSecret?: string; notes?: string[];
    claims?: { store: string; claim: string; volumeSnapshot?: string; volumeGroupSnapshot?: string; supported: boolean; readyToUse: boolean; restoreSize?: string; error?: string }[];
  };
};
type Claim = KubeObject & { spec?: { volumeName?: string; dataSource?: { kind?: string; name?: string } }; status?: { phase?: string } };
type Volume = KubeObject & { spec?: { csi?: { volumeAttributes?: Record<string, string> } } };
type Secret = KubeObject & { data?: Record<string, string> };

/** A Filestore instance class the stand-in can snapshot (multishare shares cannot be). */
const SNAPSHOTTABLE = { lancedb: { storage: { storageClassName: 'standard-rwx', size: '100Gi' } } };

describe('backups and restore', () => {
  const suite = useSuite();

  const backupObject = (ns: string, name: string, gaim: string): KubeObject => ({ apiVersion: 'gaim.livingcontent.io/v1alpha1', kind: 'GaimBackup', metadata: { name, namespace: ns }, spec: { gaim } });
  const waitForBackup = (ns: string, name: string, phase: string, timeoutMs = 120_000) => eventually(`GaimBackup ${ns}/${name} to be ${phase}`, async () => {
    const backup = await suite.client.get<Backup>(Resources.gaimBackup, name, ns);
    if (['Completed', 'Failed'].includes(backup.status?.phase ?? '') && backup.status?.phase !== phase) throw new Error(`it is ${backup.status?.phase ?? ''}: ${backup.status?.message ?? ''}`);
    return backup.status?.phase === phase ? backup : undefined;
  }, timeoutMs);
  /** The directory behind a claim's volume on the stack's node. */
  const volumeDir = async (ns: string, claim: string) => {
    const { spec } = await suite.client.get<Claim>(Resources.persistentVolumeClaim, claim, ns);
    const dir = stackVolumePath(await suite.client.get<Volume>(Resources.persistentVolume, spec?.volumeName ?? ''));
    if (dir === undefined) throw new Error(`claim ${claim} has no stack volume`);
    return dir;
  };
  const secrets = async (ns: string, gaim: string) => Object.fromEntries(await Promise.all(['mongodb', 'redis'].map(async (store) => {
    const { data = {} } = await suite.client.get<Secret>(Resources.secret, `${gaim}-${store}-credentials`, ns);
    return [store, data] as const;
  })));
  const claimsOf = (gaim: string) => [`data-${gaim}-mongodb-0`, `data-${gaim}-redis-0`, `${gaim}-lancedb`];

  it('backs up a Synced Gaim, and a Gaim deleted with its claims comes back from the backup: files, Redis data, credentials', async () => {
    await suite.operator();
    const ns = await createNamespace('restore');
    await createGaim(suite.client, ns, 'drc', { ...SNAPSHOTTABLE, deletionPolicy: 'Delete' });
    await waitForGaim(suite.client, ns, 'drc', 'to be Synced', isSynced, 120_000);
    const marker = randomBytes(8).toString('hex');
    for (const claim of claimsOf('drc')) await writeFile(join(await volumeDir(ns, claim), 'backup-marker'), `${claim}:${marker}`);
    const stores = await gaimStores(suite.client, ns, 'drc');
    await stores.redis.connect();
    await stores.redis.set('written-before-the-backup', marker);
    await stores.close();
    const credentials = await secrets(ns, 'drc');

    await suite.client.create(Resources.gaimBackup, backupObject(ns, 'drc-1', 'drc'));
    const backup = await waitForBackup(ns, 'drc-1', 'Completed');
    expect(backup.status?.claims?.map((c) => [c.store, c.claim, c.readyToUse])).toEqual(claimsOf('drc').map((claim, i) => [['mongodb', 'redis', 'lancedb'][i], claim, true]));
    // The stack serves VolumeGroupSnapshots and PD has a default group class: MongoDB and Redis at one instant.
    expect(backup.status?.method).toBe('VolumeGroupSnapshot');
    expect(backup.status?.claims?.filter((c) => c.volumeGroupSnapshot !== undefined).map((c) => c.store)).toEqual(['mongodb', 'redis']);
    for (const c of backup.status?.claims ?? []) {
      const snapshot = await suite.client.get<KubeObject & { status?: { readyToUse?: boolean } }>(Resources.volumeSnapshot, c.volumeSnapshot ?? '', ns);
      expect(snapshot.status?.readyToUse, `${c.store}'s VolumeSnapshot`).toBe(true);
      expect(c.restoreSize).toBeDefined();
    }
    expect(backup.status?.notes?.some((n) => n.startsWith('Redis\'s append-only file rewritten'))).toBe(true);
    const listed = await kubectl(['get', 'gaimbackups', '-n', ns]);
    expect(listed.output.split('\n')[0]).toMatch(/^NAME\s+GAIM\s+PHASE\s+STARTED\s+COMPLETED\s+AGE$/);
    expect(listed.output).toMatch(/drc-1\s+drc\s+Completed/);

    // The disaster: the Gaim goes with its claims and Secrets (deletionPolicy Delete). Its backup stays.
    await suite.client.delete(Resources.gaim, 'drc', ns);
    await eventually('the Gaim and its claims to be gone', async () => {
      const left = (await suite.client.list(Resources.persistentVolumeClaim, { namespace: ns })).items.length;
      const gaim = await suite.client.get(Resources.gaim, 'drc', ns).then(() => true, () => false);
      return left === 0 && !gaim ? true : undefined;
    }, 120_000);
    expect((await suite.client.get<Backup>(Resources.gaimBackup, 'drc-1', ns)).status?.phase).toBe('Completed');

    // The walk-through: the same manifest, same name and namespace, with restoreFrom.
    const again = gaimManifest(ns, 'drc', { ...SNAPSHOTTABLE, deletionPolicy: 'Delete', restoreFrom: { backup: 'drc-1' } });
    await suite.client.create(Resources.gaim, { ...again, spec: { ...(again['spec'] as object), gaimId: (backup.status as { gaimId?: string } | undefined)?.gaimId } });
    const restored = await waitForGaim(suite.client, ns, 'drc', 'to be Synced from the backup', isSynced, 180_000);
    expect((restored.status as { restoredFrom?: string } | undefined)?.restoredFrom).toBe('drc-1');
    for (const claim of claimsOf('drc')) {
      const { spec } = await suite.client.get<Claim>(Resources.persistentVolumeClaim, claim, ns);
      expect(spec?.dataSource?.kind, `${claim}'s dataSource`).toBe('VolumeSnapshot');
      expect(await readFile(join(await volumeDir(ns, claim), 'backup-marker'), 'utf8')).toBe(`${claim}:${marker}`);
    }
    expect(await secrets(ns, 'drc')).toEqual(credentials);
    const after = await gaimStores(suite.client, ns, 'drc');
    await after.redis.connect();
    expect(await after.redis.get('written-before-the-backup')).toBe(marker);
    // MongoDB's root user lives in the restored data: the restored Secret's password logs in.
    expect((await after.mongo.db('admin').command({ ping: 1 }))['ok']).toBe(1);
    await after.close();
  }, 600_000);

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
  }, 400_000);

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
    await waitForBackup(ns, 'stl-1', 'Completed');
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
      settings: parseSettings({}), fieldManager: FIELD_MANAGER, apis: { volumeSnapshots: true, volumeGroupSnapshots: false },
    });
    const never = new AbortController().signal;
    // Refused, it looks again soon (from a cache that will have caught up by then).
    expect(await reconciler.reconcile(`${ns}/stl-1`, { signal: never, stop: never, attempt: 0, log })).toEqual({ kind: 'requeue', afterMs: 1000 });
    const after = await suite.client.get<Backup>(Resources.gaimBackup, 'stl-1', ns);
    expect([after.status?.phase, after.status?.message]).toEqual(['Completed', expect.not.stringContaining('Gaim') as unknown]);
  }, 300_000);

  it('says so when a claim cannot be snapshotted: a driver that never answers, a Filestore multishare share', async () => {
    await suite.operator('', { GAIM_SNAPSHOT_CLASS_REDIS: UNRESPONSIVE_SNAPSHOT_CLASS, GAIM_VOLUME_GROUP_SNAPSHOTS: 'off', GAIM_BACKUP_TIMEOUT_SECONDS: '20' });
    const ns = await createNamespace('nosnap');
    await createGaim(suite.client, ns, 'silent', SNAPSHOTTABLE);
    // The tests' default LanceDB class: enterprise-multishare-rwx, whose shares cannot be snapshotted.
    const ms = await createNamespace('multi');
    await createGaim(suite.client, ms, 'partial', { backup: { requireAll: false } });
    for (const [n, g] of [[ns, 'silent'], [ms, 'partial']] as const) await waitForGaim(suite.client, n, g, 'to be Synced', isSynced, 120_000);

    await suite.client.create(Resources.gaimBackup, backupObject(ns, 'silent-1', 'silent'));
    const silent = await waitForBackup(ns, 'silent-1', 'Failed');
    const redis = silent.status?.claims?.find((c) => c.store === 'redis');
    expect(redis).toMatchObject({ supported: true, readyToUse: false, volumeSnapshot: 'silent-1-redis' });
    expect(redis?.error).toContain('not ready within 20s');
    expect(silent.status?.message).toContain('redis (data-silent-redis-0)');
    expect(silent.status?.claims?.filter((c) => c.readyToUse).map((c) => c.store)).toEqual(['mongodb', 'lancedb']);

    await suite.client.create(Resources.gaimBackup, backupObject(ms, 'partial-1', 'partial'));
    const partial = await waitForBackup(ms, 'partial-1', 'Completed');
    expect(partial.status?.claims?.find((c) => c.store === 'lancedb')).toMatchObject({ supported: false, readyToUse: false });
    expect(partial.status?.claims?.find((c) => c.store === 'lancedb')?.error).toContain('Filestore multishare share');
    expect(partial.status?.message).toContain('requireAll is false');
    const events = (await suite.client.list<KubeObject & { reason?: string }>(Resources.event, { namespace: ns })).items.map((e) => e.reason);
    expect(events).toContain('BackupFailed');
  }, 400_000);

  it('neither duplicates nor loses a backup when the operator is killed while it runs', async () => {
    const first = await suite.operator();
    const ns = await createNamespace('killed');
    await createGaim(suite.client, ns, 'kil', SNAPSHOTTABLE);
    await waitForGaim(suite.client, ns, 'kil', 'to be Synced', isSynced, 120_000);
    await holdSnapshots('hold', ns);
    await suite.client.create(Resources.gaimBackup, backupObject(ns, 'kil-1', 'kil'));
    const made = async () => [
      ...(await suite.client.list(Resources.volumeGroupSnapshot, { namespace: ns, labelSelector: 'gaim.livingcontent.io/backup=kil-1' })).items,
      ...(await suite.client.list(Resources.volumeSnapshot, { namespace: ns, labelSelector: 'gaim.livingcontent.io/backup=kil-1' })).items,
    ].map((o) => `${o.kind ?? ''}/${o.metadata?.name ?? ''}/${o.metadata?.uid ?? ''}`).sort();
    const before = await eventually('the backup to be Running with its snapshots made', async () => {
      const backup = await suite.client.get<Backup>(Resources.gaimBackup, 'kil-1', ns);
      const objects = await made();
      return backup.status?.phase === 'Running' && objects.length === 2 ? objects : undefined;
    });
    first.kill('SIGKILL');
    await first.exited;
    await suite.operator();
    await holdSnapshots('release', ns);
    const backup = await waitForBackup(ns, 'kil-1', 'Completed');
    expect(await made()).toEqual(before);
    expect(backup.status?.claims?.every((c) => c.readyToUse)).toBe(true);
    expect((await suite.client.list<Backup>(Resources.gaimBackup, { namespace: ns })).items.map((b) => b.metadata?.name)).toEqual(['kil-1']);
  }, 300_000);

  it('documents GaimBackup for kubectl explain', async () => {
    const explained = await kubectl(['explain', 'gaimbackup.spec']);
    expect(explained.ok).toBe(true);
    expect(explained.output).toContain('The Gaim (in this namespace) whose claims to back up');
  });
});

