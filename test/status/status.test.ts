// Sync status end to end: the CR status and Firestore gaims/{gaim_id}, retries with backoff in
// both, terminal errors that do not retry, fencing of stale writers, retry-now, and no writes when
// nothing changed. Firestore outages that must not hold Kubernetes back: test/faults/infrastructure.test.ts.
import { randomUUID } from 'node:crypto';
import { Timestamp } from '@google-cloud/firestore';
import { describe, expect, it } from 'vitest';
import { parseGaim } from '../../src/api/v1alpha1/validate.js';
import { syncToFirestore } from '../../src/firestore/sync.js';
import { Resources } from '../../src/kube/resources.js';
import { createGaim, gaimManifest } from '../support/gaims.js';
import { isSynced, recordGaim, reconcileCount, waitForGaim } from '../support/operator.js';
import { createNamespace, eventually, partitionStores } from '../support/stack.js';
import { useSuite } from '../support/suite.js';

type Doc = Record<string, unknown> & {
  sync_status?: string; error_type?: string | null; retry_count?: number; next_retry_at?: Timestamp | null; updated_at?: Timestamp;
  sync_environments?: Record<string, { sync_status: string; cluster: string; observed_generation: number; error_type: string | null }>;
};

describe('sync status', () => {
  const suite = useSuite();
  const operator = (ns: string, env: Record<string, string> = {}) => suite.operator(ns, env);
  const doc = async (gaimId: string) => (await suite.firestore.doc(`gaims/${gaimId}`).get()).data() as Doc | undefined;
  const waitForDoc = (gaimId: string, what: string, check: (d: Doc) => boolean, timeoutMs = 60_000) =>
    eventually(`Firestore gaims/${gaimId} ${what}`, async () => {
      const current = await doc(gaimId);
      return current !== undefined && check(current) ? current : undefined;
    }, timeoutMs);
  const gaimIdOf = (g: Record<string, unknown>) => (g['spec'] as { gaimId: string }).gaimId;


  it('merges the entries of two clusters into one document, shows the worst, and leaves other fields alone', async () => {
    const gaimId = randomUUID();
    // The platform made the document first, and someone edited its display name since.
    await suite.firestore.doc(`gaims/${gaimId}`).set({ gaim_id: gaimId, gaim_name: 'zaphod', gaim_display_name: 'Edited in Firestore', created_at: Timestamp.fromDate(new Date('2024-01-16T09:00:00Z')), custom: 'kept' });
    const stageNs = await createNamespace('status-stage');
    const prodNs = await createNamespace('status-prod');
    // Two operators standing for two clusters, each with its own namespace (as each cluster would
    // have its own Gaim); they share the Firestore document.
    await operator(stageNs, { GAIM_CLUSTER_NAME: 'stage-cluster' });
    await operator(prodNs, { GAIM_CLUSTER_NAME: 'prod-cluster' });
    await createGaim(suite.client, stageNs, 'zaphod', { gaimId, environments: ['stage'] });
    // The prod cluster cannot reach its MongoDB: its seeding fails.
    await partitionStores('mongodb', 'cut', prodNs);
    await createGaim(suite.client, prodNs, 'zaphod', { gaimId, environments: ['prod'] });
    await waitForGaim(suite.client, stageNs, 'zaphod', 'to be Synced', isSynced);

    const merged = await waitForDoc(gaimId, 'to hold both entries', (d) =>
      d.sync_environments?.['stage']?.sync_status === 'synced' && d.sync_environments['prod']?.sync_status === 'failed');
    expect(merged.sync_environments?.['stage']).toMatchObject({ cluster: 'stage-cluster', observed_generation: 1, error_type: null });
    expect(merged.sync_environments?.['prod']).toMatchObject({ cluster: 'prod-cluster', error_type: 'mongodb' });
    expect(merged).toMatchObject({ sync_status: 'failed', error_type: 'mongodb', gaim_display_name: 'Edited in Firestore', custom: 'kept', gaim_name: 'zaphod' });
    expect((merged['created_at'] as Timestamp).toDate().toISOString()).toBe('2024-01-16T09:00:00.000Z');
    expect(merged.retry_count).toBeGreaterThanOrEqual(1);
  });

  it('counts retries with growing gaps while Redis is down, and resets everything once it is back (CR and Firestore)', async () => {
    const ns = await createNamespace('status-redis');
    await operator('', { GAIM_BACKOFF_BASE_MS: '1000', GAIM_BACKOFF_CAP_MS: '8000' });
    await partitionStores('redis', 'cut', ns);
    let gaimId: string;
    // Every status version, from a watch: each retry's gap is read off the version that recorded it.
    const history = recordGaim(suite.client, ns, 'ford');
    try {
      gaimId = gaimIdOf(await createGaim(suite.client, ns, 'ford'));
      await waitForGaim(suite.client, ns, 'ford', 'to fail three times', (g) => g.status?.errorType === 'redis' && (g.status as { retryCount: number }).retryCount >= 3, 90_000);
      await eventually('the watch to have seen retry 3', async () => Promise.resolve(
        history.versions.some((g) => (g.status as { retryCount?: number } | undefined)?.retryCount === 3) || undefined));
      const gapOf = (retry: number) => {
        const version = history.versions.find((g) => g.status?.errorType === 'redis' && (g.status as { retryCount?: number }).retryCount === retry);
        const s = version?.status as { lastRetryAt?: string; nextRetryAt?: string } | undefined;
        return Date.parse(s?.nextRetryAt ?? '') - Date.parse(s?.lastRetryAt ?? '');
      };
      const gaps = [gapOf(1), gapOf(2), gapOf(3)];
      // Base 1 s, doubling, jitter 20 %: 800–1000 ms, 1600–2000 ms, 3200–4000 ms.
      expect(gaps[0]).toBeGreaterThanOrEqual(800);
      expect(gaps[0]).toBeLessThanOrEqual(1000);
      expect(gaps[1]).toBeGreaterThan(gaps[0] ?? Infinity);
      expect(gaps[2]).toBeGreaterThan(gaps[1] ?? Infinity);
      const failing = await waitForDoc(gaimId, 'to show the failures', (d) => d.sync_status === 'failed' && (d.retry_count ?? 0) >= 2);
      expect(failing.error_type).toBe('redis');
      expect(failing.next_retry_at).toBeInstanceOf(Timestamp);
    } finally {
      history.stop();
      await partitionStores('redis', 'heal', ns);
    }
    const synced = await waitForGaim(suite.client, ns, 'ford', 'to be Synced after Redis is back', isSynced, 60_000);
    expect(synced.status).toMatchObject({ retryCount: 0 });
    expect(synced.status).not.toHaveProperty('nextRetryAt');
    expect(synced.status).not.toHaveProperty('errorType');
    const recovered = await waitForDoc(gaimId, 'to be synced', (d) => d.sync_status === 'synced');
    expect(recovered).toMatchObject({ retry_count: 0, next_retry_at: null, last_retry_at: null, error_type: null });
  });

  it('does not let a stale writer (older generation or older leader) overwrite a newer entry', async () => {
    const parsed = parseGaim({ ...gaimManifest('fence', 'marvin'), metadata: { name: 'marvin', namespace: 'fence', generation: 5 } });
    if (!parsed.ok) throw parsed.error;
    const gaim = parsed.gaim;
    const report = (generation: number, leaderEpoch: number, syncStatus: 'Synced' | 'Failed') =>
      ({ syncStatus, errorType: syncStatus === 'Failed' ? 'redis' as const : undefined, ledger: { retryCount: 0 }, generation, cluster: 'c', leaderEpoch });
    const outcome = async (r: ReturnType<typeof report>) => (await syncToFirestore(suite.firestore, gaim, r)).outcome;
    expect(await outcome(report(5, 2, 'Synced'))).toBe('written');
    expect(await outcome(report(4, 9, 'Failed'))).toBe('stale');
    expect(await outcome(report(5, 1, 'Failed'))).toBe('stale');
    const current = await doc(gaim.spec.gaimId);
    expect(current?.sync_environments?.['stage']).toMatchObject({ sync_status: 'synced', observed_generation: 5 });
    expect(current?.sync_status).toBe('synced');
    expect(await outcome(report(6, 1, 'Failed'))).toBe('written');
    expect((await doc(gaim.spec.gaimId))?.sync_status).toBe('failed');
  });

  it('writes on top of its own last write only while nobody else wrote: a write in between, a deletion, a removed entry are read again, not overwritten', async () => {
    const parsed = parseGaim({ ...gaimManifest('optimistic', 'trillian'), metadata: { name: 'trillian', namespace: 'optimistic', generation: 1 } });
    if (!parsed.ok) throw parsed.error;
    const gaim = parsed.gaim;
    const ref = suite.firestore.doc(`gaims/${gaim.spec.gaimId}`);
    const report = (syncStatus: 'Synced' | 'Failed', retryCount: number) =>
      ({ syncStatus, errorType: syncStatus === 'Failed' ? 'redis' as const : undefined, ledger: { retryCount }, generation: 1, cluster: 'c', leaderEpoch: 1 });

    const first = await syncToFirestore(suite.firestore, gaim, report('Synced', 0));
    expect(first.outcome).toBe('written');
    const afterFirst = (await ref.get()).updateTime;
    expect(afterFirst !== undefined && first.known?.updateTime.isEqual(afterFirst)).toBe(true);
    const second = await syncToFirestore(suite.firestore, gaim, report('Failed', 1), first.known);
    expect(second.outcome).toBe('written');
    expect((await doc(gaim.spec.gaimId))?.sync_status).toBe('failed');

    // Another cluster's entry and a platform field, written after this process's last write.
    await ref.update({ 'sync_environments.prod': { sync_status: 'failed', error_type: 'redis', retry_count: 3, cluster: 'prod', observed_generation: 1, leader_epoch: 1 }, gaim_display_name: 'Renamed' });
    const third = await syncToFirestore(suite.firestore, gaim, report('Synced', 0), second.known);
    expect(third.outcome).toBe('written');
    const merged = await doc(gaim.spec.gaimId);
    expect(merged?.sync_environments?.['stage']?.sync_status).toBe('synced');
    expect(merged?.sync_environments?.['prod']).toMatchObject({ sync_status: 'failed', cluster: 'prod' });
    // The worst of both entries: a write computed from the stale copy alone would say synced.
    expect(merged).toMatchObject({ sync_status: 'failed', error_type: 'redis', gaim_display_name: 'Renamed' });

    // Deleted since: created again, with the data model's metadata.
    await ref.delete();
    const fourth = await syncToFirestore(suite.firestore, gaim, report('Failed', 2), third.known);
    expect(fourth.outcome).toBe('written');
    expect(await doc(gaim.spec.gaimId)).toMatchObject({ gaim_name: 'trillian', gaim_id: gaim.spec.gaimId, sync_status: 'failed', retry_count: 2 });

    // This process's entry changed by hand: "unchanged" by its own copy, but it reads, and writes its entry back.
    await ref.update({ 'sync_environments.stage': { sync_status: 'synced', error_type: null, retry_count: 0, cluster: 'c', observed_generation: 0, leader_epoch: 1 } });
    const fifth = await syncToFirestore(suite.firestore, gaim, report('Failed', 2), fourth.known);
    expect(fifth.outcome).toBe('written');
    expect((await doc(gaim.spec.gaimId))?.sync_environments?.['stage']).toMatchObject({ sync_status: 'failed', retry_count: 2 });
  });

  it('retries at once when the retry-now annotation changes, and echoes the value it handled', async () => {
    const ns = await createNamespace('status-now');
    await operator('', { GAIM_BACKOFF_BASE_MS: '600000', GAIM_BACKOFF_CAP_MS: '600000' });
    await partitionStores('redis', 'cut', ns);
    try {
      await createGaim(suite.client, ns, 'slarti');
      await waitForGaim(suite.client, ns, 'slarti', 'to fail once', (g) => g.status?.errorType === 'redis' && (g.status as { retryCount: number }).retryCount === 1);
      // The next attempt is ten minutes away; ask for one now.
      await suite.client.mergePatch(Resources.gaim, 'slarti', ns, { metadata: { annotations: { 'gaim.livingcontent.io/retry-now': 'please-1' } } });
      const retried = await waitForGaim(suite.client, ns, 'slarti', 'to retry at once', (g) => (g.status as { retryCount: number }).retryCount === 2, 20_000);
      expect(retried.status).toMatchObject({ retryNowHandled: 'please-1' });
    } finally {
      await partitionStores('redis', 'heal', ns);
    }
  });

  it('writes nothing to Firestore when unchanged Gaims are resynced', async () => {
    const ns = await createNamespace('status-quiet');
    const running = await operator('', { GAIM_RESYNC_SECONDS: '1' });
    const gaimId = gaimIdOf(await createGaim(suite.client, ns, 'quiet'));
    await waitForGaim(suite.client, ns, 'quiet', 'to be Synced', isSynced);
    const before = await waitForDoc(gaimId, 'to be synced', (d) => d.sync_status === 'synced');
    const reconciles = await reconcileCount(running, `${ns}/quiet`);
    await eventually('several resyncs of quiet', async () => ((await reconcileCount(running, `${ns}/quiet`)) >= reconciles + 3 ? true : undefined), 30_000);
    const after = await doc(gaimId);
    expect(after?.updated_at?.toMillis()).toBe(before.updated_at?.toMillis());
  });
});
