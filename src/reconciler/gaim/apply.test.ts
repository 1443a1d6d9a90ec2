import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { cachesOf } from '../../testing/caches-fake.js';
import { recordingClient } from '../../testing/client-fake.js';
import type { Gaim } from '../../api/v1alpha1/gaim.js';
import type { ReconcileContext } from '../../controller/result.js';
import { KubeApiError } from '../../kube/errors.js';
import type { KubeClient } from '../../kube/client.js';
import type { KubeObject } from '../../kube/objects.js';
import { resourceOf, Resources } from '../../kube/resources.js';
import { withAppliedHash } from '../../resources/compare.js';
import { BUILT_IN_TIERS } from '../../resources/tiers.js';
import { applyPlan } from './apply.js';
import { plan as makePlan, type Plan } from './plan.js';
import { observe } from './observe.js';
import { RolloutSlots } from './rollouts.js';
import { testGaim } from '../../testing/gaims.js';

// Step 3 of the reconcile on fake caches and a client that records every write: what is written,
// in which order, and what is not written at all (the integration suite proves the same against an
// API server, one operator process per file).

const gaim = (spec: Record<string, unknown> = {}): Gaim => testGaim(spec);
const context = (): ReconcileContext => ({ signal: AbortSignal.timeout(5000), stop: new AbortController().signal, attempt: 0, log: pino({ level: 'silent' }) });
const targets = (writes: readonly { verb: string; target: string }[]) => writes.map((w) => `${w.verb} ${w.target}`);
const planFor = (g: Gaim, credentials = new Map<string, Record<string, string>>()) => makePlan(g, observe(g, cachesOf()), credentials, BUILT_IN_TIERS.small, 'gaim-system');
const SETTLED = { observedGeneration: 1, replicas: 1, readyReplicas: 1, updatedReplicas: 1 };
/** As the API server has an object the operator applied: its StatefulSets rolled out and ready. */
const asApplied = (o: KubeObject): KubeObject => {
  const applied = withAppliedHash(o);
  return o.kind === 'StatefulSet' ? { ...applied, metadata: { ...applied.metadata, generation: 1 }, status: SETTLED } : applied;
};
/** The caches as they are once every object of the plan was applied as the operator applies it. */
const appliedCaches = (p: Plan) => cachesOf(p.apply.map((o) => [resourceOf(o), asApplied(o)] as const));

describe('applyPlan', () => {
  it('on a new Gaim: creates the Secrets, then applies every object in the plan\'s order (volumes before their users)', async () => {
    const p = planFor(gaim());
    const { client, writes } = recordingClient();
    const applied = await applyPlan(p, { caches: cachesOf(), client, fieldManager: 'gaim-operator' }, context());
    expect(targets(writes)).toEqual([
      'create Secret team/marvin-mongodb-credentials', 'create Secret team/marvin-redis-credentials',
      ...p.apply.map((o) => `apply ${o.kind ?? ''} team/${o.metadata?.name ?? ''}`),
    ]);
    expect(targets(writes).findIndex((t) => t.includes('PersistentVolumeClaim'))).toBeLessThan(targets(writes).findIndex((t) => t.includes('StatefulSet')));
    expect([...applied.created.keys()]).toEqual(['marvin-mongodb-credentials', 'marvin-redis-credentials']);
    expect(applied).toMatchObject({ waiting: [], recreating: [] });
  });

  it('makes no API call for a Gaim whose objects are as it applied them last', async () => {
    const p = planFor(gaim());
    const { client, writes } = recordingClient();
    await applyPlan({ ...p, create: [] }, { caches: appliedCaches(p), client, fieldManager: 'gaim-operator' }, context());
    expect(writes).toEqual([]);
  });

  it('applies again an object someone changed in a field the operator sets, and only that one', async () => {
    const p = planFor(gaim());
    const caches = appliedCaches(p);
    const service = p.apply.find((o) => o.kind === 'Service') ?? {};
    caches.put(Resources.service, { ...withAppliedHash(service), spec: { ...(service as { spec: object }).spec, ports: [{ name: 'mongodb', port: 27018 }] } });
    const { client, writes } = recordingClient();
    await applyPlan({ ...p, create: [] }, { caches, client, fieldManager: 'gaim-operator' }, context());
    expect(targets(writes)).toEqual([`apply Service team/${service.metadata?.name ?? ''}`]);
  });

  it('keeps a Secret someone created a moment before (409): theirs stays, and is not reported as created', async () => {
    const { client, writes } = recordingClient();
    const conflicting = { ...(client as unknown as Record<string, unknown>), create: (_r: unknown, object: KubeObject) => (object.metadata?.name === 'marvin-redis-credentials'
      ? Promise.reject(new KubeApiError(409, 'AlreadyExists', 'secrets "marvin-redis-credentials" already exists')) : client.create(Resources.secret, object)) } as unknown as KubeClient;
    const p = planFor(gaim());
    const applied = await applyPlan({ ...p, apply: [] }, { caches: cachesOf(), client: conflicting, fieldManager: 'gaim-operator' }, context());
    expect([...applied.created.keys()]).toEqual(['marvin-mongodb-credentials']);
    expect(targets(writes)).toEqual(['create Secret team/marvin-mongodb-credentials']);
  });

  it('completes a Secret with the keys it lacks only, and reports its values for seeding', async () => {
    const redis: Record<string, string> = { password: 'p' };
    const p = planFor(gaim(), new Map<string, Record<string, string>>([['marvin-mongodb-credentials', { 'root-username': 'r', 'root-password': 'r', 'app-username': 'a', 'app-password': 'a' }], ['marvin-redis-credentials', redis]]));
    const { client, writes } = recordingClient();
    const applied = await applyPlan({ ...p, apply: [] }, { caches: cachesOf(), client, fieldManager: 'gaim-operator' }, context());
    expect(targets(writes)).toEqual(['patch Secret team/marvin-redis-credentials']);
    const body = writes[0]?.body as { stringData: Record<string, string> };
    expect(Object.keys(body.stringData).sort()).toEqual(['grace-password', 'operator-password']);
    expect(body.stringData['grace-password']).toBe('p');
    expect(applied.created.get('marvin-redis-credentials')).toMatchObject({ password: 'p', 'grace-password': 'p' });
  });

  it('holds a StatefulSet\'s new template when no rollout slot is free, applying everything else', async () => {
    const before = planFor(gaim());
    const caches = appliedCaches(before);
    // Two other tenants' StatefulSets are rolling (their new generation not observed yet).
    for (const name of ['a', 'b']) caches.put(Resources.statefulSet, { metadata: { name: `${name}-redis`, namespace: name, generation: 2 }, spec: { replicas: 1 }, status: { observedGeneration: 1, replicas: 1 } });
    const after = planFor(gaim({ redis: { image: 'redis:7.2.99' } }));
    const { client, writes } = recordingClient();
    const applied = await applyPlan({ ...after, create: [] }, { caches, client, fieldManager: 'gaim-operator', rollouts: new RolloutSlots(2, caches) }, context());
    expect(applied.waiting).toEqual([{ name: 'marvin-redis', inFlight: 2 }]);
    expect(targets(writes)).toEqual([]); // the template was the only change: nothing else to apply
    // A slot frees (one tenant's rollout is observed): the change goes.
    caches.put(Resources.statefulSet, { metadata: { name: 'a-redis', namespace: 'a', generation: 2 }, spec: { replicas: 1 }, status: { ...SETTLED, observedGeneration: 2 } });
    const again = await applyPlan({ ...after, create: [] }, { caches, client, fieldManager: 'gaim-operator', rollouts: new RolloutSlots(2, caches) }, context());
    expect(again.waiting).toEqual([]);
    expect(targets(writes)).toEqual(['apply StatefulSet team/marvin-redis']);
  });

  it('takes no rollout slot for a StatefulSet at zero replicas (a Gaim waking): no pod to restart, and the stores must start', async () => {
    const before = planFor(gaim());
    const caches = appliedCaches(before);
    for (const name of ['a', 'b']) caches.put(Resources.statefulSet, { metadata: { name: `${name}-redis`, namespace: name, generation: 2 }, spec: { replicas: 1 }, status: { observedGeneration: 1, replicas: 1 } });
    const sleeping = caches.get<KubeObject & { spec?: Record<string, unknown> }>(Resources.statefulSet, 'team/marvin-redis');
    caches.put(Resources.statefulSet, { ...sleeping, spec: { ...sleeping?.spec, replicas: 0 } });
    const after = planFor(gaim({ redis: { image: 'redis:7.2.99' } }));
    const { client, writes } = recordingClient();
    const applied = await applyPlan({ ...after, create: [] }, { caches, client, fieldManager: 'gaim-operator', rollouts: new RolloutSlots(2, caches) }, context());
    expect(applied.waiting).toEqual([]);
    expect(targets(writes)).toEqual(['apply StatefulSet team/marvin-redis']);
  });

  it('names the object and the API server\'s words when an apply fails, and gives the rollout slot back', async () => {
    const p = planFor(gaim());
    const { client } = recordingClient();
    const failing = { ...(client as unknown as Record<string, unknown>), apply: () => Promise.reject(new KubeApiError(422, 'Invalid', 'StatefulSet.apps "marvin-mongodb" is invalid: spec: Forbidden')) } as unknown as KubeClient;
    const caches = cachesOf();
    const rollouts = new RolloutSlots(1, caches);
    const statefulSet = p.apply.find((o) => o.kind === 'StatefulSet' && o.metadata?.name === 'marvin-mongodb') ?? {};
    const applied = asApplied(statefulSet);
    caches.put(Resources.statefulSet, { ...applied, metadata: { ...applied.metadata, annotations: { ...applied.metadata?.annotations, 'gaim.livingcontent.io/template-hash': 'an older template' } } });
    await expect(applyPlan({ create: [], complete: [], apply: [statefulSet], remove: [] }, { caches, client: failing, fieldManager: 'gaim-operator', rollouts }, context())).rejects.toMatchObject({
      errorType: 'kubernetes', reason: 'ApplyFailed', message: expect.stringContaining('StatefulSet.apps "marvin-mongodb" is invalid') as unknown,
    });
    expect(rollouts.tryAcquire('team/other').granted).toBe(true);
  });

  it('deletes the workloads of a store switched off, and takes one already gone as done', async () => {
    const { client, writes } = recordingClient();
    const gone = { ...(client as unknown as Record<string, unknown>), delete: (resource: unknown, name: string, namespace?: string) => (name === 'marvin-redis' && (resource as { kind: string }).kind === 'Service'
      ? Promise.reject(new KubeApiError(404, 'NotFound', 'gone')) : client.delete(Resources.statefulSet, name, namespace)) } as unknown as KubeClient;
    await applyPlan({ create: [], complete: [], apply: [], remove: [{ resource: Resources.statefulSet, name: 'marvin-redis', namespace: 'team' }, { resource: Resources.service, name: 'marvin-redis', namespace: 'team' }] },
      { caches: cachesOf(), client: gone, fieldManager: 'gaim-operator' }, context());
    expect(targets(writes)).toEqual(['delete StatefulSet team/marvin-redis']);
  });
});
