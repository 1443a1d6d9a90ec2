import { describe, expect, it } from 'vitest';
import { BACKUP_TRIGGER_LABEL } from '../../resources/backup.js';
import { retention, type BackupView } from './backups.js';

const backup = (name: string, created: string, phase: 'Completed' | 'Failed' | 'Running', trigger: string | null = 'scheduled'): BackupView => ({
  metadata: { name, creationTimestamp: created, labels: trigger === null ? {} : { [BACKUP_TRIGGER_LABEL]: trigger } },
  status: { phase, ...(phase === 'Completed' ? { completedAt: created.replace(':00Z', ':30Z') } : {}) },
});
const names = (list: BackupView[]) => list.map((b) => b.metadata?.name).sort();

describe('retention of scheduled backups', () => {
  it('keeps the newest `keep` Completed, and deletes the older ones', () => {
    const all = [backup('a', '2026-12-01T01:00:00Z', 'Completed'), backup('b', '2026-12-01T02:00:00Z', 'Completed'), backup('c', '2026-12-01T03:00:00Z', 'Completed')];
    expect(names(retention(all, 2))).toEqual(['a']);
    expect(names(retention(all, 3))).toEqual([]);
  });

  it('never deletes the only Completed one, nor a Failed one no later backup completed after', () => {
    const all = [backup('old-fail', '2026-12-01T01:00:00Z', 'Failed'), backup('ok', '2026-12-01T02:00:00Z', 'Completed'), backup('new-fail', '2026-12-01T03:00:00Z', 'Failed')];
    expect(names(retention(all, 1))).toEqual(['old-fail']);
    expect(names(retention([backup('f1', '2026-12-01T01:00:00Z', 'Failed'), backup('f2', '2026-12-01T02:00:00Z', 'Failed')], 1))).toEqual([]);
  });

  it('leaves backups taken by hand, final backups and running ones alone', () => {
    const all = [backup('manual', '2026-12-01T00:00:00Z', 'Completed', null), backup('final', '2026-12-01T00:30:00Z', 'Completed', 'final'),
      backup('run', '2026-12-01T00:40:00Z', 'Running'), backup('s1', '2026-12-01T01:00:00Z', 'Completed'), backup('s2', '2026-12-01T02:00:00Z', 'Completed')];
    expect(names(retention(all, 1))).toEqual(['s1']);
  });
});
