import { describe, expect, it } from 'vitest';
import { fieldPath, parseGaim } from './validate.js';

describe('fieldPath', () => {
  it.each([
    [[], ''],
    [['spec'], 'spec'],
    [['spec', 'environments', 1], 'spec.environments[1]'],
    [['spec', 'lancedb', 'storage', 'nfs', 'path'], 'spec.lancedb.storage.nfs.path'],
  ] as const)('%j -> %s', (path, expected) => {
    expect(fieldPath(path)).toBe(expected);
  });
});

describe('parseGaim', () => {
  const gaim = {
    apiVersion: 'gaim.livingcontent.io/v1alpha1',
    kind: 'Gaim',
    metadata: { name: 'marvin', namespace: 'marvin', generation: 2 },
    spec: {
      gaimId: '660e8400-e29b-41d4-a716-446655440001',
      displayName: 'Marvin',
      environments: ['stage'],
      lancedb: { storage: { nfs: { server: '10.0.0.2', path: '/vol1' } } },
    },
  };

  it('applies the same defaults as the CRD', () => {
    const result = parseGaim(gaim);
    if (!result.ok) throw result.error;
    expect(result.gaim.spec).toMatchObject({
      tier: 'small',
      deletionPolicy: 'Retain',
      suspend: false,
      tenantIds: [],
      mongodb: { enabled: true },
      redis: { enabled: true },
      lancedb: { embeddingDimensions: { video: 1408, audio: 1408 } },
    });
    // No image default in the CRD: the operator's pinned one applies (config/images.ts).
    expect(result.gaim.spec.mongodb.image).toBeUndefined();
  });

  it('reports every problem as a terminal validation error naming its field', () => {
    const result = parseGaim({ ...gaim, spec: { ...gaim.spec, environments: ['stage', 'stage'], tier: 'huge', extra: 1 } });
    if (result.ok) throw new Error('expected a validation error');
    expect(result.error.errorType).toBe('validation');
    expect(result.error.terminal).toBe(true);
    expect(result.error.issues.map((i) => i.path).sort()).toEqual(['spec', 'spec.environments', 'spec.tier']);
    expect(result.error.message).toContain('spec.environments: environments must not repeat');
    expect(result.error.message).toContain(': extra');
  });
});

describe('a backup schedule the CRD\'s pattern lets through', () => {
  const withSchedule = (schedule: string) => ({
    apiVersion: 'gaim.livingcontent.io/v1alpha1', kind: 'Gaim', metadata: { name: 'marvin', namespace: 'marvin' },
    spec: { gaimId: '660e8400-e29b-41d4-a716-446655440001', displayName: 'M', environments: ['stage'], lancedb: { storage: { nfs: { server: '10.0.0.2', path: '/vol1' } } }, backup: { schedule } },
  });
  it.each(['61 * * * *', '* 25 * * *', '* * * 13 *'])('refuses %s, naming spec.backup.schedule (Failed, errorType validation)', (schedule) => {
    const result = parseGaim(withSchedule(schedule));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.errorType).toBe('validation');
    expect(result.error.message).toMatch(/^spec\.backup\.schedule: must be a cron expression/);
  });
  it('takes a schedule cron-parser reads', () => {
    expect(parseGaim(withSchedule('*/15 2-4 * * 1-5')).ok).toBe(true);
  });
});
