import { describe, expect, it } from 'vitest';
import type { Condition } from '../api/v1alpha1/gaim.js';
import { setCondition } from './conditions.js';

const earlier = '2026-01-01T00:00:00Z';
const now = new Date('2026-01-02T03:04:05.678Z');
const ready = (status: Condition['status'], reason = 'Ready', generation = 1): Condition =>
  ({ type: 'Ready', status, observedGeneration: generation, lastTransitionTime: earlier, reason, message: 'm' });

describe('setCondition', () => {
  it.each([
    ['a new condition gets the current time (seconds)', [], 'True', 'Ready', '2026-01-02T03:04:05Z'],
    ['the same status keeps its transition time, even with a new reason', [ready('True')], 'True', 'Other', earlier],
    ['a changed status moves the transition time', [ready('True')], 'False', 'Ready', '2026-01-02T03:04:05Z'],
    ['Unknown to False is a transition too', [ready('Unknown')], 'False', 'Ready', '2026-01-02T03:04:05Z'],
  ] as const)('%s', (_name, before, status, reason, transition) => {
    const [after] = setCondition(before, { type: 'Ready', status, reason, message: 'new' }, 7, now);
    expect(after).toEqual({ type: 'Ready', status, observedGeneration: 7, lastTransitionTime: transition, reason, message: 'new' });
  });

  it('keeps one condition per type, in a fixed order, whatever order they were set in', () => {
    let conditions: Condition[] = [];
    for (const type of ['FirestoreSynced', 'Seeded', 'Ready', 'StorageReady', 'RedisReady', 'MongoDBReady', 'Ready'] as const) {
      conditions = setCondition(conditions, { type, status: 'True', reason: 'R', message: '' }, 1, now);
    }
    expect(conditions.map((c) => c.type)).toEqual(['Ready', 'MongoDBReady', 'RedisReady', 'StorageReady', 'Seeded', 'FirestoreSynced']);
  });

  it('gives an equal result for an unchanged update, so the status compares equal and is not written', () => {
    const once = setCondition([], { type: 'Seeded', status: 'True', reason: 'Seeded', message: 'x' }, 2, now);
    const twice = setCondition(once, { type: 'Seeded', status: 'True', reason: 'Seeded', message: 'x' }, 2, new Date('2027-01-01T00:00:00Z'));
    expect(twice).toEqual(once);
  });
});
