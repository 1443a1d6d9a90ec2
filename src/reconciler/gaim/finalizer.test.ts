import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { cachesOf } from '../../testing/caches-fake.js';
import { recordingClient } from '../../testing/client-fake.js';
import type { Gaim } from '../../api/v1alpha1/gaim.js';
import type { ReconcileContext } from '../../controller/result.js';
import type { KubeObject } from '../../kube/objects.js';
import { type Resource, Resources } from '../../kube/resources.js';
import { FINALIZER, finalize } from './finalizer.js';
import { testGaim } from '../../testing/gaims.js';

// What a Gaim's deletion changes, in order, for each deletion policy: table tests of the finalizer
// on fake caches and a client that records every write (the integration suite proves the same
// against the API server, the garbage collector and the snapshot controller, more slowly).

const gaim = (deletionPolicy: 'Retain' | 'Delete' | 'Snapshot'): Gaim =>
  testGaim({ deletionPolicy }, { metadata: { uid: 'abcdef12-0000', finalizers: [FINALIZER], deletionTimestamp: '2026-12-06T00:00:00Z' } });
const owner = [{ apiVersion: 'gaim.livingcontent.io/v1alpha1', kind: 'Gaim', name: 'marvin', uid: 'abcdef12-0000', controller: true }];
const labels = { 'app.kubernetes.io/managed-by': 'gaim-operator', 'gaim.livingcontent.io/gaim': 'marvin', 'gaim.livingcontent.io/namespace': 'team' };
const claim = (name: string, component: string): [Resource, KubeObject] => [Resources.persistentVolumeClaim,
  { metadata: { name, namespace: 'team', ownerReferences: owner, labels: { ...labels, 'app.kubernetes.io/component': component } }, spec: { volumeName: `pv-${component}` }, status: { phase: 'Bound' } }];
const volume = (component: string): [Resource, KubeObject] => [Resources.persistentVolume,
  { metadata: { name: `pv-${component}`, labels: { ...labels, 'app.kubernetes.io/component': component } }, spec: { storageClassName: 'standard-rwo', persistentVolumeReclaimPolicy: 'Retain', csi: { driver: 'pd.csi.storage.gke.io', volumeHandle: `h-${component}` } } }];
const secret = (name: string, finalizers: string[] = []): KubeObject => ({ metadata: { name, namespace: 'team', finalizers }, data: { password: Buffer.from('pw').toString('base64') } });

function setUp(deletionPolicy: 'Retain' | 'Delete' | 'Snapshot', options: { terminating?: boolean; backup?: string; secretFinalizers?: string[] } = {}) {
  const caches = cachesOf([claim('data-marvin-mongodb-0', 'mongodb'), claim('data-marvin-redis-0', 'redis'), claim('marvin-lancedb', 'lancedb'), volume('mongodb'), volume('redis'), volume('lancedb')]);
  if (options.backup !== undefined) caches.put(Resources.gaimBackup, { metadata: { name: 'marvin-final-abcdef12', namespace: 'team' }, status: { phase: options.backup } });
  const { client, writes } = recordingClient({
    'Namespace team': { metadata: { name: 'team', ...(options.terminating === true ? { deletionTimestamp: '2026-12-06T00:00:00Z' } : {}) } },
    'Secret team/marvin-mongodb-credentials': secret('marvin-mongodb-credentials', options.secretFinalizers),
    'Secret team/marvin-redis-credentials': secret('marvin-redis-credentials', options.secretFinalizers),
    'StorageClass standard-rwo': { metadata: { name: 'standard-rwo' }, reclaimPolicy: 'Delete' },
  });
  const events: string[] = [];
  const deps = { caches, client, events: { record: (_o: KubeObject, _t: string, reason: string) => { events.push(reason); } }, fieldManager: 'gaim-operator', clusterName: 'c1', operatorNamespace: 'gaim-system' };
  const context: ReconcileContext = { signal: AbortSignal.timeout(5000), stop: new AbortController().signal, attempt: 0, log: pino({ level: 'silent' }) };
  return { run: () => finalize(gaim(deletionPolicy), deps, context), writes, events };
}
const targets = (writes: readonly { verb: string; target: string }[]) => writes.map((w) => `${w.verb} ${w.target}`);

describe('finalize', () => {
  it('Retain: takes the owner references off the claims and Secrets, deletes nothing, then lets the Gaim go', async () => {
    const { run, writes } = setUp('Retain');
    expect(await run()).toBeUndefined();
    expect(targets(writes)).toEqual([
      'apply Gaim team/marvin/status',
      'patch PersistentVolumeClaim team/data-marvin-mongodb-0', 'patch PersistentVolumeClaim team/data-marvin-redis-0', 'patch PersistentVolumeClaim team/marvin-lancedb',
      'patch Secret team/marvin-mongodb-credentials', 'patch Secret team/marvin-redis-credentials',
      'apply Gaim team/marvin',
    ]);
    for (const write of writes.filter((w) => w.verb === 'patch')) expect(write.body).toEqual({ metadata: { ownerReferences: null } });
    expect(writes.at(-1)?.body).toMatchObject({ metadata: { finalizers: [] } });
  });

  it('Delete: volumes get their class\'s reclaim policy back, then workloads, claims, Secrets go, then the Gaim', async () => {
    const { run, writes } = setUp('Delete');
    expect(await run()).toBeUndefined();
    expect(targets(writes)).toEqual([
      'apply Gaim team/marvin/status',
      'patch PersistentVolume pv-mongodb', 'patch PersistentVolume pv-redis', 'patch PersistentVolume pv-lancedb',
      'delete StatefulSet team/marvin-mongodb', 'delete StatefulSet team/marvin-redis',
      'delete PersistentVolumeClaim team/data-marvin-mongodb-0', 'delete PersistentVolumeClaim team/data-marvin-redis-0', 'delete PersistentVolumeClaim team/marvin-lancedb',
      'delete Secret team/marvin-mongodb-credentials', 'delete Secret team/marvin-redis-credentials',
      'apply Gaim team/marvin',
    ]);
    expect(writes[1]?.body).toEqual({ spec: { persistentVolumeReclaimPolicy: 'Delete' } });
  });

  it('Snapshot: a final GaimBackup first, and nothing deleted while it runs', async () => {
    const { run, writes } = setUp('Snapshot');
    expect(await run()).toEqual({ waitMs: 5000 });
    expect(targets(writes)).toEqual(['create GaimBackup team/marvin-final-abcdef12', 'apply Gaim team/marvin/status']);
    const running = setUp('Snapshot', { backup: 'Running' });
    expect(await running.run()).toEqual({ waitMs: 5000 });
    expect(targets(running.writes)).toEqual(['apply Gaim team/marvin/status']);
  });

  it('Snapshot: a failed final backup stops the deletion with what to do, and deletes nothing', async () => {
    const { run, writes } = setUp('Snapshot', { backup: 'Failed' });
    await expect(run()).rejects.toMatchObject({ errorType: 'storage', reason: 'FinalBackupFailed', message: expect.stringContaining('delete GaimBackup marvin-final-abcdef12 to take it again, or set deletionPolicy to Delete or Retain') as string });
    expect(writes.filter((w) => w.verb === 'delete')).toEqual([]);
  });

  it('Snapshot: once the final backup completed, everything goes as with Delete, the Secrets\' guard first', async () => {
    const { run, writes } = setUp('Snapshot', { backup: 'Completed', secretFinalizers: [FINALIZER] });
    expect(await run()).toBeUndefined();
    expect(targets(writes).filter((t) => t.startsWith('delete'))).toEqual([
      'delete StatefulSet team/marvin-mongodb', 'delete StatefulSet team/marvin-redis',
      'delete PersistentVolumeClaim team/data-marvin-mongodb-0', 'delete PersistentVolumeClaim team/data-marvin-redis-0', 'delete PersistentVolumeClaim team/marvin-lancedb',
      'delete Secret team/marvin-mongodb-credentials', 'delete Secret team/marvin-redis-credentials',
    ]);
  });

  it('Snapshot in a namespace being deleted: no GaimBackup (none can be made there), a kept-volumes record with the credentials copied, the Secrets released, nothing deleted, the Gaim let go at once', async () => {
    const { run, writes, events } = setUp('Snapshot', { terminating: true, secretFinalizers: [FINALIZER] });
    expect(await run()).toBeUndefined();
    expect(targets(writes)).toEqual([
      'create GaimBackupRecord team.marvin-final-abcdef12-kept', 'patch GaimBackupRecord team.marvin-final-abcdef12-kept/status',
      'create Secret gaim-system/gaim-backup.team.marvin-final-abcdef12-kept',
      'patch Secret team/marvin-mongodb-credentials', 'patch Secret team/marvin-redis-credentials',
      'apply Gaim team/marvin',
    ]);
    const record = writes[0]?.body as { spec: { volumes?: unknown; snapshots?: unknown } };
    expect(JSON.stringify(record.spec)).toContain('pv-mongodb');
    expect(events).toEqual(['FinalBackupPending']);
  });
});
