import { describe, expect, it } from 'vitest';
import { parseGaim } from '../api/v1alpha1/validate.js';
import type { Gaim } from '../api/v1alpha1/gaim.js';
import { Resources } from '../kube/resources.js';
import { BUILT_IN_TIERS } from '../resources/tiers.js';
import type { Observed } from './observe.js';
import { admit, plan } from './plan.js';

function gaim(storage: Record<string, unknown> = { storageClassName: 'enterprise-multishare-rwx', size: '100Gi' }, spec: Record<string, unknown> = {}): Gaim {
  const parsed = parseGaim({
    apiVersion: 'gaim.livingcontent.io/v1alpha1', kind: 'Gaim', metadata: { name: 'marvin', namespace: 'team', uid: 'u', generation: 1 },
    spec: { gaimId: '660e8400-e29b-41d4-a716-446655440001', displayName: 'M', environments: ['stage'], lancedb: { storage }, ...spec },
  });
  if (!parsed.ok) throw parsed.error;
  return parsed.gaim;
}
const observed = (over: Partial<Observed> = {}): Observed => ({
  namespaceOwner: 'marvin', shareOwner: undefined, sizes: {}, secrets: new Set(), disabledWorkloads: [],
  stores: { mongodb: 'disabled', redis: 'disabled', storage: { ready: false, reason: 'Creating', message: '' } }, ...over,
});

describe('admit', () => {
  const nfs = { nfs: { server: '10.0.0.2', path: '/vol1/gaims/team' } };
  it.each([
    ['the namespace\'s owner, with its own share', gaim(nfs), observed(), undefined],
    ['a second Gaim in the namespace', gaim(), observed({ namespaceOwner: 'first' }), 'NamespaceConflict'],
    ['a share another Gaim uses', gaim(nfs), observed({ shareOwner: 'other/owner' }), 'ShareConflict'],
    ['a dynamic claim ignores share owners', gaim(), observed({ shareOwner: 'other/owner' }), undefined],
  ] as const)('%s', (_name, g, o, reason) => {
    const refusal = admit(g, o);
    expect(refusal?.reason).toBe(reason);
    if (refusal !== undefined) expect(refusal).toMatchObject({ errorType: 'conflict', terminal: true });
  });
});

describe('plan', () => {
  it('creates only the credentials Secrets that do not exist yet', () => {
    const names = (o: Observed) => plan(gaim(), o, BUILT_IN_TIERS.small, 'ops').create.map((s) => s.metadata?.name);
    expect(names(observed())).toEqual(['marvin-mongodb-credentials', 'marvin-redis-credentials']);
    expect(names(observed({ secrets: new Set(['marvin-mongodb-credentials']) }))).toEqual(['marvin-redis-credentials']);
    expect(names(observed({ secrets: new Set(['marvin-mongodb-credentials', 'marvin-redis-credentials']) }))).toEqual([]);
  });

  it('removes the workloads of a store switched off, and applies nothing of it', () => {
    const off = gaim(undefined, { redis: { enabled: false } });
    const workloads = [{ resource: Resources.statefulSet, name: 'marvin-redis', namespace: 'team' }];
    const result = plan(off, observed({ disabledWorkloads: workloads }), BUILT_IN_TIERS.small, 'ops');
    expect(result.remove).toEqual(workloads);
    expect(result.apply.some((o) => o.metadata?.name?.includes('redis') === true)).toBe(false);
  });
});
