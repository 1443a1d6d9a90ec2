import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../kube/objects.js';
import { TEMPLATE_HASH } from '../../resources/stateful-store.js';
import { immutableChange, Recreations } from './recreate.js';

const sts = (spec: Record<string, unknown>, hash = 'new'): KubeObject => ({
  apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'marvin-redis', namespace: 'ns', uid: 'u1', annotations: { [TEMPLATE_HASH]: hash } }, spec,
});
const selector = { matchLabels: { a: 'b' } };

describe('immutableChange', () => {
  it.each<[string, Record<string, unknown>, Record<string, unknown> | undefined, string | undefined]>([
    ['nothing there yet', { podManagementPolicy: 'Parallel' }, undefined, undefined],
    ['the same policy', { podManagementPolicy: 'Parallel', selector }, { podManagementPolicy: 'Parallel', selector }, undefined],
    ['an older OrderedReady set', { podManagementPolicy: 'Parallel' }, { podManagementPolicy: 'OrderedReady' }, 'spec.podManagementPolicy'],
    ['a set stored without the field (the default, OrderedReady)', { podManagementPolicy: 'Parallel' }, {}, 'spec.podManagementPolicy'],
    ['a template change only: applied in place', { podManagementPolicy: 'Parallel', template: { a: 1 } }, { podManagementPolicy: 'Parallel', template: { a: 2 } }, undefined],
    ['the same selector, its keys in the API server\'s order', { selector: { matchLabels: { x: '1', a: '2' } } }, { selector: { matchLabels: { a: '2', x: '1' } } }, undefined],
    ['another selector', { selector }, { selector: { matchLabels: { a: 'c' } } }, 'spec.selector'],
  ])('%s', (_name, desired, observed, field) => {
    expect(immutableChange(sts(desired), observed === undefined ? undefined : sts(observed))).toBe(field);
  });
});

describe('Recreations', () => {
  it('creates the set again with the template (and template hash) its predecessor had, then forgets it', async () => {
    const recreations = new Recreations();
    const old = sts({ podManagementPolicy: 'OrderedReady', template: { spec: { image: 'redis:7.2.15' } } }, 'old');
    const deleted: unknown[] = [];
    const client = { delete: (...args: unknown[]) => { deleted.push(args); return Promise.resolve(); } };
    const log = { info: () => undefined };
    await recreations.orphan(old, 'spec.podManagementPolicy', client as never, { log } as never);
    expect(deleted).toEqual([[expect.anything(), 'marvin-redis', 'ns', { propagationPolicy: 'Orphan', preconditions: { uid: 'u1' }, signal: undefined }]]);

    const desired = sts({ podManagementPolicy: 'Parallel', template: { spec: { image: 'redis:7.2.16' } } }, 'new');
    const restored = recreations.restore(desired);
    expect(restored['spec']).toEqual({ podManagementPolicy: 'Parallel', template: { spec: { image: 'redis:7.2.15' } } });
    expect(restored.metadata?.annotations?.[TEMPLATE_HASH]).toBe('old');
    recreations.created(desired);
    expect(recreations.restore(desired)).toBe(desired);
  });
});
