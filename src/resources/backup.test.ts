import { describe, expect, it } from 'vitest';
import type { BackupClaim } from '../api/v1alpha1/gaim-backup.js';
import { backupVerdict, scheduledBackupName, snapshotPlan, type ClaimFacts, type SnapshotClassView } from './backup.js';

const PD = 'pd.csi.storage.gke.io';
const FS = 'filestore.csi.storage.gke.io';
const classes: SnapshotClassView[] = [
  { name: 'pd-snapshots', driver: PD, isDefault: true },
  { name: 'pd-other', driver: PD, isDefault: false },
  { name: 'filestore-backups', driver: FS, isDefault: true },
];
const facts = (over: Partial<ClaimFacts> = {}): ClaimFacts => ({
  target: { store: 'mongodb', claim: 'data-m-mongodb-0' }, phase: 'Bound', storageClassName: 'standard-rwo', driver: PD, classParameters: {}, ...over,
});

describe('snapshotPlan', () => {
  it.each<[string, ClaimFacts, string | undefined, ReturnType<typeof snapshotPlan>['supported'], string]>([
    ['a bound PD claim: its driver\'s default class', facts(), undefined, true, 'pd-snapshots'],
    ['the class the operator is set to use', facts(), 'pd-other', true, 'pd-other'],
    ['a Filestore instance: Filestore backups', facts({ target: { store: 'lancedb', claim: 'm-lancedb' }, storageClassName: 'standard-rwx', driver: FS }), undefined, true, 'filestore-backups'],
    ['a Filestore multishare share: Filestore backups (GKE 1.25+, NFSv3)', facts({ target: { store: 'lancedb', claim: 'm-lancedb' }, storageClassName: 'enterprise-multishare-rwx', driver: FS, classParameters: { multishare: 'true' } }), undefined, true, 'filestore-backups'],
    ['a Filestore multishare share over NFSv4.1 (single shares only)', facts({ target: { store: 'lancedb', claim: 'm-lancedb' }, storageClassName: 'ms41', driver: FS, classParameters: { multishare: 'true', protocol: 'NFS_V4_1' } }), undefined, false, 'GKE backs up NFSv4.1 single shares only'],
    ['a static NFS share', facts({ target: { store: 'lancedb', claim: 'm-lancedb' }, storageClassName: '', driver: undefined }), undefined, false, 'static NFS share'],
    ['a configured class that does not exist', facts(), 'gone', false, 'does not exist'],
    ['a configured class of another driver', facts(), 'filestore-backups', false, `is for driver ${FS}`],
    ['a driver without a default class', facts({ driver: 'other.csi.example.com' }), undefined, false, 'no default VolumeSnapshotClass'],
    ['a claim that does not exist yet', facts({ phase: undefined }), undefined, 'waiting', 'does not exist yet'],
    ['a Pending claim', facts({ phase: 'Pending' }), undefined, 'waiting', 'is Pending'],
  ])('%s', (_name, claim, configured, supported, detail) => {
    const plan = snapshotPlan(claim, classes, configured);
    expect(plan.supported).toBe(supported);
    expect(plan.supported === true ? plan.className : plan.reason).toContain(detail);
  });
});

describe('backupVerdict', () => {
  const claim = (store: BackupClaim['store'], over: Partial<BackupClaim> = {}): BackupClaim => ({ store, claim: `c-${store}`, supported: true, readyToUse: true, volumeSnapshot: `b-${store}`, ...over });
  const unsupported = claim('lancedb', { supported: false, readyToUse: false, error: 'not supported: multishare' });
  it.each<[string, BackupClaim[], boolean, boolean, 'Running' | 'Completed' | 'Failed', string]>([
    ['all ready', [claim('mongodb'), claim('redis'), claim('lancedb')], true, false, 'Completed', '3 of 3'],
    ['one not ready yet', [claim('mongodb'), claim('redis', { readyToUse: false })], true, false, 'Running', 'waiting for redis'],
    ['a share queued behind another of its instance', [claim('mongodb'), claim('lancedb', { readyToUse: false, queued: 'queued: Filestore instance p/l/fs-1 backs up one share at a time' })], true, false, 'Running', 'lancedb (queued: Filestore instance p/l/fs-1'],
    ['one unsupported, requireAll', [claim('mongodb'), unsupported], true, false, 'Failed', 'requireAll is true'],
    ['one unsupported, requireAll false', [claim('mongodb'), unsupported], false, false, 'Completed', 'not backed up'],
    ['nothing supported at all', [unsupported], false, false, 'Failed', 'no claim could be snapshotted'],
    ['time up with one never answered', [claim('mongodb'), claim('redis', { readyToUse: false })], true, true, 'Failed', 'its CSI driver has not answered'],
    ['time up with one never answered, requireAll false', [claim('mongodb'), claim('redis', { readyToUse: false })], false, true, 'Completed', 'its CSI driver has not answered'],
    ['time up, the snapshot\'s own error quoted', [claim('mongodb', { readyToUse: false, error: 'rpc error: quota' })], true, true, 'Failed', 'rpc error: quota'],
  ])('%s', (_name, claims, requireAll, timedOut, phase, text) => {
    const verdict = backupVerdict(claims, requireAll, timedOut, 60);
    expect(verdict.phase).toBe(phase);
    expect(verdict.message).toContain(text);
  });
});

it('names a scheduled backup by its Gaim and slot, so a slot is taken once', () => {
  const slot = new Date('2026-12-01T03:00:00Z');
  expect(scheduledBackupName('marvin', slot)).toBe(scheduledBackupName('marvin', new Date(slot)));
  expect(scheduledBackupName('marvin', slot)).not.toBe(scheduledBackupName('marvin', new Date(slot.getTime() + 60_000)));
  expect(scheduledBackupName('marvin', slot)).toMatch(/^marvin-[a-z0-9]+$/);
});
