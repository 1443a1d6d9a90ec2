import { describe, expect, it } from 'vitest';
import type { GaimStatus } from '../../api/v1alpha1/gaim.js';
import type { QueueSample } from '../../seeders/redis-queues.js';
import { QueueSamples } from './queue-prober.js';

const sample = (over: Partial<QueueSample> = {}): QueueSample => ({
  env: 'stage', length: 10, pending: 0, oldestPendingSeconds: 0, maxDeliveries: 0, consumers: 2, consumersIdle: 0, dlqLength: 0, lag: 0, poison: [], idleConsumers: [], ...over,
});
const gaim = (status?: GaimStatus) => ({ metadata: { name: 'marvin', namespace: 'team' }, ...(status === undefined ? {} : { status }) });

describe('QueueSamples.statusUpdate: the one decision to write queue status', () => {
  const now = new Date('2026-12-06T10:00:00Z');

  it('offers nothing before a sample, and the first sample of a Gaim whose status has none', () => {
    const samples = new QueueSamples();
    expect(samples.statusUpdate(gaim(), now)).toBeUndefined();
    samples.record('team/marvin', [sample()], now);
    expect(samples.statusUpdate(gaim(), now)?.condition.reason).toBe('Healthy');
  });

  it('offers nothing once the status holds the same figures and reason, and offers a change of health at once', () => {
    const samples = new QueueSamples();
    samples.record('team/marvin', [sample()], now);
    const written = samples.statusUpdate(gaim(), now);
    const status: GaimStatus = { queues: written?.entries ?? [], conditions: [{ type: 'QueuesHealthy', status: 'True', reason: 'Healthy', message: '', lastTransitionTime: now.toISOString() }] };
    samples.record('team/marvin', [sample()], now);
    expect(samples.statusUpdate(gaim(status), now)).toBeUndefined();
    samples.unknown('team/marvin', 'Redis is not ready');
    expect(samples.statusUpdate(gaim(status), now)?.condition).toMatchObject({ status: 'Unknown', reason: 'Unknown' });
  });
});
