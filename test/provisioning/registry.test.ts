// Tier sizes from the platform's app registry in Firestore (the emulator): a registry entry wins
// over the built-in sizes; a malformed entry fails the Gaim with errorType firestore, naming the
// document and field, without crashing the operator; fixing it recovers; a registry that cannot be
// read at start-up leaves running stores as they are (no restart to defaults and back).
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/kube/objects.js';
import { Resources } from '../../src/kube/resources.js';
import { Message } from '../../src/messages.js';
import { installCrd } from '../support/crd.js';
import { createGaim } from '../support/gaims.js';
import type { OperatorProcess } from '../support/operator-process.js';
import { isSynced, reconcilesOf, settlesQuietly, waitForGaim } from '../support/operator.js';
import { createNamespace, eventually, stackComponent } from '../support/stack.js';
import { useSuite } from '../support/suite.js';

type Sts = KubeObject & { spec: { template: { spec: { containers: { resources: { requests: Record<string, string> } }[] } }; volumeClaimTemplates: { spec: { resources: { requests: Record<string, string> } } }[] } };

describe('app registry', () => {
  const suite = useSuite();
  const apps = () => suite.firestore.collection('tenant_manager/config/apps');

  beforeAll(async () => { await installCrd(); });
  afterEach(async () => {
    await Promise.all(['mongodb', 'redis'].map((app) => apps().doc(app).delete()));
  });

  it('sizes stores from tier_defaults, falling back to built-in sizes for apps it does not list', async () => {
    await apps().doc('mongodb').set({ is_stateful: true, volume_field: 'storage', tier_defaults: { small: { cpu: '300m', memory: '768Mi', storage: '12Gi' } } });
    const ns = await createNamespace('registry');
    await suite.operator(ns);
    await createGaim(suite.client, ns, 'sized');
    await waitForGaim(suite.client, ns, 'sized', 'to be Synced', isSynced);
    const mongo = await suite.client.get<Sts>(Resources.statefulSet, 'sized-mongodb', ns);
    expect(mongo.spec.template.spec.containers[0]?.resources.requests).toEqual({ cpu: '300m', memory: '768Mi' });
    expect(mongo.spec.volumeClaimTemplates[0]?.spec.resources.requests['storage']).toBe('12Gi');
    const redis = await suite.client.get<Sts>(Resources.statefulSet, 'sized-redis', ns);
    expect(redis.spec.template.spec.containers[0]?.resources.requests).toEqual({ cpu: '100m', memory: '256Mi' });
  });

  it('keeps running stores as they are when Firestore cannot be read at start-up, not the built-in sizes, then applies the registry\'s new sizes once', async () => {
    // Registry sizes that differ from the built-in ones (small: 250m, 1Gi).
    await apps().doc('mongodb').set({ is_stateful: true, volume_field: 'storage', tier_defaults: { small: { cpu: '300m', memory: '768Mi', storage: '12Gi' } } });
    const ns = await createNamespace('registry-outage');
    const first = await suite.operator(ns);
    await createGaim(suite.client, ns, 'steady');
    await waitForGaim(suite.client, ns, 'steady', 'to be Synced', isSynced, 120_000);
    const before = await suite.client.get<Sts>(Resources.statefulSet, 'steady-mongodb', ns);
    await first.stop();
    // The registry changes while no operator runs; then Firestore stops answering.
    await apps().doc('mongodb').set({ is_stateful: true, volume_field: 'storage', tier_defaults: { small: { cpu: '350m', memory: '768Mi', storage: '12Gi' } } });

    // The operator restarts while Firestore takes calls and never answers (its process frozen).
    await stackComponent('firestore-emulator', 'pause');
    const key = `${ns}/steady`;
    let second: OperatorProcess | undefined;
    try {
      second = await suite.operator(ns);
      const operator = second;
      await eventually('a reconcile of steady by the new operator', async () => Promise.resolve(reconcilesOf(operator, [key]) > 0 ? true : undefined), 60_000);
      const seen = reconcilesOf(operator, [key]);
      await suite.client.mergePatch(Resources.gaim, 'steady', ns, { metadata: { annotations: { 'test/poke': '1' } } });
      await eventually('another reconcile of steady', async () => Promise.resolve(reconcilesOf(operator, [key]) > seen ? true : undefined), 60_000);
      const during = await suite.client.get<Sts>(Resources.statefulSet, 'steady-mongodb', ns);
      expect(during.metadata?.generation, 'no rollout while the sizes are unknown').toBe(before.metadata?.generation);
      expect(during.spec.template.spec.containers[0]?.resources.requests).toEqual({ cpu: '300m', memory: '768Mi' });
    } finally {
      await stackComponent('firestore-emulator', 'resume');
    }
    // Firestore answers again: the registry's new sizes are applied, in one change of the StatefulSet.
    await suite.client.mergePatch(Resources.gaim, 'steady', ns, { metadata: { annotations: { 'test/poke': '2' } } });
    await eventually('the registry\'s new sizes on the StatefulSet', async () =>
      ((await suite.client.get<Sts>(Resources.statefulSet, 'steady-mongodb', ns)).spec.template.spec.containers[0]?.resources.requests['cpu'] === '350m' ? true : undefined), 120_000);
    await waitForGaim(suite.client, ns, 'steady', 'to be Synced with Firestore answering', (g) => isSynced(g) && g.status?.conditions?.find((c) => c.type === 'FirestoreSynced')?.status === 'True', 120_000);
    await suite.client.mergePatch(Resources.gaim, 'steady', ns, { metadata: { annotations: { 'test/poke': '3' } } });
    await settlesQuietly(second, [key]);
    const after = await suite.client.get<Sts>(Resources.statefulSet, 'steady-mongodb', ns);
    expect(after.metadata?.generation, 'one change, once').toBe((before.metadata?.generation ?? 0) + 1);
    expect(after.spec.template.spec.containers[0]?.resources.requests).toEqual({ cpu: '350m', memory: '768Mi' });
  }, 400_000);

  it('fails a Gaim with errorType suite.firestore on a malformed entry, and recovers when it is fixed', async () => {
    await apps().doc('redis').set({ tier_defaults: { small: { cpu: 42, memory: '1Gi', storage: '2Gi' } } });
    const ns = await createNamespace('registry-bad');
    const operator = await suite.operator(ns);
    await createGaim(suite.client, ns, 'broken');
    const failed = await waitForGaim(suite.client, ns, 'broken', 'to fail', (g) => g.status?.syncStatus === 'Failed');
    expect(failed.status?.errorType).toBe('firestore');
    expect(failed.status?.message).toContain(`${Message.malformedRegistry('tenant_manager/config/apps/redis')}: tier_defaults.small.cpu`);
    expect(failed.status?.conditions?.find((c) => c.type === 'Ready')?.reason).toBe('RegistryInvalid');
    expect(await operator.readyz()).toBe(200); // still running

    await apps().doc('redis').set({ tier_defaults: { small: { cpu: '150m', memory: '300Mi', storage: '2Gi' } } });
    await waitForGaim(suite.client, ns, 'broken', 'to recover', isSynced, 90_000);
  });
});
