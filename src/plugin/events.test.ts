import { describe, expect, it } from 'vitest';
import { newestEvents } from './events.js';

const event = (name: string, fields: Record<string, unknown>) => ({ metadata: { name, creationTimestamp: '2025-06-01T10:00:00Z' }, ...fields });

describe('newestEvents', () => {
  it('orders by when each last happened: a series\' last observation, else eventTime, else a core/v1 last timestamp, else creation', () => {
    const events = newestEvents([
      event('created-only', { reason: 'Old' }),
      event('event-time', { reason: 'Synced', type: 'Normal', note: ' all stores ready \n', eventTime: '2025-06-01T11:00:00.000000Z' }),
      event('series', { reason: 'BackupFailed', type: 'Warning', eventTime: '2025-06-01T09:00:00.000000Z', series: { count: 4, lastObservedTime: '2025-06-01T11:30:00.000000Z' } }),
      event('core', { reason: 'ProvisioningFailed', type: 'Warning', deprecatedLastTimestamp: '2025-06-01T10:30:00Z', deprecatedCount: 2 }),
    ]);
    expect(events.map((e) => [e.reason, e.count])).toEqual([['BackupFailed', 4], ['Synced', 1], ['ProvisioningFailed', 2], ['Old', 1]]);
    expect(events[1]).toEqual({ type: 'Normal', reason: 'Synced', note: 'all stores ready', count: 1, at: '2025-06-01T11:00:00.000000Z' });
    expect(events[3]).toMatchObject({ type: 'Normal', note: '', at: '2025-06-01T10:00:00Z' });
  });

  it('keeps the newest `limit`', () => {
    const many = Array.from({ length: 9 }, (_, i) => event(`e${i}`, { reason: `R${i}`, eventTime: `2025-06-01T10:0${i}:00Z` }));
    expect(newestEvents(many).map((e) => e.reason)).toEqual(['R8', 'R7', 'R6', 'R5', 'R4']);
    expect(newestEvents(many, 2)).toHaveLength(2);
  });
});
