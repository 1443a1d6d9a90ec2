// The operator itself dies: SIGKILLed in the middle of a reconcile and started again, and the leader of
// two replicas killed while it works. Nothing may be lost or duplicated: credentials stay as first
// generated, every object still belongs to its Gaim, the retry ledger carries on, and all converge.
import { afterEach, describe, expect, it } from 'vitest';
import { Labels } from '../../src/kube/labels.js';
import type { KubeObject } from '../../src/kube/objects.js';
import { Resources, type Resource } from '../../src/kube/resources.js';
import { createGaim } from '../support/gaims.js';
import { metricValue, type OperatorProcess } from '../support/operator-process.js';
import { isSynced, settlesQuietly, waitForGaim, type GaimObject } from '../support/operator.js';
import { createNamespace, eventually, partitionStores, testStack } from '../support/stack.js';
import { useSuite } from '../support/suite.js';
import { expectNoLeaks, Witness } from './witness.js';

type Secret = KubeObject & { data?: Record<string, string> };

/** The kinds a Gaim owns, namespaced. */
const OWNED: readonly Resource[] = [Resources.secret, Resources.service, Resources.configMap, Resources.statefulSet,
  Resources.job, Resources.persistentVolumeClaim, Resources.networkPolicy];

describe('faults: the operator dies', () => {
  const suite = useSuite();
  const witness = new Witness();

  const credentials = async (ns: string, gaim: string) => {
    const secrets = (await suite.client.list<Secret>(Resources.secret, { namespace: ns, labelSelector: `${Labels.gaim}=${gaim}` })).items;
    return Object.fromEntries(secrets.map((s) => [s.metadata?.name ?? '', s.data ?? {}]));
  };

  /** Every object the operator made for the Gaim is owned by it, and nothing exists twice under another name. */
  const expectNoOrphans = async (ns: string, gaim: GaimObject) => {
    const uid = gaim.metadata?.uid;
    const name = gaim.metadata?.name ?? '';
    const byKind: Record<string, string[]> = {};
    for (const resource of OWNED) {
      for (const object of (await suite.client.list(resource, { namespace: ns })).items) {
        const owners = object.metadata?.ownerReferences ?? [];
        const objectName = object.metadata?.name ?? '';
        if (resource === Resources.persistentVolumeClaim && owners.length === 0) continue; // claims of StatefulSets
        if (object.metadata?.labels?.[Labels.managedBy] !== 'gaim-operator') continue; // e.g. the Job's pods' own
        expect(owners.map((o) => o.uid), `${resource.kind} ${objectName}`).toContain(uid);
        (byKind[resource.kind] ??= []).push(objectName);
      }
    }
    expect(byKind['Secret']?.sort()).toEqual([`${name}-mongodb-credentials`, `${name}-redis-credentials`]);
    expect(byKind['StatefulSet']?.sort()).toEqual([`${name}-mongodb`, `${name}-redis`]);
    // One seed Job: the LanceDB seed ran once, not once per restart.
    expect(byKind['Job']?.length, `seed Jobs of ${name}`).toBe(1);
  };

  afterEach(async () => { await witness.stopAll(suite.client); });

  it('SIGKILLed mid-reconcile and restarted: same credentials, no orphans, the retry ledger carries on', async () => {
    // `fresh` is cut off from its MongoDB, so it fails to seed and retries; `whole` must reach Synced.
    // Both stores initialise from the credentials generated first: had a restart generated new ones,
    // the stores would refuse them and neither Gaim could be Synced at the end.
    const [freshNs, wholeNs] = [witness.namespace(await createNamespace('crash-fresh')), witness.namespace(await createNamespace('crash-whole'))];
    await partitionStores('mongodb', 'cut', freshNs);
    const env = { GAIM_BACKOFF_BASE_MS: '1000', GAIM_BACKOFF_CAP_MS: '4000' };
    let operator = await witness.operator([], env);
    await createGaim(suite.client, wholeNs, 'whole');
    await createGaim(suite.client, freshNs, 'fresh');

    // Kill it the moment the first generated Secret exists: it is between writes of one reconcile.
    const first = await eventually('the first generated Secret', async () => {
      const found = await credentials(freshNs, 'fresh');
      return Object.keys(found).length > 0 ? found : undefined;
    }, 90_000); // an operator's start on a busy two-core machine comes first
    operator.kill('SIGKILL');
    await operator.exited;
    const createdBeforeKill = Object.keys(first);

    operator = await witness.operator([], env);
    const failing = await waitForGaim(suite.client, freshNs, 'fresh', 'to fail seeding its unreachable MongoDB, twice',
      (g) => g.status?.syncStatus === 'Failed' && ((g.status as { retryCount?: number }).retryCount ?? 0) >= 2, 90_000);
    expect(failing.status?.errorType).toBe('mongodb');
    const generated = await credentials(freshNs, 'fresh');
    for (const name of createdBeforeKill) expect(generated[name], `${name} after the restart`).toEqual(first[name]);

    // Kill it again with retries on the ledger: the count goes on from where it was, not from zero.
    const before = (await suite.client.get<GaimObject>(Resources.gaim, 'fresh', freshNs)).status as { retryCount: number };
    operator.kill('SIGKILL');
    await operator.exited;
    operator = await witness.operator([], env);
    const after = await waitForGaim(suite.client, freshNs, 'fresh', `to count retry ${before.retryCount + 1}`,
      (g) => ((g.status as { retryCount?: number }).retryCount ?? 0) > before.retryCount, 60_000);
    expect((after.status as { retryCount: number }).retryCount).toBe(before.retryCount + 1);
    expect(await credentials(freshNs, 'fresh')).toEqual(generated);

    // Reachable again: the credentials generated first still open the store.
    await partitionStores('mongodb', 'heal', freshNs);
    const fresh = await waitForGaim(suite.client, freshNs, 'fresh', 'to be Synced once its MongoDB is reachable', isSynced, 90_000);
    const whole = await waitForGaim(suite.client, wholeNs, 'whole', 'to be Synced after the restarts', isSynced, 90_000);
    await expectNoOrphans(wholeNs, whole);
    await expectNoOrphans(freshNs, fresh);
    expect(await credentials(freshNs, 'fresh')).toEqual(generated);
    const doc = (await suite.firestore.doc(`gaims/${(whole.spec as { gaimId: string }).gaimId}`).get()).data();
    expect(doc).toMatchObject({ sync_status: 'synced', retry_count: 0, gaim_name: 'whole' });
    expect(metricValue(await operator.metrics(), 'workqueue_depth') ?? 0).toBeLessThanOrEqual(2);
  }, 420_000); // the sum of its waits' bounds (two failures, a retry, two Synced)

  it('leader killed with two replicas running: the standby takes over and every Gaim converges once', async () => {
    const namespaces = await Promise.all(['lead-a', 'lead-b', 'lead-c'].map(async (p) => witness.namespace(await createNamespace(p))));
    // The Lease lives where the chart's Role lets the operator keep it: its own namespace.
    const leaseNs = testStack().operatorAccount.namespace;
    const leaseName = `faults-${namespaces[0] ?? ''}`;
    const env = {
      GAIM_LEADER_ELECT: 'true', GAIM_LEASE_NAMESPACE: leaseNs, GAIM_LEASE_NAME: leaseName,
      GAIM_LEASE_DURATION_SECONDS: '6', GAIM_RENEW_DEADLINE_SECONDS: '4', GAIM_RETRY_PERIOD_SECONDS: '1',
    };
    const replicas = [
      await witness.operator([], { ...env, GAIM_IDENTITY: 'replica-a' }),
      await witness.operator([], { ...env, GAIM_IDENTITY: 'replica-b' }),
    ];
    const leading = async (p: OperatorProcess) => metricValue(await p.metrics().catch(() => ''), 'leader_election_master_status') === 1;
    const leader = await eventually('a leader', async () => {
      for (const replica of replicas) if (await leading(replica)) return replica;
      return undefined;
    });
    const standby = replicas.find((r) => r !== leader);
    if (standby === undefined) throw new Error('no standby');

    for (const [i, ns] of namespaces.entries()) await createGaim(suite.client, ns, `lead${String(i)}`);
    // Kill the leader while it is provisioning: as soon as any StatefulSet of these Gaims exists.
    await eventually('the leader to be provisioning', async () =>
      ((await suite.client.list(Resources.statefulSet, { namespace: namespaces[0] ?? '' })).items.length > 0 ? true : undefined), 30_000);
    const credentialsAtKill = await credentials(namespaces[0] ?? '', 'lead0');
    leader.kill('SIGKILL');
    await leader.exited;

    await eventually('the standby to lead', async () => ((await leading(standby)) ? true : undefined), 30_000);
    for (const [i, ns] of namespaces.entries()) {
      const synced = await waitForGaim(suite.client, ns, `lead${String(i)}`, 'to be Synced under the new leader', isSynced, 90_000);
      await expectNoOrphans(ns, synced);
    }
    expect(await credentials(namespaces[0] ?? '', 'lead0')).toMatchObject(credentialsAtKill);
    const lease = await suite.client.get<KubeObject & { spec: { holderIdentity?: string } }>(Resources.lease, leaseName, leaseNs);
    expect(lease.spec.holderIdentity).toBe(standby === replicas[0] ? 'replica-a' : 'replica-b');
    // Converged means quiet: no reconcile keeps going round.
    await settlesQuietly(standby, namespaces.map((ns, i) => `${ns}/lead${String(i)}`));
  }, 480_000); // the sum of its waits' bounds (a leader, provisioning, the takeover, three Synced, quiet)

  it('leaves no secret value in the operators\' logs, events or Gaim statuses', async () => {
    await expectNoLeaks(suite.client, witness);
  });
});
