// Tier sizes from the platform's app registry in Firestore (the emulator): a registry entry wins
// over the built-in sizes; a malformed entry fails the Gaim with errorType firestore, naming the
// document and field, without crashing the operator; fixing it recovers.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/kube/objects.js';
import { Resources } from '../../src/kube/resources.js';
import { Message } from '../../src/messages.js';
import { installCrd } from '../support/crd.js';
import { createGaim } from '../support/gaims.js';
import { isSynced, waitForGaim } from '../support/operator.js';
import { createNamespace } from '../support/stack.js';
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
