import { describe, expect, it } from 'vitest';
import { cachesOf } from '../../testing/caches-fake.js';
import type { Gaim } from '../../api/v1alpha1/gaim.js';
import type { KubeObject } from '../../kube/objects.js';
import { Resources } from '../../kube/resources.js';
import { observe } from './observe.js';
import { testGaim } from '../../testing/gaims.js';

const gaim = (spec: Record<string, unknown> = {}, name = 'marvin'): Gaim =>
  testGaim(spec, { metadata: { name, uid: 'u', creationTimestamp: '2026-01-02T00:00:00Z' } });
const meta = (name: string, namespace?: string, extra: Record<string, unknown> = {}) => ({ metadata: { name, ...(namespace === undefined ? {} : { namespace }), ...extra } });
const sts = (name: string, status: Record<string, unknown>, size = '10Gi', generation = 1): KubeObject => ({
  ...meta(name, 'team', { generation }), spec: { replicas: 1, volumeClaimTemplates: [{ spec: { resources: { requests: { storage: size } } } }] }, status,
});
const ready = { observedGeneration: 1, readyReplicas: 1, updatedReplicas: 1, currentRevision: 'r1', updateRevision: 'r1' };
const claim = (name: string, request: string, status: Record<string, unknown>, spec: Record<string, unknown> = {}): KubeObject =>
  ({ ...meta(name, 'team'), spec: { resources: { requests: { storage: request } }, ...spec }, status });

describe('observe', () => {
  it('reads nothing into a Gaim with nothing made yet', () => {
    const observed = observe(gaim(), cachesOf());
    expect(observed).toEqual({
      namespaceOwner: 'marvin', shareOwner: undefined, sizes: {}, claims: [], disabledWorkloads: [], running: {},
      stores: {
        mongodb: { ready: false, reason: 'Creating', message: 'the StatefulSet does not exist yet' },
        redis: { ready: false, reason: 'Creating', message: 'the StatefulSet does not exist yet' },
        storage: { ready: false, reason: 'Creating', message: 'the claim does not exist yet' },
      },
    });
  });

  it('reads sizes from the claim templates and the LanceDB claim, its class, and each claim with its volume\'s reclaim policy', () => {
    const caches = cachesOf([
      [Resources.statefulSet, sts('marvin-mongodb', ready, '20Gi')],
      [Resources.statefulSet, sts('marvin-redis', ready, '2Gi')],
      [Resources.persistentVolumeClaim, claim('marvin-lancedb', '100Gi', { phase: 'Bound', capacity: { storage: '100Gi' } }, { storageClassName: 'enterprise-rwx', volumeName: 'pv-l' })],
      [Resources.persistentVolumeClaim, claim('data-marvin-mongodb-0', '20Gi', { phase: 'Bound', capacity: { storage: '20Gi' } }, { storageClassName: 'standard-rwo', volumeName: 'pv-m' })],
      [Resources.persistentVolume, { ...meta('pv-m'), spec: { persistentVolumeReclaimPolicy: 'Retain' } }],
    ]);
    const observed = observe(gaim(), caches);
    expect(observed.sizes).toEqual({ mongodbClaim: '20Gi', redisClaim: '2Gi', lancedbClaim: '100Gi', lancedbCapacity: '100Gi', lancedbClass: 'enterprise-rwx' });
    expect(observed.claims.map((c) => [c.store, c.name, c.phase, c.volumeName, c.reclaimPolicy, c.request, c.capacity, c.resize.state])).toEqual([
      ['mongodb', 'data-marvin-mongodb-0', 'Bound', 'pv-m', 'Retain', '20Gi', '20Gi', 'steady'],
      ['lancedb', 'marvin-lancedb', 'Bound', 'pv-l', undefined, '100Gi', '100Gi', 'steady'],
    ]);
    expect(observed.stores).toMatchObject({ mongodb: { ready: true }, redis: { ready: true }, storage: { ready: true, reason: 'ClaimBound' } });
  });

  it('reads what the running stores ask for: their containers\' requests and claim templates', () => {
    const withRequests = (name: string, requests: Record<string, string>, size: string) => {
      const object = sts(name, ready, size) as KubeObject & { spec: Record<string, unknown> };
      return { ...object, spec: { ...object.spec, template: { spec: { containers: [{ resources: { requests } }] } } } } as KubeObject;
    };
    const caches = cachesOf([[Resources.statefulSet, withRequests('marvin-mongodb', { cpu: '300m', memory: '768Mi' }, '12Gi')]]);
    expect(observe(gaim(), caches).running).toEqual({ mongodb: { cpu: '300m', memory: '768Mi', storage: '12Gi' } });
  });

  it.each([
    ['the controller has not seen the spec', { ...ready, observedGeneration: 0 }, 'Progressing'],
    ['no pod ready', { ...ready, readyReplicas: 0 }, 'PodsPending'],
    ['pods of an old revision', { ...ready, currentRevision: 'r0' }, 'RollingUpdate'],
  ])('a store is not ready when %s', (_name, status, reason) => {
    const observed = observe(gaim(), cachesOf([[Resources.statefulSet, sts('marvin-redis', status)]]));
    expect(observed.stores.redis).toMatchObject({ ready: false, reason });
  });

  it('says a ready store is resizing until its claim has the capacity it asked for', () => {
    const caches = cachesOf([
      [Resources.statefulSet, sts('marvin-mongodb', ready, '10Gi')],
      [Resources.persistentVolumeClaim, claim('data-marvin-mongodb-0', '20Gi', { phase: 'Bound', capacity: { storage: '10Gi' }, allocatedResourceStatuses: { storage: 'ControllerResizeInProgress' } })],
    ]);
    expect(observe(gaim(), caches).stores.mongodb).toMatchObject({ ready: false, reason: 'Resizing' });
    caches.put(Resources.persistentVolumeClaim, claim('data-marvin-mongodb-0', '20Gi', { phase: 'Bound', capacity: { storage: '20Gi' } }));
    expect(observe(gaim(), caches).stores.mongodb).toMatchObject({ ready: true });
  });

  it('gives the namespace to its oldest Gaim not being deleted, by name when two were created at once', () => {
    const other = (name: string, created: string, extra: Record<string, unknown> = {}) => ({ ...meta(name, 'team', { creationTimestamp: created, ...extra }) } as KubeObject);
    const me = { ...meta('marvin', 'team', { creationTimestamp: '2026-01-02T00:00:00Z' }) } as KubeObject;
    expect(observe(gaim(), cachesOf([[Resources.gaim, me], [Resources.gaim, other('zaphod', '2026-01-03T00:00:00Z')]])).namespaceOwner).toBe('marvin');
    expect(observe(gaim(), cachesOf([[Resources.gaim, me], [Resources.gaim, other('arthur', '2026-01-01T00:00:00Z')]])).namespaceOwner).toBe('arthur');
    expect(observe(gaim(), cachesOf([[Resources.gaim, me], [Resources.gaim, other('arthur', '2026-01-01T00:00:00Z', { deletionTimestamp: '2026-02-01T00:00:00Z' })]])).namespaceOwner).toBe('marvin');
    expect(observe(gaim(), cachesOf([[Resources.gaim, me], [Resources.gaim, other('ford', '2026-01-02T00:00:00Z')]])).namespaceOwner).toBe('ford');
  });

  it('names the Gaim whose static volume has the same NFS share, trailing slash or not, never its own', () => {
    const nfs = { lancedb: { storage: { nfs: { server: '10.0.0.2', path: '/vol1/gaims/team/data' } } } };
    const volume = (name: string, path: string, owner: string) => ({ ...meta(name, undefined, { labels: { 'gaim.livingcontent.io/namespace': 'old', 'gaim.livingcontent.io/gaim': owner } }), spec: { nfs: { server: '10.0.0.2', path } } } as KubeObject);
    expect(observe(gaim(nfs), cachesOf([[Resources.persistentVolume, volume('gaim-old-first-lancedb', '/vol1/gaims/team/data/', 'first')]])).shareOwner).toBe('old/first');
    expect(observe(gaim(nfs), cachesOf([[Resources.persistentVolume, volume('gaim-team-marvin-lancedb', '/vol1/gaims/team/data', 'marvin')]])).shareOwner).toBeUndefined();
    expect(observe(gaim(nfs), cachesOf([[Resources.persistentVolume, volume('gaim-old-first-lancedb', '/vol1/gaims/team/other', 'first')]])).shareOwner).toBeUndefined();
  });

  it('lists the workloads of a store switched off, only those that exist', () => {
    const caches = cachesOf([[Resources.statefulSet, sts('marvin-redis', ready)], [Resources.service, meta('marvin-redis', 'team')], [Resources.statefulSet, sts('marvin-mongodb', ready)]]);
    const observed = observe(gaim({ redis: { enabled: false } }), caches);
    expect(observed.stores.redis).toBe('disabled');
    expect(observed.disabledWorkloads.map((w) => `${w.resource.kind}/${w.name}`)).toEqual(['StatefulSet/marvin-redis', 'Service/marvin-redis']);
  });
});
