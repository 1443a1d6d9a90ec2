import { describe, expect, it } from 'vitest';
import type { GaimStatus } from '../../api/v1alpha1/gaim.js';
import type { QueueSample } from '../../seeders/redis-queues.js';
import { QueueSamples } from './queue-prober.js';

const sample = (over: Partial<QueueSample> = {}): QueueSample => ({
  env: 'stage', length: 10, pending: 0, oldestPendingSeconds: 0, maxDeliveries: 0, consumers: 2, consumersIdle: 0, dlqLength: 0, lag: 0, poison: [], idleConsumers: [], lastId: '1-0', ...over,
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

describe('QueueSamples.recordIdle: the idle clock of hibernation mode Auto', () => {
  const at = (s: number) => new Date(Date.UTC(2026, 11, 7, 12, 0, s));
  const key = 'team/marvin';

  it('starts at the first idle sample and keeps running while nothing changes', () => {
    const samples = new QueueSamples();
    expect(samples.recordIdle(key, [sample()], 0, at(0))).toBe(true);
    expect(samples.recordIdle(key, [sample()], 0, at(30))).toBe(false);
    expect(samples.idleSince(key)).toEqual(at(0));
  });

  it('starts again at a new entry (no reconcile needed: its recheck finds the new deadline), and stops at a pending or undelivered entry or a client of the apps', () => {
    const samples = new QueueSamples();
    samples.recordIdle(key, [sample()], 0, at(0));
    expect(samples.recordIdle(key, [sample({ lastId: '2-0' })], 0, at(30))).toBe(false);
    expect(samples.idleSince(key)).toEqual(at(30));
    expect(samples.recordIdle(key, [sample({ lastId: '2-0', lag: 1 })], 0, at(45))).toBe(true);
    expect(samples.idleSince(key)).toBeUndefined();
    samples.recordIdle(key, [sample({ lastId: '2-0' })], 0, at(50));
    expect(samples.recordIdle(key, [sample({ lastId: '2-0', pending: 1 })], 0, at(60))).toBe(true);
    expect(samples.idleSince(key)).toBeUndefined();
    samples.recordIdle(key, [sample({ lastId: '2-0' })], 0, at(90));
    expect(samples.recordIdle(key, [sample({ lastId: '2-0' })], 1, at(120))).toBe(true);
    expect(samples.idleSince(key)).toBeUndefined();
    expect(samples.recordIdle(key, [sample({ lastId: '2-0' })], 1, at(150))).toBe(false);
  });

  it('is idle only when every environment is', () => {
    const samples = new QueueSamples();
    expect(samples.recordIdle(key, [sample(), sample({ env: 'prod', pending: 3 })], 0, at(0))).toBe(false);
    expect(samples.idleSince(key)).toBeUndefined();
  });

  it('is forgotten with the Gaim, and on forgetIdle', () => {
    const samples = new QueueSamples();
    samples.recordIdle(key, [sample()], 0, at(0));
    samples.forgetIdle(key);
    expect(samples.idleSince(key)).toBeUndefined();
    samples.recordIdle(key, [sample()], 0, at(0));
    samples.forget(key);
    expect(samples.idleSince(key)).toBeUndefined();
  });
});

describe('QueueSamples.restartIdle: each sleep and wake starts the clock afresh', () => {
  const at = (s: number) => new Date(Date.UTC(2026, 11, 7, 12, 0, s));

  it('drops the clock, and a sample begun before the restart cannot set it again', () => {
    const samples = new QueueSamples();
    samples.recordIdle('team/marvin', [sample()], 0, at(0), at(0));
    samples.restartIdle('team/marvin', at(10));
    expect(samples.idleSince('team/marvin')).toBeUndefined();
    expect(samples.recordIdle('team/marvin', [sample()], 0, at(11), at(9))).toBe(false);
    expect(samples.idleSince('team/marvin')).toBeUndefined();
    expect(samples.recordIdle('team/marvin', [sample()], 0, at(12), at(11))).toBe(true);
    expect(samples.idleSince('team/marvin')).toEqual(at(12));
  });
});
