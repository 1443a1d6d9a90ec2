// Sync status end to end: the CR status and Firestore gaims/{gaim_id}, retries with backoff in
// both, terminal errors that do not retry, fencing of stale writers, retry-now, and no writes when
// nothing changed. Firestore outages that must not hold Kubernetes back: test/faults/infrastructure.test.ts.
import { randomUUID } from 'node:crypto';
import { Timestamp, type Firestore } from '@google-cloud/firestore';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseGaim } from '../../src/api/v1alpha1/validate.js';
import type { KubeClient } from '../../src/kube/client.js';
import { Resources } from '../../src/kube/resources.js';
import { syncToFirestore } from '../../src/status/firestore-sync.js';
import { adminClient, createGaim, gaimManifest } from '../support/gaims.js';
import type { OperatorProcess } from '../support/operator-process.js';
import { isSynced, startOperator, waitForGaim, type GaimObject } from '../support/operator.js';
import { createNamespace, emulatorFirestore, eventually, stackComponent } from '../support/stack.js';

type Doc = Record<string, unknown> & {
  sync_status?: string; error_type?: string | null; retry_count?: number; next_retry_at?: Timestamp | null; updated_at?: Timestamp;
  sync_environments?: Record<string, { sync_status: string; cluster: string; observed_generation: number; error_type: string | null }>;
};

describe('sync status', () => {
  let client: KubeClient;
  let firestore: Firestore;
  const running: OperatorProcess[] = [];
  const operator = async (ns: string, env: Record<string, string> = {}) => {
    const started = await startOperator(ns, env);
    running.push(started);
    return started;
  };
  const doc = async (gaimId: string) => (await firestore.doc(`gaims/${gaimId}`).get()).data() as Doc | undefined;
  const waitForDoc = (gaimId: string, what: string, check: (d: Doc) => boolean, timeoutMs = 60_000) =>
    eventually(`Firestore gaims/${gaimId} ${what}`, async () => {
      const current = await doc(gaimId);
      return current !== undefined && check(current) ? current : undefined;
    }, timeoutMs);
  const gaimIdOf = (g: Record<string, unknown>) => (g['spec'] as { gaimId: string }).gaimId;

  beforeAll(async () => {
    client = await adminClient();
    firestore = emulatorFirestore();
  });
  afterEach(async () => { await Promise.all(running.splice(0).map((p) => p.stop())); });
  afterAll(async () => {
    await client.close();
    await firestore.terminate();
  });

  it('merges the entries of two clusters into one document, shows the worst, and leaves other fields alone', async () => {
    const gaimId = randomUUID();
    // The platform made the document first, and someone edited its display name since.
    await firestore.doc(`gaims/${gaimId}`).set({ gaim_id: gaimId, gaim_name: 'zaphod', gaim_display_name: 'Edited in Firestore', created_at: Timestamp.fromDate(new Date('2024-01-16T09:00:00Z')), custom: 'kept' });
    const stageNs = await createNamespace('status-stage');
    const prodNs = await createNamespace('status-prod');
    await operator(stageNs, { GAIM_CLUSTER_NAME: 'stage-cluster' });
    await operator(prodNs, { GAIM_CLUSTER_NAME: 'prod-cluster' });
    await createGaim(client, stageNs, 'zaphod', { gaimId, environments: ['stage'] });
    // The prod Gaim's credentials are not the stack's: its MongoDB seeding fails.
    await createGaim(client, prodNs, 'zaphod', { gaimId, environments: ['prod'] }, { generatedCredentials: true });
    await waitForGaim(client, stageNs, 'zaphod', 'to be Synced', isSynced);

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
    await operator(ns, { GAIM_BACKOFF_BASE_MS: '1000', GAIM_BACKOFF_CAP_MS: '8000' });
    await stackComponent('redis-server', 'stop');
    let gaimId: string;
    try {
      gaimId = gaimIdOf(await createGaim(client, ns, 'ford'));
      const seen = new Map<number, GaimObject>();
      await waitForGaim(client, ns, 'ford', 'to fail three times', (g) => {
        if (g.status?.syncStatus === 'Failed' && g.status.errorType === 'redis') seen.set((g.status as { retryCount: number }).retryCount, g);
        return seen.has(3);
      }, 60_000);
      const gap = (g: GaimObject | undefined) => {
        const s = g?.status as { lastRetryAt?: string; nextRetryAt?: string } | undefined;
        return Date.parse(s?.nextRetryAt ?? '') - Date.parse(s?.lastRetryAt ?? '');
      };
      const gaps = [1, 2, 3].filter((n) => seen.has(n)).map((n) => gap(seen.get(n)));
      expect(gaps.length).toBeGreaterThanOrEqual(2);
      for (let i = 1; i < gaps.length; i++) expect(gaps[i]).toBeGreaterThan(gaps[i - 1] ?? Infinity);
      expect(gaps[0]).toBeLessThanOrEqual(1000);
      const failing = await waitForDoc(gaimId, 'to show the failures', (d) => d.sync_status === 'failed' && (d.retry_count ?? 0) >= 2);
      expect(failing.error_type).toBe('redis');
      expect(failing.next_retry_at).toBeInstanceOf(Timestamp);
    } finally {
      await stackComponent('redis-server', 'start');
    }
    const synced = await waitForGaim(client, ns, 'ford', 'to be Synced after Redis is back', isSynced, 60_000);
    expect(synced.status).toMatchObject({ retryCount: 0 });
    expect(synced.status).not.toHaveProperty('nextRetryAt');
    expect(synced.status).not.toHaveProperty('errorType');
    const recovered = await waitForDoc(gaimId, 'to be synced', (d) => d.sync_status === 'synced');
    expect(recovered).toMatchObject({ retry_count: 0, next_retry_at: null, last_retry_at: null, error_type: null });
  });

  it('fails terminally, without counting retries, when a static NFS share is already used by another Gaim', async () => {
    const first = await createNamespace('status-nfs-a');
    const second = await createNamespace('status-nfs-b');
    await operator(`${first},${second}`, { GAIM_RESYNC_SECONDS: '2' });
    const share = { nfs: { server: '10.0.0.9', path: `/vol1/${first}` } };
    await createGaim(client, first, 'owner', { lancedb: { storage: share } });
    await waitForGaim(client, first, 'owner', 'to be Synced', isSynced);
    await createGaim(client, second, 'taker', { lancedb: { storage: share } });
    const refused = await waitForGaim(client, second, 'taker', 'to fail', (g) => g.status?.syncStatus === 'Failed');
    expect(refused.status).toMatchObject({ errorType: 'conflict', retryCount: 0 });
    expect(refused.status?.message).toContain(`already backs Gaim ${first}/owner`);
    // Many resyncs later, still no retries counted and nothing created for it.
    await new Promise((resolve) => setTimeout(resolve, 12_000));
    const later = await client.get<GaimObject>(Resources.gaim, 'taker', second);
    expect(later.status).toMatchObject({ errorType: 'conflict', retryCount: 0 });
    expect(later.status).not.toHaveProperty('nextRetryAt');
    expect((await client.list(Resources.statefulSet, { namespace: second })).items).toEqual([]);
  });

  it('does not let a stale writer (older generation or older leader) overwrite a newer entry', async () => {
    const parsed = parseGaim({ ...gaimManifest('fence', 'marvin'), metadata: { name: 'marvin', namespace: 'fence', generation: 5 } });
    if (!parsed.ok) throw parsed.error;
    const gaim = parsed.gaim;
    const report = (generation: number, leaderEpoch: number, syncStatus: 'Synced' | 'Failed') =>
      ({ syncStatus, errorType: syncStatus === 'Failed' ? 'redis' as const : undefined, ledger: { retryCount: 0 }, generation, cluster: 'c', leaderEpoch });
    expect(await syncToFirestore(firestore, gaim, report(5, 2, 'Synced'))).toBe('written');
    expect(await syncToFirestore(firestore, gaim, report(4, 9, 'Failed'))).toBe('stale');
    expect(await syncToFirestore(firestore, gaim, report(5, 1, 'Failed'))).toBe('stale');
    const current = await doc(gaim.spec.gaimId);
    expect(current?.sync_environments?.['stage']).toMatchObject({ sync_status: 'synced', observed_generation: 5 });
    expect(current?.sync_status).toBe('synced');
    expect(await syncToFirestore(firestore, gaim, report(6, 1, 'Failed'))).toBe('written');
    expect((await doc(gaim.spec.gaimId))?.sync_status).toBe('failed');
  });

  it('retries at once when the retry-now annotation changes, and echoes the value it handled', async () => {
    const ns = await createNamespace('status-now');
    await operator(ns, { GAIM_BACKOFF_BASE_MS: '600000', GAIM_BACKOFF_CAP_MS: '600000' });
    await stackComponent('redis-server', 'stop');
    try {
      await createGaim(client, ns, 'slarti');
      await waitForGaim(client, ns, 'slarti', 'to fail once', (g) => g.status?.errorType === 'redis' && (g.status as { retryCount: number }).retryCount === 1);
      // The next attempt is ten minutes away; ask for one now.
      await client.mergePatch(Resources.gaim, 'slarti', ns, { metadata: { annotations: { 'gaim.livingcontent.io/retry-now': 'please-1' } } });
      const retried = await waitForGaim(client, ns, 'slarti', 'to retry at once', (g) => (g.status as { retryCount: number }).retryCount === 2, 20_000);
      expect(retried.status).toMatchObject({ retryNowHandled: 'please-1' });
    } finally {
      await stackComponent('redis-server', 'start');
    }
  });

  it('writes nothing to Firestore when unchanged Gaims are resynced', async () => {
    const ns = await createNamespace('status-quiet');
    await operator(ns, { GAIM_RESYNC_SECONDS: '1' });
    const gaimId = gaimIdOf(await createGaim(client, ns, 'quiet'));
    await waitForGaim(client, ns, 'quiet', 'to be Synced', isSynced);
    const before = await waitForDoc(gaimId, 'to be synced', (d) => d.sync_status === 'synced');
    await new Promise((resolve) => setTimeout(resolve, 5000)); // several resyncs
    const after = await doc(gaimId);
    expect(after?.updated_at?.toMillis()).toBe(before.updated_at?.toMillis());
  });
});
