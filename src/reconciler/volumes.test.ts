import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { parseGaim } from '../api/v1alpha1/validate.js';
import type { ReconcileContext } from '../controller/result.js';
import type { KubeClient } from '../kube/client.js';
import type { Observed } from './observe.js';
import { retainVolumes } from './volumes.js';

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
