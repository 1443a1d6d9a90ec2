import { describe, expect, it } from 'vitest';
import { parseGaim } from '../../api/v1alpha1/validate.js';
import type { Gaim } from '../../api/v1alpha1/gaim.js';
import { Resources } from '../../kube/resources.js';
import { BUILT_IN_TIERS } from '../../resources/tiers.js';
import type { Observed } from './observe.js';
import { admit, credentialsProblem, plan } from './plan.js';
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

describe('admit', () => {
  const nfs = { nfs: { server: '10.0.0.2', path: '/vol1/gaims/team' } };
  it.each([
    ['the namespace\'s owner, with its own share', gaim(nfs), observed(), undefined],
    ['a second Gaim in the namespace', gaim(), observed({ namespaceOwner: 'first' }), 'NamespaceConflict'],
    ['a share another Gaim uses', gaim(nfs), observed({ shareOwner: 'other/owner' }), 'ShareConflict'],
    ['a dynamic claim ignores share owners', gaim(), observed({ shareOwner: 'other/owner' }), undefined],
    ['a share outside the allow-list, before anything else', gaim({ nfs: { server: '10.0.0.2', path: '/vol1' } }), observed({ namespaceOwner: 'first' }), 'ShareNotAllowed'],
    ['an image of an allowed repository, by tag or digest', gaim(undefined, { mongodb: { image: 'mongo:8.0' }, redis: { image: 'redis@sha256:abc' } }), observed(), undefined],
    ['an image of another repository', gaim(undefined, { redis: { image: 'evil.example/redis:7.2' } }), observed(), 'ImageNotAllowed'],
    ['a repository whose name only begins like an allowed one', gaim(undefined, { mongodb: { image: 'mongodb-evil:1' } }), observed(), 'ImageNotAllowed'],
  ] as const)('%s', (_name, g, o, reason) => {
    const refusal = admit(g, o, { servers: ['10.0.0.2'], pathTemplate: '/vol1/gaims/{namespace}' }, ['mongo', 'redis']);
    expect(refusal?.reason).toBe(reason);
    // Terminal: retrying cannot help; a share or image not allowed is the spec's fault, a taken one another Gaim's.
    if (refusal !== undefined) expect(refusal).toMatchObject({ errorType: ['ShareNotAllowed', 'ImageNotAllowed'].includes(reason ?? '') ? 'validation' : 'conflict', terminal: true });
  });
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
const claim = (store: 'mongodb' | 'redis'): Observed['claims'][number] => ({
  store, name: `data-marvin-${store}-0`, phase: 'Bound', volumeName: 'pv', reclaimPolicy: undefined,
  storageClassName: 'standard-rwo', request: '10Gi', capacity: '10Gi', resize: { state: 'steady' },
});

describe('credentialsProblem', () => {
  it.each<[string, Credentials, Observed['claims'], string | undefined]>([
    ['a new Gaim: no Secrets, no data: generate them', new Map(), [], undefined],
    ['Secrets complete, data there', new Map([['marvin-mongodb-credentials', mongoKeys], ['marvin-redis-credentials', redisKeys]]), [claim('mongodb'), claim('redis')], undefined],
    ['a Secret deleted while its data stays: refuse, name the Secret and the claim', new Map([['marvin-redis-credentials', redisKeys]]), [claim('mongodb')],
      'marvin-mongodb-credentials: it does not exist, but the data claim data-marvin-mongodb-0 does'],
    ['a Secret missing a key', new Map([['marvin-mongodb-credentials', { ...mongoKeys, 'root-password': '' }], ['marvin-redis-credentials', redisKeys]]), [],
      'it has no root-password'],
    ['the Redis Secret gone with its data there', new Map([['marvin-mongodb-credentials', mongoKeys]]), [claim('redis')], 'marvin-redis-credentials: it does not exist'],
  ])('%s', (_name, credentials, claims, problem) => {
    const error = credentialsProblem(gaim(), observed({ claims }), credentials);
    if (problem === undefined) {
      expect(error).toBeUndefined();
    } else {
      expect(error).toMatchObject({ errorType: 'kubernetes', reason: 'CredentialsMissing', terminal: false });
      expect(error?.message).toContain(problem);
      expect(error?.message).toContain('docs/runbooks/credentials-missing.md');
    }
  });
});
