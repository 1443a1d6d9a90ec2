import { Timestamp } from '@google-cloud/firestore';
import { describe, expect, it } from 'vitest';
import { openSyncEntryReader, syncEntriesOf } from './sync-entries.js';

describe('syncEntriesOf', () => {
  it('reads each environment\'s entry as plain values, timestamps as RFC 3339', () => {
    const updated = Timestamp.fromDate(new Date('2025-06-01T11:57:00Z'));
    expect(syncEntriesOf({
      sync_status: 'failed', // the top-level fields are not an entry
      sync_environments: {
        stage: { sync_status: 'synced', error_type: null, retry_count: 0, updated_at: updated, cluster: 'stage-eu', observed_generation: 3, leader_epoch: 1 },
        prod: { sync_status: 'failed', error_type: 'redis', retry_count: 2, updated_at: '2025-06-01T11:00:00Z' },
        local: { sync_status: 7, updated_at: 'later' },
        broken: 'not an entry',
      },
    })).toEqual({
      stage: { syncStatus: 'synced', errorType: null, retryCount: 0, updatedAt: '2025-06-01T11:57:00.000Z', cluster: 'stage-eu' },
      prod: { syncStatus: 'failed', errorType: 'redis', retryCount: 2, updatedAt: '2025-06-01T11:00:00Z' },
      local: {},
    });
  });

  it.each([undefined, {}, { sync_environments: null }, { sync_environments: 'x' }])('finds no entries in %j', (data) => {
    expect(syncEntriesOf(data)).toEqual({});
  });
});

describe('openSyncEntryReader', () => {
  it('answers "unavailable" within its deadline when nothing listens, and never throws', async () => {
    // Port 1 on loopback: refused at once, or silent; either way within the deadline.
    const reader = openSyncEntryReader({ projectId: 'p', databaseId: '(default)', emulatorHost: '127.0.0.1:1' }, 1500);
    const started = Date.now();
    const result = await reader.read('660e8400-e29b-41d4-a716-446655440001');
    await reader.close();
    expect(Date.now() - started).toBeLessThan(5000);
    expect(result).toMatchObject({ state: 'unavailable', path: 'gaims/660e8400-e29b-41d4-a716-446655440001' });
    expect(reader.source).toBe('emulator 127.0.0.1:1');
  });
});
