import { describe, expect, it } from 'vitest';
import type { Gaim } from '../../api/v1alpha1/gaim.js';
import { BUILT_IN_TIERS } from '../../resources/tiers.js';
import { testGaim } from '../../testing/gaims.js';
import type { Observed } from './observe.js';
import { refusal, type RefusalInput } from './refusals.js';
import type { Credentials } from './secrets.js';

const gaim = (storage: Record<string, unknown> = { storageClassName: 'enterprise-multishare-rwx', size: '100Gi' }, spec: Record<string, unknown> = {}): Gaim =>
  testGaim({ lancedb: { storage }, ...spec }, { metadata: { uid: 'u' } });
const observed = (over: Partial<Observed> = {}): Observed => ({
  namespaceOwner: 'marvin', shareOwner: undefined, sizes: {}, claims: [], disabledWorkloads: [], running: {},
  stores: { mongodb: 'disabled', redis: 'disabled', storage: { ready: false, reason: 'Creating', message: '' } }, ...over,
});
const NFS = { servers: ['10.0.0.2'], pathTemplate: '/vol1/gaims/{namespace}' };
const mongoKeys: Record<string, string> = { 'root-username': 'root', 'root-password': 'r', 'app-username': 'app', 'app-password': 'a' };
const redisKeys: Record<string, string> = { password: 'p' };
const complete: Credentials = new Map([['marvin-mongodb-credentials', mongoKeys], ['marvin-redis-credentials', redisKeys]]);
const claim = (store: 'mongodb' | 'redis', over: Partial<Observed['claims'][number]> = {}): Observed['claims'][number] => ({
  store, name: `data-marvin-${store}-0`, phase: 'Bound', volumeName: 'pv', reclaimPolicy: undefined,
  storageClassName: 'standard-rwo', request: '10Gi', capacity: '10Gi', resize: { state: 'steady' }, ...over,
});
const refusedResize = claim('mongodb', { request: '40Gi', resize: { state: 'ResizeFailed', message: 'cannot grow claim data-marvin-mongodb-0 to 40Gi: beyond the maximum' } });

describe('the refusal chain', () => {
  const base: RefusalInput = { gaim: gaim(undefined, { mongodb: { storage: '10Gi' } }), observed: observed({ claims: [claim('mongodb'), claim('redis', { request: '2Gi', capacity: '2Gi' })] }), nfs: NFS, credentials: complete, sizes: BUILT_IN_TIERS.small };
  it.each<[string, { [K in keyof RefusalInput]?: RefusalInput[K] | undefined }, string | undefined, string | undefined]>([
    ['a Gaim nothing refuses', {}, undefined, undefined],
    ['a share outside the allow-list', { gaim: gaim({ nfs: { server: '10.0.0.9', path: '/vol1/gaims/team' } }) }, 'ShareNotAllowed', 'validation'],
    ['an image of another repository', { gaim: gaim(undefined, { redis: { image: 'evil.example/redis:7.2' } }) }, 'ImageNotAllowed', 'validation'],
    ['a second Gaim in the namespace', { observed: observed({ namespaceOwner: 'first' }) }, 'NamespaceConflict', 'conflict'],
    ['a share another Gaim uses', { gaim: gaim({ nfs: { server: '10.0.0.2', path: '/vol1/gaims/team' } }), observed: observed({ shareOwner: 'other/owner' }) }, 'ShareConflict', 'conflict'],
    ['a Secret gone while its data stays', { credentials: new Map([['marvin-redis-credentials', redisKeys]]) }, 'CredentialsMissing', 'kubernetes'],
    ['a size below the claim\'s capacity', { gaim: gaim(undefined, { mongodb: { storage: '5Gi' } }) }, 'VolumeShrinkRefused', 'validation'],
    ['a size the driver refused, still asked for', { gaim: gaim(undefined, { mongodb: { storage: '40Gi' } }), observed: observed({ claims: [refusedResize] }) }, 'VolumeResizeFailed', 'storage'],
    ['claim by claim: a refused resize of the first before a shrink of the second', { gaim: gaim(undefined, { mongodb: { storage: '40Gi' }, redis: { storage: '1Gi' } }),
      observed: observed({ claims: [refusedResize, claim('redis', { request: '2Gi', capacity: '2Gi' })] }) }, 'VolumeResizeFailed', 'storage'],
    ['a claim to grow whose class does not allow expansion', { gaim: gaim(undefined, { mongodb: { storage: '20Gi' } }), storageClasses: new Map([['standard-rwo', { metadata: { name: 'standard-rwo' }, allowVolumeExpansion: false }]]) }, 'VolumeExpansionNotAllowed', 'storage'],
    ['a claim to grow whose class allows it', { gaim: gaim(undefined, { mongodb: { storage: '20Gi' } }), storageClasses: new Map([['standard-rwo', { metadata: { name: 'standard-rwo' }, allowVolumeExpansion: true }]]) }, undefined, undefined],
    ['a shrink before a class that cannot expand', { gaim: gaim(undefined, { mongodb: { storage: '5Gi' }, redis: { storage: '4Gi' } }), storageClasses: new Map() }, 'VolumeShrinkRefused', 'validation'],
    // In order: the platform's allow-lists before ownership, ownership before the data's safety.
    ['a share not allowed in a namespace taken', { gaim: gaim({ nfs: { server: '10.0.0.2', path: '/vol1' } }), observed: observed({ namespaceOwner: 'first' }) }, 'ShareNotAllowed', 'validation'],
    ['a taken namespace with a Secret missing', { observed: observed({ namespaceOwner: 'first', claims: [claim('mongodb')] }), credentials: new Map() }, 'NamespaceConflict', 'conflict'],
    ['missing credentials and a shrink', { gaim: gaim(undefined, { mongodb: { storage: '5Gi' } }), credentials: new Map() }, 'CredentialsMissing', 'kubernetes'],
    // Before the reads: what is not known yet lets the Gaim through, to be judged once it is.
    ['credentials not read yet', { credentials: undefined, observed: observed({ claims: [claim('mongodb')] }) }, undefined, undefined],
    ['sizes not known yet', { sizes: undefined, gaim: gaim(undefined, { mongodb: { storage: '5Gi' } }) }, undefined, undefined],
  ])('%s', (_name, change, reason, type) => {
    const input = Object.fromEntries(Object.entries({ ...base, ...change }).filter(([, v]) => v !== undefined)) as unknown as RefusalInput;
    const refused = refusal(input);
    expect(refused?.reason).toBe(reason);
    expect(refused?.errorType).toBe(type);
  });
});

describe('admission policies', () => {
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
    const refused = refusal({ gaim: g, observed: o, nfs: { servers: ['10.0.0.2'], pathTemplate: '/vol1/gaims/{namespace}' }, storeRepositories: ['mongo', 'redis'] });
    expect(refused?.reason).toBe(reason);
    // Terminal: retrying cannot help; a share or image not allowed is the spec's fault, a taken one another Gaim's.
    if (refused !== undefined) expect(refused).toMatchObject({ errorType: ['ShareNotAllowed', 'ImageNotAllowed'].includes(reason ?? '') ? 'validation' : 'conflict', terminal: true });
  });
});

describe('credentialsIntact', () => {
  it.each<[string, Credentials, Observed['claims'], string | undefined]>([
    ['a new Gaim: no Secrets, no data: generate them', new Map(), [], undefined],
    ['Secrets complete, data there', new Map([['marvin-mongodb-credentials', mongoKeys], ['marvin-redis-credentials', redisKeys]]), [claim('mongodb'), claim('redis')], undefined],
    ['a Secret deleted while its data stays: refuse, name the Secret and the claim', new Map([['marvin-redis-credentials', redisKeys]]), [claim('mongodb')],
      'marvin-mongodb-credentials: it does not exist, but the data claim data-marvin-mongodb-0 does'],
    ['a Secret missing a key', new Map([['marvin-mongodb-credentials', { ...mongoKeys, 'root-password': '' }], ['marvin-redis-credentials', redisKeys]]), [],
      'it has no root-password'],
    ['the Redis Secret gone with its data there', new Map([['marvin-mongodb-credentials', mongoKeys]]), [claim('redis')], 'marvin-redis-credentials: it does not exist'],
  ])('%s', (_name, credentials, claims, problem) => {
    const error = refusal({ gaim: gaim(), observed: observed({ claims }), nfs: NFS, credentials });
    if (problem === undefined) {
      expect(error).toBeUndefined();
    } else {
      expect(error).toMatchObject({ errorType: 'kubernetes', reason: 'CredentialsMissing', terminal: false });
      expect(error?.message).toContain(problem);
      expect(error?.message).toContain('docs/runbooks/credentials-missing.md');
    }
  });
});
