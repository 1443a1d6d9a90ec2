import { Timestamp } from '@google-cloud/firestore';
import { describe, expect, it } from 'vitest';
import { entryFor, isNewer, sameEntry, type Entry, type SyncReport } from './sync.js';

const report = (over: Partial<SyncReport> = {}): SyncReport =>
  ({ syncStatus: 'Synced', errorType: undefined, ledger: { retryCount: 0 }, generation: 5, cluster: 'c', leaderEpoch: 2, ...over });
const at = (iso: string) => Timestamp.fromDate(new Date(iso));
const mine = entryFor(report(), at('2026-01-01T00:00:00Z'));

describe('isNewer (fencing)', () => {
  it.each<[string, Partial<Entry> | undefined, boolean]>([
    ['no entry yet', undefined, false],
    ['an older generation', { observed_generation: 4, leader_epoch: 9 }, false],
    ['a newer generation, whatever its leader', { observed_generation: 6, leader_epoch: 0 }, true],
    ['the same generation under an older leader', { observed_generation: 5, leader_epoch: 1 }, false],
    ['the same generation under the same leader', { observed_generation: 5, leader_epoch: 2 }, false],
    ['the same generation under a newer leader', { observed_generation: 5, leader_epoch: 3 }, true],
    ['an entry written before fencing existed (no fields)', {}, false],
  ])('%s', (_name, existing, newer) => {
    expect(isNewer(existing, mine)).toBe(newer);
  });
});

describe('sameEntry', () => {
  it.each<[string, Partial<Entry> | undefined, boolean]>([
    ['no entry', undefined, false],
    ['the same content written at another time', { ...mine, updated_at: at('2027-01-01T00:00:00Z') }, true],
    ['a null error_type equals an absent one', { ...mine, error_type: undefined as never }, true],
    ['another status', { ...mine, sync_status: 'failed' }, false],
    ['another retry count', { ...mine, retry_count: 1 }, false],
    ['another next retry time', { ...mine, next_retry_at: at('2026-01-01T00:01:00Z') }, false],
    ['another cluster', { ...mine, cluster: 'd' }, false],
    ['another leader epoch', { ...mine, leader_epoch: 3 }, false],
    ['an entry from before hibernation existed, of an awake Gaim (no rewrite after an upgrade)', (({ hibernated: _h, hibernated_at: _a, ...old }) => old)(mine), true],
    ['hibernated, where the Gaim is awake', { ...mine, hibernated: true, hibernated_at: at('2026-01-01T00:00:00Z') }, false],
  ])('%s', (_name, existing, same) => {
    expect(sameEntry(existing, mine)).toBe(same);
  });

  it('says whether the Gaim hibernates, and since when, for the platform\'s services to read before they connect', () => {
    expect(mine).toMatchObject({ hibernated: false, hibernated_at: null });
    const asleep = entryFor(report({ hibernatedAt: '2026-01-01T00:00:00.000Z' }), at('2026-01-01T00:00:01Z'));
    expect(asleep).toMatchObject({ hibernated: true, hibernated_at: at('2026-01-01T00:00:00Z') });
    expect(sameEntry(mine, asleep)).toBe(false);
  });

  it('compares timestamps by value, not by object', () => {
    const withRetry = entryFor(report({ ledger: { retryCount: 1, lastRetryAt: '2026-01-01T00:00:00.000Z', nextRetryAt: '2026-01-01T00:00:01.000Z' } }), at('2026-01-01T00:00:00Z'));
    expect(sameEntry({ ...withRetry, next_retry_at: at('2026-01-01T00:00:01.000Z') }, withRetry)).toBe(true);
  });
});
