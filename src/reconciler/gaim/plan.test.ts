import { describe, expect, it } from 'vitest';
import { parseGaim } from '../../api/v1alpha1/validate.js';
import type { Gaim } from '../../api/v1alpha1/gaim.js';
import { Resources } from '../../kube/resources.js';
import { BUILT_IN_TIERS } from '../../resources/tiers.js';
import type { Observed } from './observe.js';
import { plan } from './plan.js';
import type { Credentials } from './secrets.js';

function gaim(storage: Record<string, unknown> = { storageClassName: 'enterprise-multishare-rwx', size: '100Gi' }, spec: Record<string, unknown> = {}): Gaim {
  const parsed = parseGaim({
    apiVersion: 'gaim.livingcontent.io/v1alpha1', kind: 'Gaim', metadata: { name: 'marvin', namespace: 'team', uid: 'u', generation: 1 },
    spec: { gaimId: '660e8400-e29b-41d4-a716-446655440001', displayName: 'M', environments: ['stage'], lancedb: { storage }, ...spec },
  });
  if (!parsed.ok) throw parsed.error;
  return parsed.gaim;
}
const observed = (over: Partial<Observed> = {}): Observed => ({
  namespaceOwner: 'marvin', shareOwner: undefined, sizes: {}, claims: [], disabledWorkloads: [], running: {},
  stores: { mongodb: 'disabled', redis: 'disabled', storage: { ready: false, reason: 'Creating', message: '' } }, ...over,
});

describe('plan', () => {
  it('creates only the credentials Secrets that do not exist yet', () => {
    const names = (credentials: Credentials) => plan(gaim(), observed(), credentials, BUILT_IN_TIERS.small, 'ops').create.map((s) => s.metadata?.name);
    expect(names(new Map())).toEqual(['marvin-mongodb-credentials', 'marvin-redis-credentials']);
    expect(names(new Map([['marvin-mongodb-credentials', mongoKeys]]))).toEqual(['marvin-redis-credentials']);
    expect(names(new Map([['marvin-mongodb-credentials', mongoKeys], ['marvin-redis-credentials', redisKeys]]))).toEqual([]);
  });

  it('adds the operator\'s Redis password and the grace password to a Secret made before them, and leaves every other key alone', () => {
    const complete = (redis: Record<string, string>) => plan(gaim(), observed(), new Map([['marvin-mongodb-credentials', mongoKeys], ['marvin-redis-credentials', redis]]), BUILT_IN_TIERS.small, 'ops').complete;
    const [added, ...more] = complete(redisKeys);
    expect(more).toEqual([]);
    expect(added).toMatchObject({ name: 'marvin-redis-credentials', namespace: 'team', values: { password: 'p', 'grace-password': 'p' } });
    expect(Object.keys(added?.add ?? {})).toEqual(['operator-password', 'grace-password']);
    expect(added?.add['operator-password']).toMatch(/^[\w-]{43}$/);
    expect(complete({ ...redisKeys, 'operator-password': 'o', 'grace-password': 'p' })).toEqual([]);
  });

  it('keeps the grace password the previous one during a grace period, else the current one', () => {
    const add = (redis: Record<string, string>) => plan(gaim(), observed(), new Map([['marvin-mongodb-credentials', mongoKeys], ['marvin-redis-credentials', { 'operator-password': 'o', ...redis }]]), BUILT_IN_TIERS.small, 'ops')
      .complete[0]?.add;
    expect(add({ password: 'new', 'previous-password': 'old' })).toEqual({ 'grace-password': 'old' });
    expect(add({ password: 'new', 'previous-password': 'old', 'grace-password': 'old' })).toBeUndefined();
    expect(add({ password: 'new', 'grace-password': 'old' })).toEqual({ 'grace-password': 'new' }); // a grace period over: the old one goes
    expect(add({ password: 'new', 'pending-password': 'next', 'grace-password': 'new' })).toBeUndefined(); // pending is never accepted on start
  });

  it('removes the workloads of a store switched off, and applies nothing of it', () => {
    const off = gaim(undefined, { redis: { enabled: false } });
    const workloads = [{ resource: Resources.statefulSet, name: 'marvin-redis', namespace: 'team' }];
    const result = plan(off, observed({ disabledWorkloads: workloads }), new Map(), BUILT_IN_TIERS.small, 'ops');
    expect(result.remove).toEqual(workloads);
    expect(result.apply.some((o) => o.metadata?.name?.includes('redis') === true)).toBe(false);
  });
});

const mongoKeys: Record<string, string> = { 'root-username': 'root', 'root-password': 'r', 'app-username': 'app', 'app-password': 'a' };
const redisKeys: Record<string, string> = { password: 'p' };

