import { describe, expect, it } from 'vitest';
import { parseGaim } from '../api/v1alpha1/validate.js';
import type { Gaim } from '../api/v1alpha1/gaim.js';
import type { BackupClaim, GaimBackupStatus } from '../api/v1alpha1/gaim-backup.js';
import { restorePlan } from './restore.js';

function gaim(spec: Record<string, unknown> = {}): Gaim {
  const result = parseGaim({
    apiVersion: 'gaim.livingcontent.io/v1alpha1', kind: 'Gaim', metadata: { name: 'marvin', namespace: 'ns', uid: 'u', generation: 1 },
    spec: { gaimId: '660e8400-e29b-41d4-a716-446655440001', displayName: 'M', environments: ['stage'], lancedb: { storage: { storageClassName: 'standard-rwx', size: '100Gi' } }, ...spec },
  });
  if (!result.ok) throw result.error;
  return result.gaim;
}
const entry = (store: BackupClaim['store'], over: Partial<BackupClaim> = {}): BackupClaim => ({ store, claim: `c-${store}`, supported: true, readyToUse: true, volumeSnapshot: `b-${store}`, restoreSize: '10Gi', ...over });
const completed = (claims: BackupClaim[]): GaimBackupStatus => ({ phase: 'Completed', claims, credentialsSecret: 'b-credentials' });

describe('restorePlan', () => {
  it('restores every store from its snapshot, into the claims the StatefulSets will adopt', () => {
    expect(restorePlan(gaim(), 'b', completed([entry('mongodb'), entry('redis'), entry('lancedb')])).map((p) => [p.store, p.claim, p.entry?.volumeSnapshot]))
      .toEqual([['mongodb', 'data-marvin-mongodb-0', 'b-mongodb'], ['redis', 'data-marvin-redis-0', 'b-redis'], ['lancedb', 'marvin-lancedb', 'b-lancedb']]);
  });

  it('lets a store the backup could not snapshot start empty', () => {
    const plan = restorePlan(gaim(), 'b', completed([entry('mongodb'), entry('redis'), entry('lancedb', { supported: false, readyToUse: false, error: 'not supported' })]));
    expect(plan.find((p) => p.store === 'lancedb')?.entry).toBeUndefined();
  });

  it.each<[string, Gaim, GaimBackupStatus, string, string]>([
    ['a backup still running', gaim(), { phase: 'Running' }, 'RestoreSourceNotReady', 'it is Running, not Completed'],
    ['a failed backup', gaim(), { phase: 'Failed' }, 'RestoreSourceNotReady', 'it is Failed'],
    ['a store the backup does not hold', gaim(), completed([entry('mongodb'), entry('lancedb')]), 'RestoreSourceMismatch', 'holds no redis claim'],
    ['a store the Gaim does not enable', gaim({ redis: { enabled: false } }), completed([entry('mongodb'), entry('redis'), entry('lancedb')]), 'RestoreSourceMismatch', 'which this Gaim does not enable'],
    ['a snapshot into a static share', gaim({ lancedb: { storage: { nfs: { server: '10.0.0.2', path: '/vol1/gaims/ns' } } } }), completed([entry('mongodb'), entry('redis'), entry('lancedb')]), 'RestoreSourceMismatch', 'static NFS share'],
  ])('refuses %s', (_name, g, status, reason, text) => {
    expect(() => restorePlan(g, 'b', status)).toThrow(text);
    try { restorePlan(g, 'b', status); } catch (error: unknown) { expect((error as { reason?: string }).reason).toBe(reason); }
  });
});
