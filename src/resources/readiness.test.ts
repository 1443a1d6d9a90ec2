import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../kube/objects.js';
import { claimReadiness, statefulSetReadiness } from './readiness.js';

const sts = (generation: number, status: Record<string, unknown>, replicas = 1): KubeObject =>
  ({ metadata: { name: 'db', generation }, spec: { replicas }, status });

describe('statefulSetReadiness', () => {
  it.each([
    ['missing', undefined, false, 'Creating'],
    ['not yet seen by its controller', sts(2, { observedGeneration: 1, readyReplicas: 1, updatedReplicas: 1 }), false, 'Progressing'],
    ['no ready pod', sts(1, { observedGeneration: 1, readyReplicas: 0 }), false, 'PodsPending'],
    ['one of two ready', sts(1, { observedGeneration: 1, readyReplicas: 1, updatedReplicas: 2 }, 2), false, 'PodsPending'],
    ['ready but not updated', sts(1, { observedGeneration: 1, readyReplicas: 1, updatedReplicas: 0 }), false, 'RollingUpdate'],
    ['ready on the old revision', sts(1, { observedGeneration: 1, readyReplicas: 1, updatedReplicas: 1, currentRevision: 'a', updateRevision: 'b' }), false, 'RollingUpdate'],
    ['ready and updated', sts(1, { observedGeneration: 1, readyReplicas: 1, updatedReplicas: 1, currentRevision: 'b', updateRevision: 'b' }), true, 'Ready'],
    ['ready, no revisions reported', sts(1, { observedGeneration: 1, readyReplicas: 1, updatedReplicas: 1 }), true, 'Ready'],
    ['scaled to zero (hibernated, or woken before the scale-up is seen): serves nothing', sts(1, { observedGeneration: 1, readyReplicas: 0, updatedReplicas: 0 }, 0), false, 'ScaledToZero'],
  ] as const)('%s', (_name, object, ready, reason) => {
    expect(statefulSetReadiness(object)).toMatchObject({ ready, reason });
  });
});

describe('claimReadiness', () => {
  const claim = (phase?: string): KubeObject => ({ metadata: { name: 'c' }, ...(phase === undefined ? {} : { status: { phase } }) });
  it.each([
    ['missing', undefined, false, 'Creating'],
    ['without a phase yet', claim(), false, 'ClaimPending'],
    ['Pending', claim('Pending'), false, 'ClaimPending'],
    ['Bound', claim('Bound'), true, 'ClaimBound'],
    ['Lost', claim('Lost'), false, 'ClaimLost'],
  ] as const)('%s', (_name, object, ready, reason) => {
    expect(claimReadiness(object)).toMatchObject({ ready, reason });
  });
});
