import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { parseGaim } from '../../api/v1alpha1/validate.js';
import type { ReconcileContext } from '../../controller/result.js';
import type { KubeClient } from '../../kube/client.js';
import type { Observed } from './observe.js';
import { rebindStaticVolume, retainVolumes } from './volumes.js';
import { cachesOf } from '../../testing/caches-fake.js';
import { recordingClient } from '../../testing/client-fake.js';
import type { KubeObject } from '../../kube/objects.js';
import { type Resource, Resources } from '../../kube/resources.js';

const parsed = parseGaim({
  apiVersion: 'gaim.livingcontent.io/v1alpha1', kind: 'Gaim', metadata: { name: 'marvin', namespace: 'team', uid: 'u', generation: 1 },
  spec: { gaimId: '660e8400-e29b-41d4-a716-446655440001', displayName: 'M', environments: ['stage'], lancedb: { storage: { storageClassName: 'standard-rwx', size: '1Ti' } } },
});
if (!parsed.ok) throw parsed.error;
const gaim = parsed.gaim;
const context = { signal: new AbortController().signal, log: pino({ level: 'silent' }) } as unknown as ReconcileContext;
const observed = (reclaimPolicy: string | undefined) => ({
  claims: [{ store: 'mongodb', name: 'data-marvin-mongodb-0', phase: 'Bound', volumeName: 'pv-1', reclaimPolicy, storageClassName: 'standard-rwo', request: '10Gi', capacity: '10Gi', resize: { state: 'steady' } }],
}) as unknown as Observed;

describe('retainVolumes', () => {
  it('patches a volume once, not again while the label-selected cache has not delivered it, and again if it loses Retain', async () => {
    const patches: string[] = [];
    const client = { mergePatch: (_r: unknown, name: string) => { patches.push(name); return Promise.resolve({}); } } as unknown as KubeClient;
    const patched = new Set<string>();
    await retainVolumes(gaim, observed(undefined), client, context, patched);
    await retainVolumes(gaim, observed(undefined), client, context, patched); // the cache has not caught up
    expect(patches).toEqual(['pv-1']);
    await retainVolumes(gaim, observed('Retain'), client, context, patched);
    expect(patched.size).toBe(0);
    await retainVolumes(gaim, observed('Delete'), client, context, patched); // someone changed it back
    expect(patches).toEqual(['pv-1', 'pv-1']);
  });
});

describe('rebindStaticVolume', () => {
  const GAIM_ID = '660e8400-e29b-41d4-a716-446655440001';
  function staticGaim(gaimId = GAIM_ID) {
    const parsed = parseGaim({
      apiVersion: 'gaim.livingcontent.io/v1alpha1', kind: 'Gaim', metadata: { name: 'marvin', namespace: 'team', uid: 'u', generation: 1 },
      spec: { gaimId, displayName: 'M', environments: ['stage'], lancedb: { storage: { nfs: { server: '10.0.0.2', path: '/vol1/gaims/team' } } } },
    });
    if (!parsed.ok) throw parsed.error;
    return parsed.gaim;
  }
  const volume = (phase: string, uid: string | undefined, gaimId: string | undefined): [Resource, KubeObject] => [Resources.persistentVolume, {
    metadata: { name: 'gaim-team-marvin-lancedb', labels: gaimId === undefined ? {} : { 'gaim.livingcontent.io/gaim-id': gaimId } },
    spec: { claimRef: { namespace: 'team', name: 'marvin-lancedb', ...(uid === undefined ? {} : { uid }) } }, status: { phase },
  }];
  const claim = (uid: string): [Resource, KubeObject] => [Resources.persistentVolumeClaim, { metadata: { name: 'marvin-lancedb', namespace: 'team', uid } }];
  const rebind = async (entries: [Resource, KubeObject][], gaimId?: string) => {
    const { client, writes } = recordingClient();
    await rebindStaticVolume(staticGaim(gaimId), cachesOf(entries), client, context);
    return writes.map((w) => `${w.verb} ${w.target} ${JSON.stringify(w.body)}`);
  };

  it('clears the stale claim reference of a Released volume of the same gaimId once its new claim exists, so that claim binds it', async () => {
    expect(await rebind([volume('Released', 'old-claim', GAIM_ID), claim('new-claim')])).toEqual([
      'patch PersistentVolume gaim-team-marvin-lancedb {"spec":{"claimRef":{"uid":null,"resourceVersion":null}}}',
    ]);
    // Not before the new claim exists: a reference without a uid would bind any claim of that name.
    expect(await rebind([volume('Released', 'old-claim', GAIM_ID)])).toEqual([]);
  });

  it.each([
    ['a Bound volume', [volume('Bound', 'c1', GAIM_ID), claim('c1')]],
    ['a volume not bound yet', [volume('Available', undefined, GAIM_ID)]],
    ['a Released volume whose own claim is still there (being deleted)', [volume('Released', 'c1', GAIM_ID), claim('c1')]],
    ['no volume yet', []],
  ] as const)('leaves %s as it is', async (_name, entries) => {
    expect(await rebind([...entries])).toEqual([]);
  });

  it.each([
    ['another gaimId', '770e8400-e29b-41d4-a716-446655440002', 'holds the data of gaimId 770e8400-e29b-41d4-a716-446655440002'],
    ['a volume that does not say whose', undefined, 'holds data of a Gaim it does not name'],
  ])('refuses a Released volume of %s, changing nothing', async (_name, holder, words) => {
    await expect(rebind([volume('Released', 'old-claim', holder)])).rejects.toMatchObject({
      errorType: 'conflict', reason: 'ShareConflict',
      message: `cannot bind PersistentVolume gaim-team-marvin-lancedb again: it is Released and ${words}, not gaimId ${GAIM_ID}; only the same gaimId binds it again (to start afresh, delete the volume)`,
    });
  });
});
