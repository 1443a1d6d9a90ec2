import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import type { GaimBackupRecord } from '../api/v1alpha1/gaim-backup-record.js';
import { backupRows, exportList, importObjects } from './backup-commands.js';

const record = (name: string, namespace: string, takenAt: string, over: Partial<GaimBackupRecord['spec']> = {}): GaimBackupRecord => ({
  apiVersion: 'gaim.livingcontent.io/v1alpha1', kind: 'GaimBackupRecord',
  metadata: { name, uid: 'u', labels: { 'gaim.livingcontent.io/gaim': 'marvin' } },
  spec: {
    source: { cluster: 'europe', namespace, gaim: 'marvin', gaimId: '660e8400-e29b-41d4-a716-446655440001', backup: name.split('.')[1] ?? '', trigger: 'scheduled', takenAt },
    gaimSpec: { environments: ['stage'] }, credentialsSecret: `gaim-backup.${name}`, deletionPolicy: 'Delete',
    snapshots: [{ store: 'mongodb', driver: 'pd.csi.storage.gke.io', snapshotHandle: 'projects/p/global/snapshots/s1' }],
    ...over,
  },
  status: { phase: 'Completed' },
});

describe('kubectl gaim backups', () => {
  it('lists newest first and says which namespaces are gone', () => {
    const now = new Date('2026-12-06T12:00:00Z');
    const rows = backupRows([record('a.old', 'a', '2026-12-05T12:00:00Z'), record('b.new', 'b', '2026-12-06T11:00:00Z')], new Set(['a']), now);
    expect(rows.map((r) => [r[0], r[1], r[6], r[7]])).toEqual([['b.new', 'b (gone)', 'mongodb', '60m'], ['a.old', 'a', 'mongodb', '24h']]);
  });
});

describe('kubectl gaim backup export / import', () => {
  const secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'gaim-backup.a.b1', namespace: 'gaim-system', uid: 'x', resourceVersion: '9' }, type: 'Opaque', data: { 'redis.password': 'c2VjcmV0' } };

  it('exports the record as a Retain copy with its credentials, nothing of this cluster\'s object state', () => {
    const list = exportList(record('a.b1', 'a', '2026-12-06T11:00:00Z', { allowedNamespaces: ['x'] }), secret, 'gaim-system') as { items: Record<string, unknown>[] };
    const [copy, kept] = list.items;
    expect(copy).toEqual({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'gaim-backup.a.b1', namespace: 'gaim-system', labels: { 'app.kubernetes.io/managed-by': 'gaim-operator' } }, type: 'Opaque', data: { 'redis.password': 'c2VjcmV0' } });
    expect(kept?.['metadata']).toEqual({ name: 'a.b1', labels: { 'gaim.livingcontent.io/gaim': 'marvin' } });
    expect((kept?.['spec'] as { deletionPolicy: string }).deletionPolicy).toBe('Retain');
    expect(kept?.['spec']).not.toHaveProperty('allowedNamespaces'); // this cluster's grants stay here
    expect(kept).not.toHaveProperty('status');
  });

  it('imports it into another operator namespace, and refuses a file whose Secret is not the record\'s', () => {
    const text = stringify(exportList(record('a.b1', 'a', '2026-12-06T11:00:00Z'), secret, 'gaim-system'));
    const { record: r, secret: s } = importObjects(text, 'ops');
    expect(r.metadata?.name).toBe('a.b1');
    expect(s.metadata).toEqual({ name: 'gaim-backup.a.b1', namespace: 'ops', labels: { 'app.kubernetes.io/managed-by': 'gaim-operator' } });
    expect(() => importObjects(text.replace('name: gaim-backup.a.b1', 'name: other'), 'ops')).toThrow('the file\'s Secret is other, and the record names gaim-backup.a.b1');
    expect(() => importObjects('kind: ConfigMap\n', 'ops')).toThrow('the file holds no GaimBackupRecord and Secret');
  });
});
