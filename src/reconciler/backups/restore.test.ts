import { describe, expect, it } from 'vitest';
import { parseGaim } from '../../api/v1alpha1/validate.js';
import type { Gaim } from '../../api/v1alpha1/gaim.js';
import type { GaimBackupRecord, RecordSnapshot } from '../../api/v1alpha1/gaim-backup-record.js';
import { pino } from 'pino';
import type { KubeClient } from '../../kube/client.js';
import type { KubeObject } from '../../kube/objects.js';
import { Resources, type Resource } from '../../kube/resources.js';
import { BUILT_IN_TIERS } from '../../resources/tiers.js';
import { restore, restorePlan, restoreSource } from './restore.js';

const GAIM_ID = '660e8400-e29b-41d4-a716-446655440001';
function gaim(spec: Record<string, unknown> = {}, namespace = 'ns'): Gaim {
  const result = parseGaim({
    apiVersion: 'gaim.livingcontent.io/v1alpha1', kind: 'Gaim', metadata: { name: 'marvin', namespace, uid: 'u', generation: 1 },
    spec: { gaimId: GAIM_ID, displayName: 'M', environments: ['stage'], lancedb: { storage: { storageClassName: 'standard-rwx', size: '100Gi' } }, restoreFrom: { backup: 'b' }, ...spec },
  });
  if (!result.ok) throw result.error;
  return result.gaim;
}
const snapshot = (store: RecordSnapshot['store']): RecordSnapshot => ({ store, driver: store === 'lancedb' ? 'filestore.csi.storage.gke.io' : 'pd.csi.storage.gke.io', snapshotHandle: `h-${store}`, restoreSize: '10Gi' });
type RecordView = Pick<GaimBackupRecord, 'metadata' | 'spec' | 'status'>;
const record = (over: { snapshots?: RecordSnapshot[]; notBackedUp?: { store: 'lancedb'; reason: string }[]; gaimId?: string; namespace?: string; allowed?: string[]; phase?: 'Pending' | 'Completed' | 'Failed' } = {}): RecordView => ({
  metadata: { name: 'ns.b' },
  spec: {
    source: { cluster: 'c', namespace: over.namespace ?? 'ns', gaim: 'marvin', gaimId: over.gaimId ?? GAIM_ID, backup: 'b', trigger: 'manual', takenAt: '2026-12-06T10:00:00Z' },
    gaimSpec: {}, credentialsSecret: 'gaim-backup.ns.b', deletionPolicy: 'Delete',
    snapshots: over.snapshots ?? [snapshot('mongodb'), snapshot('redis'), snapshot('lancedb')],
    ...(over.notBackedUp === undefined ? {} : { notBackedUp: over.notBackedUp }),
    ...(over.allowed === undefined ? {} : { allowedNamespaces: over.allowed }),
  },
  status: { phase: over.phase ?? 'Completed' },
});

describe('restoreSource', () => {
  it('reads a backup of this namespace from its record in the catalog, or a record by name', () => {
    expect(restoreSource(gaim())).toEqual({ label: 'b', record: 'ns.b' });
    expect(restoreSource(gaim({ restoreFrom: { record: 'old.nightly' } }))).toEqual({ label: 'old.nightly', record: 'old.nightly' });
    expect(restoreSource(gaim({ restoreFrom: undefined }))).toBeUndefined();
  });
});

describe('restorePlan', () => {
  it('restores every store from its snapshot, into the claims the StatefulSets will adopt', () => {
    expect(restorePlan(gaim(), 'b', record()).map((p) => [p.store, p.claim, p.snapshot?.snapshotHandle]))
      .toEqual([['mongodb', 'data-marvin-mongodb-0', 'h-mongodb'], ['redis', 'data-marvin-redis-0', 'h-redis'], ['lancedb', 'marvin-lancedb', 'h-lancedb']]);
  });

  it('lets a store the backup does not hold start empty', () => {
    const plan = restorePlan(gaim(), 'b', record({ snapshots: [snapshot('mongodb'), snapshot('redis')], notBackedUp: [{ store: 'lancedb', reason: 'static NFS share' }] }));
    expect(plan.find((p) => p.store === 'lancedb')?.snapshot).toBeUndefined();
  });

  it('restores into another namespace the record allows', () => {
    expect(restorePlan(gaim({}, 'elsewhere'), 'b', record({ allowed: ['elsewhere'] }))).toHaveLength(3);
  });

  it.each<[string, Gaim, RecordView | undefined, string, string]>([
    ['no record', gaim(), undefined, 'RestoreSourceNotReady', 'the backup catalog has no record ns.b'],
    ['a record still being taken', gaim(), record({ phase: 'Pending' }), 'RestoreSourceNotReady', 'it is Pending, not Completed'],
    ['a failed backup', gaim(), record({ phase: 'Failed' }), 'RestoreSourceNotReady', 'it is Failed'],
    ['another gaimId\'s backup', gaim(), record({ gaimId: '770e8400-e29b-41d4-a716-446655440002' }), 'RestoreSourceMismatch',
      `it is a backup of gaimId 770e8400-e29b-41d4-a716-446655440002 (Gaim ns/marvin), and this Gaim's gaimId is ${GAIM_ID}`],
    ['another namespace, not allowed', gaim({}, 'elsewhere'), record(), 'RestoreNotAllowed', 'namespace elsewhere is not in its spec.allowedNamespaces'],
    ['a store the backup does not hold', gaim(), record({ snapshots: [snapshot('mongodb'), snapshot('lancedb')] }), 'RestoreSourceMismatch', 'holds no redis snapshot'],
    ['a store the Gaim does not enable', gaim({ redis: { enabled: false } }), record(), 'RestoreSourceMismatch', 'which this Gaim does not enable'],
    ['a snapshot into a static share', gaim({ lancedb: { storage: { nfs: { server: '10.0.0.2', path: '/vol1/gaims/ns' } } } }), record(), 'RestoreSourceMismatch', 'static NFS share'],
  ])('refuses %s', (_name, g, source, reason, text) => {
    let caught: unknown;
    try { restorePlan(g, 'b', source); } catch (error: unknown) { caught = error; }
    expect((caught as Error | undefined)?.message).toContain(text);
    expect((caught as { reason?: string } | undefined)?.reason).toBe(reason);
  });

  it('refuses claims in the way first, even before the record exists: their data is kept', () => {
    let caught: unknown;
    try { restorePlan(gaim(), 'b', undefined, ['data-marvin-mongodb-0']); } catch (error: unknown) { caught = error; }
    expect(caught).toMatchObject({ errorType: 'validation', reason: 'RestoreSourceMismatch', message: expect.stringContaining('claim data-marvin-mongodb-0 already exists') as string });
  });

  it('checks the gaimId before anything else: a record of another Gaim says so, not that it is unfinished', () => {
    let caught: unknown;
    try { restorePlan(gaim(), 'b', record({ gaimId: '770e8400-e29b-41d4-a716-446655440002', phase: 'Pending' })); } catch (error: unknown) { caught = error; }
    expect((caught as { reason?: string } | undefined)?.reason).toBe('RestoreSourceMismatch');
    expect((caught as { errorType?: string } | undefined)?.errorType).toBe('validation');
  });
});

describe('restore, once its claims exist', () => {
  const restored = (): Gaim => {
    const g = gaim();
    return { ...g, status: { restoredFrom: 'b' } };
  };
  const run = async (claimPhase: string) => {
    const deleted: string[] = [];
    const objects = new Map<string, KubeObject>([
      ['ns/marvin-restore-lancedb', { metadata: { name: 'marvin-restore-lancedb', namespace: 'ns' } }],
      ['ns/marvin-lancedb', { metadata: { name: 'marvin-lancedb', namespace: 'ns' }, status: { phase: claimPhase } }],
    ]);
    const caches = { get: <T extends KubeObject>(resource: Resource, key: string) => (resource === Resources.volumeSnapshot || resource === Resources.persistentVolumeClaim ? objects.get(key) as T | undefined : undefined), list: () => [] };
    const client = { delete: (resource: Resource, name: string) => { deleted.push(`${resource.kind}/${name}`); return Promise.resolve(); } } as unknown as KubeClient;
    const never = new AbortController().signal;
    const progress = await restore(restored(), BUILT_IN_TIERS.small, { caches, client, events: { record: () => undefined }, operatorNamespace: 'gaim-system', lancedbRestoreClass: 'enterprise-rwx' },
      { signal: never, stop: never, attempt: 0, log: pino({ level: 'silent' }) });
    return { progress, deleted };
  };

  it('keeps the snapshot it binds through until the claim made from it is Bound (a claim waits for its first consumer)', async () => {
    expect(await run('Pending')).toEqual({ progress: { restoredFrom: 'b' }, deleted: [] });
  });

  it('then removes the VolumeSnapshot and its pre-provisioned content', async () => {
    expect((await run('Bound')).deleted).toEqual(['VolumeSnapshot/marvin-restore-lancedb', 'VolumeSnapshotContent/restore-u-lancedb']);
  });
});
