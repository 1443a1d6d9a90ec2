// The controller engine against the real API server, with a reconciler that only records calls:
// watches and owned-object mapping, relists, leader election, graceful shutdown, metrics, settings.
import { beforeAll, describe, expect, it } from 'vitest';
import { Labels, MANAGED_BY } from '../../src/kube/labels.js';
import type { KubeObject } from '../../src/kube/objects.js';
import { Resources } from '../../src/kube/resources.js';
import { installCrd } from '../support/crd.js';
import { createGaim } from '../support/gaims.js';
import { metricValue, OperatorProcess } from '../support/operator-process.js';
import { compactEtcd, createNamespace, eventually, stackComponent } from '../support/stack.js';
import { useSuite } from '../support/suite.js';

describe('controller engine', () => {
  const suite = useSuite();
  const start = async (env: Record<string, string>, options: { script?: string; args?: string[] } = {}) =>
    suite.track(await OperatorProcess.start({ ...options, env }));
  /** Each test watches only its own namespace and elects on its own Lease. */
  const isolated = (ns: string, extra: Record<string, string> = {}) => ({
    GAIM_WATCH_NAMESPACES: ns, GAIM_LEASE_NAMESPACE: ns, GAIM_LEASE_NAME: `leader-${ns}`, ...extra,
  });

  beforeAll(async () => { await installCrd(); });

  it('reconciles each Gaim once it is cached, and again when an object it owns changes', async () => {
    const ns = await createNamespace('engine-owned');
    const operator = await start(isolated(ns, { GAIM_LEADER_ELECT: 'false', RECORD_DELAY_MS: '300' }));
    await createGaim(suite.client, ns, 'alpha');
    await eventually('alpha to be reconciled', async () => Promise.resolve(operator.starts(`${ns}/alpha`).length > 0 || undefined));
    expect(await operator.readyz()).toBe(200);
    const before = operator.starts(`${ns}/alpha`).length;

    // An owned object (managed-by label + gaim label) enqueues its Gaim ...
    await suite.client.create(Resources.configMap, {
      apiVersion: 'v1', kind: 'ConfigMap',
      metadata: { name: 'alpha-connection', namespace: ns, labels: { [Labels.managedBy]: MANAGED_BY, [Labels.gaim]: 'alpha' } },
      data: { a: '1' },
    });
    await eventually('alpha to be reconciled after its ConfigMap changed', async () =>
      Promise.resolve(operator.starts(`${ns}/alpha`).length > before || undefined));
    // ... and so does its deletion: a deleted Service must come back.
    const afterCreate = operator.starts(`${ns}/alpha`).length;
    await suite.client.delete(Resources.configMap, 'alpha-connection', ns);
    await eventually('alpha to be reconciled after its ConfigMap was deleted', async () =>
      Promise.resolve(operator.starts(`${ns}/alpha`).length > afterCreate || undefined));
    // A burst of changes while alpha's reconcile is in flight (each takes 300 ms): four workers are
    // free, yet no one works on alpha twice at once; the changes collapse into re-runs after it.
    const beforeBurst = operator.starts(`${ns}/alpha`).length;
    for (let i = 0; i < 6; i++) {
      await suite.client.mergePatch(Resources.gaim, 'alpha', ns, { metadata: { annotations: { 'test/burst': String(i) } } });
      await new Promise((resolve) => setTimeout(resolve, 60));
    }
    await eventually('alpha to be reconciled again after the burst', async () =>
      Promise.resolve(operator.starts(`${ns}/alpha`).length >= beforeBurst + 2 || undefined));
    // No other Gaim was touched, and no one worked on alpha twice at once.
    expect(new Set(operator.starts().map((r) => r.key))).toEqual(new Set([`${ns}/alpha`]));
    expect(maxConcurrent(operator, `${ns}/alpha`)).toBe(1);

    // The listed metrics exist, and the ones that count work have moved.
    const text = await operator.metrics();
    expect(metricValue(text, 'controller_runtime_reconcile_total', { result: 'success' })).toBeGreaterThanOrEqual(3);
    expect(metricValue(text, 'controller_runtime_reconcile_time_seconds_count')).toBeGreaterThanOrEqual(3);
    expect(metricValue(text, 'workqueue_adds_total')).toBeGreaterThanOrEqual(3);
    expect(metricValue(text, 'workqueue_queue_duration_seconds_count')).toBeGreaterThanOrEqual(3);
    expect(metricValue(text, 'workqueue_work_duration_seconds_count')).toBeGreaterThanOrEqual(3);
    expect(metricValue(text, 'rest_client_requests_total', { verb: 'LIST' })).toBeGreaterThan(0);
    for (const series of ['controller_runtime_reconcile_errors_total', 'controller_runtime_terminal_reconcile_errors_total',
      'controller_runtime_active_workers', 'controller_runtime_max_concurrent_reconciles', 'workqueue_depth',
      'workqueue_retries_total', 'process_resident_memory_bytes', 'nodejs_heap_size_used_bytes']) {
      expect(text, series).toMatch(new RegExp(`^(# TYPE )?${series}`, 'm'));
    }
    expect(metricValue(text, 'controller_runtime_max_concurrent_reconciles')).toBe(4);
  });

  it('loses no Gaim when its watch expires and it must relist (API server restarted, etcd compacted)', async () => {
    const ns = await createNamespace('engine-relist');
    const operator = await start(isolated(ns, { GAIM_LEADER_ELECT: 'false' }));
    for (const name of ['one', 'two', 'three']) await createGaim(suite.client, ns, name);
    await eventually('the first Gaims to be reconciled', async () =>
      Promise.resolve(['one', 'two', 'three'].every((n) => operator.starts(`${ns}/${n}`).length > 0) || undefined));

    await stackComponent('kube-apiserver', 'stop');
    await compactEtcd(); // every resourceVersion the operator holds is now too old
    await stackComponent('kube-apiserver', 'start');
    const restartedAt = Date.now();
    // Changes made while the operator's watches are broken must still reach it.
    for (const name of ['four', 'five']) await createGaim(suite.client, ns, name);
    await suite.client.delete(Resources.gaim, 'two', ns);

    await eventually('every change to be reconciled after the relist', async () =>
      Promise.resolve(['four', 'five', 'two'].every((n) => operator.starts(`${ns}/${n}`).some((r) => r.at >= restartedAt)) || undefined), 90_000);
    const relists = await eventually('a relist of gaims to be counted', async () => {
      const value = metricValue(await operator.metrics(), 'gaim_informer_relists_total', { resource: 'gaims' });
      return value !== undefined && value > 0 ? value : undefined;
    }, 60_000);
    expect(relists).toBeGreaterThan(0);
  });

  it('restarts a watch that goes silent, and still sees changes afterwards', async () => {
    const ns = await createNamespace('engine-silent');
    const operator = await start(isolated(ns, { GAIM_LEADER_ELECT: 'false', GAIM_WATCH_INACTIVITY_SECONDS: '5' }));
    await eventually('the operator to be ready', async () => ((await operator.readyz()) === 200 ? true : undefined));
    const watches = async () => metricValue(await operator.metrics(), 'rest_client_requests_total', { verb: 'WATCH', resource: 'gaims' }) ?? 0;
    const first = await watches();
    // Nothing changes in this namespace, and bookmarks come far less often than every 5 s.
    await eventually('the silent gaims watch to be restarted twice', async () => ((await watches()) >= first + 2 ? true : undefined), 30_000);
    await createGaim(suite.client, ns, 'late');
    await eventually('a Gaim created after the restarts to be reconciled', async () =>
      Promise.resolve(operator.starts(`${ns}/late`).length > 0 || undefined));
  });

  it('elects one leader of two replicas, and the standby takes over within the lease duration when the leader is killed', async () => {
    const ns = await createNamespace('engine-leader');
    // Short enough to keep the test quick, long enough that a busy 2-core CI machine renews in time.
    const lease = { GAIM_LEASE_DURATION_SECONDS: '6', GAIM_RENEW_DEADLINE_SECONDS: '4', GAIM_RETRY_PERIOD_SECONDS: '1' };
    const a = await start(isolated(ns, { ...lease, GAIM_IDENTITY: 'replica-a' }));
    const b = await start(isolated(ns, { ...lease, GAIM_IDENTITY: 'replica-b' }));
    await createGaim(suite.client, ns, 'shared');
    const leaderStatus = async (p: OperatorProcess) => metricValue(await p.metrics().catch(() => ''), 'leader_election_master_status');
    const [leader, standby] = await eventually('exactly one leader', async () => {
      const [sa, sb] = [await leaderStatus(a), await leaderStatus(b)];
      if (sa === 1 && sb === 0) return [a, b] as const;
      if (sb === 1 && sa === 0) return [b, a] as const;
      for (const replica of [a, b]) {
        // A replica that died cannot become either; say why instead of waiting out the deadline.
        if (replica.exit !== undefined) throw new Error(`a replica exited (${JSON.stringify(replica.exit)}): ${replica.stderr.slice(-5).join(' | ')} ${JSON.stringify(replica.records.slice(-3))}`);
      }
      throw new Error(`leader_election_master_status is ${String(sa)} and ${String(sb)}`);
    });
    await eventually('the leader to reconcile', async () => Promise.resolve(leader.starts(`${ns}/shared`).length > 0 || undefined));
    expect(standby.starts()).toEqual([]);
    // The standby becomes ready too once its caches are synced: it is ready to lead.
    await eventually('the standby to be ready', async () => ((await standby.readyz()) === 200 ? true : undefined));

    leader.kill('SIGKILL');
    const killedAt = Date.now();
    // Within the lease: the dead leader's 6 s run out, plus up to two of the standby's 1 s retries (one
    // to see the last renewal, one to take the lease), plus 7 s for a loaded 2-core machine to start
    // the reconcile. Not the minute a stuck election would also fit in.
    const takeoverBoundMs = (6 + 2 * 1 + 7) * 1000;
    await eventually('the standby to lead and reconcile within the lease', async () =>
      Promise.resolve(standby.starts(`${ns}/shared`).length > 0 || undefined), takeoverBoundMs);
    // It waited for the dead leader's lease to run out: nothing of the standby's ran before the kill.
    expect(standby.starts().every((r) => r.at >= killedAt)).toBe(true);
    const held = await suite.client.get<KubeObject & { spec: { holderIdentity?: string } }>(Resources.lease, `leader-${ns}`, ns);
    expect(held.spec.holderIdentity).toBe(standby === a ? 'replica-a' : 'replica-b');
  });

  it('stops reconciling and exits when it cannot renew its lease before the renew deadline', async () => {
    const ns = await createNamespace('engine-renew');
    // A long lease and a short renew deadline: stepping down must come well before the lease runs out.
    const operator = await start(isolated(ns, {
      GAIM_IDENTITY: 'isolated', GAIM_LEASE_DURATION_SECONDS: '30', GAIM_RENEW_DEADLINE_SECONDS: '3', GAIM_RETRY_PERIOD_SECONDS: '1',
    }));
    await createGaim(suite.client, ns, 'cut-off');
    await eventually('the leader to reconcile', async () => Promise.resolve(operator.starts(`${ns}/cut-off`).length > 0 || undefined));
    await stackComponent('kube-apiserver', 'stop');
    let exit: Awaited<typeof operator.exited>;
    try {
      exit = await operator.exited;
    } finally {
      await stackComponent('kube-apiserver', 'start');
    }
    const stopped = operator.records.find((r) => r.event === 'stopped');
    expect(stopped).toMatchObject({ reason: 'lost-leadership' });
    expect(exit.code).toBe(1);
    // It gave up before its lease could expire for anyone else: before its last renewal plus the lease duration.
    const lease = await eventually('the lease to be readable again', async () =>
      suite.client.get<KubeObject & { spec: { renewTime: string; leaseDurationSeconds: number } }>(Resources.lease, `leader-${ns}`, ns));
    expect(stopped?.at ?? Infinity).toBeLessThan(Date.parse(lease.spec.renewTime) + lease.spec.leaseDurationSeconds * 1000);
  });

  it('drains in-flight reconciles on SIGTERM, releases the lease and exits 0', async () => {
    const ns = await createNamespace('engine-drain');
    const operator = await start(isolated(ns, { GAIM_IDENTITY: 'drainer', RECORD_DELAY_MS: '3000', GAIM_SHUTDOWN_TIMEOUT_SECONDS: '20' }));
    await createGaim(suite.client, ns, 'slow');
    await eventually('a reconcile to be in flight', async () => Promise.resolve(operator.starts(`${ns}/slow`).length > 0 || undefined));
    operator.kill('SIGTERM');
    const exit = await operator.exited;
    expect(exit.code).toBe(0);
    // The reconcile in flight when the signal came was finished, not cut off: it started before the
    // signal and ended after it.
    const events = operator.records.map((r) => r.event);
    const signalled = events.indexOf('signal');
    expect(signalled).toBeGreaterThan(0);
    expect(events.lastIndexOf('start', signalled)).toBeGreaterThan(events.lastIndexOf('end', signalled));
    expect(events.slice(signalled)).toContain('end');
    expect(operator.records.at(-1)).toMatchObject({ event: 'stopped', reason: 'shutdown' });
    const released = await suite.client.get<KubeObject & { spec: { holderIdentity?: string | null } }>(Resources.lease, `leader-${ns}`, ns);
    expect(released.spec.holderIdentity ?? '').toBe('');
  });

  it('stops start-up with one line naming a bad setting, exit code 1', async () => {
    const operator = await start({ GAIM_WORKERS: 'many' }, { script: 'src/main.ts', args: ['run'] });
    expect((await operator.exited).code).toBe(1);
    expect(operator.stderr).toEqual(['gaim-operator: invalid setting GAIM_WORKERS="many": expected an integer from 1 to 64']);
  });

  it('stops start-up with one line naming the Lease namespace setting when that namespace does not exist', async () => {
    // As `make run` against a cluster without the chart: no gaim-system namespace to elect in.
    const operator = await start({ GAIM_LEADER_ELECT: 'true', GAIM_LEASE_NAMESPACE: 'no-such-namespace', GAIM_WATCH_NAMESPACES: 'no-such-namespace' }, { script: 'src/main.ts', args: ['run'] });
    expect((await operator.exited).code).toBe(1);
    expect(operator.stderr).toEqual(['gaim-operator: the leader Lease\'s namespace "no-such-namespace" does not exist: set GAIM_LEASE_NAMESPACE (or POD_NAMESPACE) to an existing namespace, or GAIM_LEADER_ELECT=false to run without election']);
  });
});

/** The most reconciles of one key that overlapped in time. */
function maxConcurrent(operator: OperatorProcess, key: string): number {
  let current = 0;
  let max = 0;
  for (const record of operator.records.filter((r) => r.key === key)) {
    current += record.event === 'start' ? 1 : record.event === 'end' ? -1 : 0;
    max = Math.max(max, current);
  }
  return max;
}
