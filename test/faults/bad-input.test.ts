// Bad input and bad timing: 50 malformed Gaims applied together with 50 valid ones, and a Gaim deleted
// while its seeding is in flight. The valid ones converge; each bad one fails with its own reason,
// once, and is not retried in a loop; the operator's memory and queue stay bounded; a deletion mid-way
// leaves nothing running and nothing recreated, and keeps the data (deletionPolicy Retain).
import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { KubeApiError } from '../../src/kube/errors.js';
import type { KubeObject } from '../../src/kube/objects.js';
import { resourcePath, Resources } from '../../src/kube/resources.js';
import { cases } from '../api/cases.js';
import { claimDirectory, createGaim } from '../support/gaims.js';
import { metricValue } from '../support/operator-process.js';
import { isSynced, settlesQuietly, waitForGaim, type GaimObject } from '../support/operator.js';
import { createNamespace, eventually } from '../support/stack.js';
import { useSuite } from '../support/suite.js';
import { expectNoLeaks, Witness } from './witness.js';

const VALID = 50;
const MIB = 1024 * 1024;

describe('faults: bad input and bad timing', () => {
  const suite = useSuite();
  const witness = new Witness();

  afterEach(async () => { await witness.stopAll(suite.client); });

  it('50 malformed Gaims applied with 50 valid ones: the valid converge, the bad fail with their reasons, memory and queue stay bounded', async () => {
    await suite.crowd();
    // Malformed for the API server: every invalid case of the API table that a create can hit.
    const rejected = cases.filter((c) => c.invalid !== undefined && c.before === undefined);
    // Malformed in a way no schema can see: a second Gaim in a namespace that already has one.
    const interlopers = 50 - rejected.length;
    expect(interlopers).toBeGreaterThan(0);
    const namespaces = await Promise.all(Array.from({ length: VALID }, async (_, i) => witness.namespace(await createNamespace(`flood${String(i)}`))));
    const operator = await witness.operator();
    await eventually('the operator to be ready', async () => ((await operator.readyz()) === 200 ? true : undefined));
    // The baseline is taken once one Gaim has converged: the MongoDB driver and the Firestore SDK are
    // loaded on first use (tens of MiB), which is no growth with the number of Gaims.
    const warm = witness.namespace(await createNamespace('flood-warm'));
    await createGaim(suite.client, warm, 'warm');
    await waitForGaim(suite.client, warm, 'warm', 'to be Synced', isSynced, 120_000);
    const idleRss = metricValue(await operator.metrics(), 'process_resident_memory_bytes') ?? 0;
    const badNs = namespaces[0] ?? '';

    const outcomes = await Promise.all([
      ...namespaces.map(async (ns, i) => {
        await createGaim(suite.client, ns, `ok${String(i)}`);
        // The interloper comes second, and its name sorts after: the namespace's owner is certain.
        if (i < interlopers) await createGaim(suite.client, ns, `zz${String(i)}`);
        return undefined;
      }),
      ...rejected.map(async ({ name, manifest, invalid }) => {
        try {
          // Strict, as kubectl applies: unknown fields are refused (400) rather than silently dropped.
          await suite.client.request('CREATE', 'gaims', 'POST', resourcePath(Resources.gaim, badNs), { body: { ...manifest, metadata: { ...manifest.metadata, namespace: badNs } }, query: { fieldValidation: 'Strict' } });
          return `${name}: accepted`;
        } catch (error: unknown) {
          if (!(error instanceof KubeApiError)) throw error;
          return [400, 422].includes(error.status) && error.message.includes(invalid?.apiMessage ?? '?') ? undefined : `${name}: ${String(error.status)} ${error.message}`;
        }
      }),
    ]);
    expect(outcomes.filter((o) => o !== undefined), 'API server verdicts').toEqual([]);

    for (let i = 0; i < interlopers; i++) {
      const ns = namespaces[i] ?? '';
      const refused = await waitForGaim(suite.client, ns, `zz${String(i)}`, 'to fail as a second Gaim in its namespace', (g) => g.status?.syncStatus === 'Failed', 120_000);
      expect(refused.status).toMatchObject({ errorType: 'conflict', retryCount: 0 });
      expect(refused.status?.message).toContain(`already has Gaim ok${String(i)}`);
    }
    // The first wait holds the whole crowd's start (150 claims, 100 store processes, 50 seed Jobs four
    // at a time): on a slow two-core machine more than five minutes; bounded by what the test has left.
    for (const [i, ns] of namespaces.entries()) await waitForGaim(suite.client, ns, `ok${String(i)}`, 'to be Synced', isSynced, 600_000);

    // Nothing was made for an interloper, and nothing for it keeps going round.
    for (let i = 0; i < interlopers; i++) {
      const names = (await suite.client.list(Resources.statefulSet, { namespace: namespaces[i] ?? '' })).items.map((s) => s.metadata?.name);
      expect(names.sort()).toEqual([`ok${String(i)}-mongodb`, `ok${String(i)}-redis`]);
    }
    await settlesQuietly(operator, namespaces.flatMap((ns, i) => [`${ns}/ok${String(i)}`, ...(i < interlopers ? [`${ns}/zz${String(i)}`] : [])]), 5000);
    const later = await operator.metrics();
    expect(metricValue(later, 'workqueue_depth')).toBe(0);
    expect(metricValue(later, 'workqueue_retries_total') ?? 0).toBeLessThanOrEqual(2 * VALID);
    // Bounded memory: a sanity bound that a leak or a retry storm would break (the figures that matter
    // come from `make bench`, which measures the operator as its image runs it).
    expect(idleRss).toBeGreaterThan(0);
    expect(metricValue(later, 'process_resident_memory_bytes') ?? Infinity).toBeLessThan(idleRss + 200 * MIB);
    expect(metricValue(later, 'nodejs_heap_size_used_bytes') ?? Infinity).toBeLessThan(250 * MIB);
  }, 900_000); // a hundred store processes and fifty seed Jobs on two cores, after the crowd before it (suite.crowd)

  it('a Gaim deleted while its seeding is in flight: nothing left running, nothing recreated, its data kept', async () => {
    const ns = witness.namespace(await createNamespace('del-seed'));
    const operator = await witness.operator();
    await createGaim(suite.client, ns, 'doomed');
    await eventually('the seed Job to be created', async () =>
      ((await suite.client.list(Resources.job, { namespace: ns })).items.length > 0 ? true : undefined), 60_000);
    const before = await suite.client.get<GaimObject>(Resources.gaim, 'doomed', ns);
    expect(before.status?.conditions?.find((c) => c.type === 'Seeded')?.status).not.toBe('True');
    await suite.client.delete(Resources.gaim, 'doomed', ns);

    await eventually('the Gaim to be finalized and gone', async () =>
      suite.client.get(Resources.gaim, 'doomed', ns).then(() => undefined, (e: unknown) => (e instanceof KubeApiError && e.status === 404 ? true : undefined)), 60_000);
    const running = async () => {
      const found: string[] = [];
      for (const resource of [Resources.statefulSet, Resources.job, Resources.pod, Resources.service, Resources.configMap, Resources.networkPolicy]) {
        for (const o of (await suite.client.list<KubeObject>(resource, { namespace: ns })).items) {
          if (o.metadata?.name !== 'kube-root-ca.crt') found.push(`${resource.kind}/${o.metadata?.name ?? ''}`);
        }
      }
      return found;
    };
    await eventually('its workloads to be garbage-collected', async () => ((await running()).length === 0 ? true : undefined), 60_000);
    await sleep(3000); // a reconcile racing the deletion must not bring anything back
    expect(await running()).toEqual([]);

    // deletionPolicy Retain: the LanceDB claim and its data stay, released from the Gaim.
    const claim = await suite.client.get<KubeObject>(Resources.persistentVolumeClaim, 'doomed-lancedb', ns);
    expect(claim.metadata?.ownerReferences ?? []).toEqual([]);
    expect(existsSync(await claimDirectory(suite.client, ns, 'doomed-lancedb'))).toBe(true);
    expect(operator.exit).toBeUndefined();
    expect(await operator.readyz()).toBe(200);
  });

  it('leaves no secret value in the operators\' logs, events or Gaim statuses', async () => {
    await expectNoLeaks(suite.client, witness);
  });
});
