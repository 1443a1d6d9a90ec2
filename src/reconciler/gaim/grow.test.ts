import { describe, expect, it } from 'vitest';
import { cachesOf } from '../../testing/caches-fake.js';
import type { Gaim } from '../../api/v1alpha1/gaim.js';
import { KubeApiError } from '../../kube/errors.js';
import type { KubeClient } from '../../kube/client.js';
import type { KubeObject } from '../../kube/objects.js';
import { type Resource, Resources } from '../../kube/resources.js';
import { BUILT_IN_TIERS } from '../../resources/tiers.js';
import { planGrowth } from './grow.js';
import { classesToGrow } from './observation.js';
import { observe } from './observe.js';
import { refusal } from './refusals.js';
import { testGaim } from '../../testing/gaims.js';

const gaim = (spec: Record<string, unknown> = {}): Gaim => testGaim(spec, { metadata: { uid: 'u', generation: 2 } });
const claim = (name: string, request: string, status: Record<string, unknown> = {}, storageClassName = 'standard-rwo'): [Resource, KubeObject] =>
  [Resources.persistentVolumeClaim, { metadata: { name, namespace: 'team' }, spec: { storageClassName, resources: { requests: { storage: request } } }, status: { phase: 'Bound', capacity: { storage: request }, ...status } }];
const claims = (mongodb = '10Gi', redis = '2Gi', lancedb = '100Gi') => [
  claim('data-marvin-mongodb-0', mongodb), claim('data-marvin-redis-0', redis), claim('marvin-lancedb', lancedb, {}, 'enterprise-multishare-rwx'),
];
/** As the reconcile does: the refusal chain first (a shrink, a refused resize), then the growth. */
const plan = (g: Gaim, entries = claims()) => {
  const observed = observe(g, cachesOf(entries));
  const refused = refusal({ gaim: g, observed, nfs: { servers: [], pathTemplate: '' }, sizes: BUILT_IN_TIERS.small });
  if (refused !== undefined) throw refused;
  return planGrowth(g, observed, BUILT_IN_TIERS.small);
};

describe('planGrowth', () => {
  it.each([
    ['nothing when every size is what the claims have', {}, []],
    ['the MongoDB data claim, patched here', { mongodb: { storage: '20Gi' } }, [['data-marvin-mongodb-0', '20Gi', true]]],
    ['the LanceDB claim, grown with the apply', { lancedb: { storage: { storageClassName: 'enterprise-multishare-rwx', size: '200Gi' } } }, [['marvin-lancedb', '200Gi', false]]],
    ['both stores at once', { mongodb: { storage: '20Gi' }, redis: { storage: '4Gi' } }, [['data-marvin-mongodb-0', '20Gi', true], ['data-marvin-redis-0', '4Gi', true]]],
    ['nothing for a smaller tier default (a tier change is not a shrink)', {}, []],
  ] as const)('%s', (_name, spec, expected) => {
    expect(plan(gaim(spec)).map((g) => [g.claim.name, g.to, g.patch])).toEqual(expected);
  });

  it('leaves a claim larger than the tier default as it is when the spec names no size', () => {
    expect(plan(gaim(), claims('50Gi', '8Gi'))).toEqual([]);
  });

  it('refuses an explicit size below the claim\'s capacity, terminally, naming the claim and both sizes', () => {
    expect(() => plan(gaim({ mongodb: { storage: '5Gi' } }), claims('10Gi'))).toThrow(expect.objectContaining({
      errorType: 'validation', terminal: true, reason: 'VolumeShrinkRefused',
      message: 'cannot shrink claim data-marvin-mongodb-0 to 5Gi: its volume has 10Gi, and volumes only grow',
    }) as Error);
  });

  describe('backing out an expansion the driver refused', () => {
    const refused = (name: string, request: string, capacity: string, storageClassName?: string) => claim(name, request, {
      capacity: { storage: capacity }, allocatedResources: { storage: request }, allocatedResourceStatuses: { storage: 'ControllerResizeInfeasible' },
      conditions: [{ type: 'ControllerResizeError', status: 'True', message: 'beyond the maximum' }],
    }, storageClassName);
    const lance = (size: string) => ({ lancedb: { storage: { storageClassName: 'enterprise-multishare-rwx', size } } });

    it('lowers the request to a size above the capacity, LanceDB\'s with the apply', () => {
      const entries = [refused('data-marvin-mongodb-0', '40Gi', '10Gi'), claim('data-marvin-redis-0', '2Gi'), refused('marvin-lancedb', '2Ti', '1Ti', 'enterprise-multishare-rwx')];
      expect(plan(gaim({ mongodb: { storage: '20Gi' }, ...lance('1536Gi') }), entries).map((g) => [g.claim.name, g.to, g.patch, g.lower])).toEqual([
        ['data-marvin-mongodb-0', '20Gi', true, true], ['marvin-lancedb', '1536Gi', false, true],
      ]);
    });

    it('asks nothing and fails nothing once the size is back to the capacity (the request cannot follow)', () => {
      const g = gaim({ mongodb: { storage: '10Gi' }, ...lance('1Ti') });
      const entries = [refused('data-marvin-mongodb-0', '40Gi', '10Gi'), claim('data-marvin-redis-0', '2Gi'), refused('marvin-lancedb', '2Ti', '1Ti', 'enterprise-multishare-rwx')];
      expect(plan(g, entries)).toEqual([]);
      const observed = observe(g, cachesOf(entries));
      expect(observed.stores.storage).toMatchObject({ ready: true });
      expect(observed.claims.map((c) => c.resize.state)).toEqual(['steady', 'steady', 'steady']);
    });

    it('still fails while the spec asks for the refused size, and says how to back out', () => {
      expect(() => plan(gaim({ mongodb: { storage: '40Gi' } }), [refused('data-marvin-mongodb-0', '40Gi', '10Gi'), claim('data-marvin-redis-0', '2Gi')])).toThrow(expect.objectContaining({
        errorType: 'storage', reason: 'VolumeResizeFailed', message: expect.stringContaining('set the size back to 10Gi (or to any size the driver accepts above it) to back out') as string,
      }) as Error);
    });
  });

  it('fails with errorType storage on a claim whose resize failed, before planning anything else', () => {
    const failed = claim('data-marvin-redis-0', '4Gi', { capacity: { storage: '2Gi' }, allocatedResourceStatuses: { storage: 'ControllerResizeInfeasible' }, conditions: [{ type: 'ControllerResizeError', status: 'True', message: 'beyond the maximum' }] });
    expect(() => plan(gaim({ mongodb: { storage: '20Gi' }, redis: { storage: '4Gi' } }), [claim('data-marvin-mongodb-0', '10Gi'), failed])).toThrow(expect.objectContaining({
      errorType: 'storage', reason: 'VolumeResizeFailed', message: expect.stringContaining('beyond the maximum') as string,
    }) as Error);
  });
});

describe('growing only where the class allows expansion', () => {
  const classes: Record<string, KubeObject & { allowVolumeExpansion?: boolean }> = {
    'standard-rwo': { metadata: { name: 'standard-rwo' }, allowVolumeExpansion: true },
    'fixed': { metadata: { name: 'fixed' }, allowVolumeExpansion: false },
  };
  const asked: string[] = [];
  const client = {
    get: (resource: Resource, name: string) => {
      if (resource !== Resources.storageClass) return Promise.reject(new KubeApiError(404, 'NotFound', `${resource.plural} "${name}" not found`));
      asked.push(name);
      const found = classes[name];
      return found === undefined ? Promise.reject(new KubeApiError(404, 'NotFound', `storageclasses "${name}" not found`)) : Promise.resolve(found);
    },
  } as unknown as KubeClient;
  /** What the reconcile knows once it reads the classes: the claims to grow and their classes. */
  const observation = async (g: Gaim, entries: [Resource, KubeObject][]) => {
    const observed = observe(g, cachesOf(entries));
    const storageClasses = await classesToGrow(planGrowth(g, observed, BUILT_IN_TIERS.small), client, AbortSignal.timeout(1000));
    return { observed, sizes: BUILT_IN_TIERS.small, storageClasses };
  };
  const bigger = { mongodb: { storage: '20Gi' }, redis: { storage: '4Gi' } };

  it('reads the class of each claim to grow, asking for each class once', async () => {
    asked.length = 0;
    const seen = await observation(gaim(bigger), claims());
    expect(asked).toEqual(['standard-rwo']);
    expect(refusal({ gaim: gaim(bigger), observed: seen.observed, nfs: { servers: [], pathTemplate: '' }, sizes: seen.sizes, storageClasses: seen.storageClasses })).toBeUndefined();
  });

  it('stops reading at the first class that refuses, and names that claim (as claim by claim)', async () => {
    asked.length = 0;
    const entries: [Resource, KubeObject][] = [claim('data-marvin-mongodb-0', '10Gi', {}, 'fixed'), claim('data-marvin-redis-0', '2Gi', {}, 'unreadable')];
    const g = gaim(bigger);
    const seen = await observation(g, entries);
    expect(asked).toEqual(['fixed']);
    expect(refusal({ gaim: g, observed: seen.observed, nfs: { servers: [], pathTemplate: '' }, sizes: seen.sizes, storageClasses: seen.storageClasses }))
      .toMatchObject({ reason: 'VolumeExpansionNotAllowed', message: expect.stringContaining('cannot grow claim data-marvin-mongodb-0') as string });
  });

  it.each([
    ['a class without allowVolumeExpansion', 'fixed', 'its StorageClass fixed does not allow volume expansion (allowVolumeExpansion is not true)'],
    ['a class that does not exist', 'gone', 'its StorageClass gone does not exist'],
    ['no class (a static volume)', undefined, 'it has no StorageClass (a static volume cannot be expanded)'],
  ])('refuses %s with errorType storage, naming it, before anything changes', async (_name, className, why) => {
    const [resource, mongodb] = claim('data-marvin-mongodb-0', '10Gi', {}, className ?? '');
    const spec = { ...(mongodb['spec'] as Record<string, unknown>) };
    if (className === undefined) delete spec['storageClassName'];
    const entries: [Resource, KubeObject][] = [[resource, { ...mongodb, spec }], claim('data-marvin-redis-0', '2Gi')];
    const g = gaim({ mongodb: { storage: '20Gi' } });
    const seen = await observation(g, entries);
    expect(refusal({ gaim: g, observed: seen.observed, nfs: { servers: [], pathTemplate: '' }, sizes: seen.sizes, storageClasses: seen.storageClasses })).toMatchObject({
      errorType: 'storage', reason: 'VolumeExpansionNotAllowed', message: `cannot grow claim data-marvin-mongodb-0 to 20Gi: ${why}; nothing was changed`,
    });
  });
});
