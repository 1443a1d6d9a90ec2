import { describe, expect, it } from 'vitest';
import { durationMs, queueCondition, queueEntries, statusWorthWriting, type QueueFigures } from './queue-health.js';

const figures = (over: Partial<QueueFigures> = {}): QueueFigures => ({ env: 'stage', length: 10, pending: 0, oldestPendingSeconds: 0, maxDeliveries: 0, consumers: 2, consumersIdle: 0, dlqLength: 0, lag: 0, ...over });

describe('queueCondition', () => {
  it.each<[string, QueueFigures[], string[], string, string]>([
    ['tasks flow', [figures()], [], 'Healthy', 'tasks flow'],
    ['a poison task', [figures({ pending: 1, maxDeliveries: 7 })], [], 'PoisonTasks', 'delivered 7 times'],
    ['dead letters growing', [figures({ dlqLength: 3 })], ['stage'], 'DeadLettersGrowing', 'grew to 3'],
    ['tasks queued and no consumer', [figures({ lag: 5, consumers: 0 })], [], 'ConsumersStalled', '5 undelivered tasks, and no consumer'],
    ['pending tasks and every consumer idle', [figures({ pending: 2, oldestPendingSeconds: 90, consumersIdle: 2 })], [], 'ConsumersStalled', 'every consumer idle'],
    ['idle consumers with nothing to do', [figures({ consumersIdle: 2 })], [], 'Healthy', 'tasks flow'],
    ['the worst of two environments wins', [figures({ env: 'stage', lag: 5, consumers: 0 }), figures({ env: 'prod', maxDeliveries: 9, pending: 1 })], [], 'PoisonTasks', 'stage: 5 undelivered'],
  ])('%s', (_name, list, grew, reason, text) => {
    const condition = queueCondition(list, new Set(grew as never[]));
    expect(condition.reason).toBe(reason);
    expect(condition.status).toBe(reason === 'Healthy' ? 'True' : 'False');
    expect(condition.message).toContain(text);
  });
});

describe('statusWorthWriting', () => {
  const at = (iso: string) => queueEntries([figures()], new Date(iso));
  const now = new Date('2026-12-01T10:10:00Z');
  it('writes the first sample, and a change of health at once', () => {
    expect(statusWorthWriting(undefined, undefined, at('2026-12-01T10:09:59Z'), 'Healthy', now)).toBe(true);
    expect(statusWorthWriting(at('2026-12-01T10:09:00Z'), 'Healthy', at('2026-12-01T10:09:59Z'), 'ConsumersStalled', now)).toBe(true);
  });
  it('never writes unchanged queues, however old the written sample', () => {
    expect(statusWorthWriting(at('2026-12-01T09:00:00Z'), 'Healthy', at('2026-12-01T10:09:59Z'), 'Healthy', now)).toBe(false);
  });
  it('writes moved figures only once the written ones are five minutes old', () => {
    const moved = queueEntries([figures({ length: 11 })], now);
    expect(statusWorthWriting(at('2026-12-01T10:06:00Z'), 'Healthy', moved, 'Healthy', now)).toBe(false);
    expect(statusWorthWriting(at('2026-12-01T10:05:00Z'), 'Healthy', moved, 'Healthy', now)).toBe(true);
  });
  it('does not count the oldest entry\'s age, which grows by itself', () => {
    const older = queueEntries([figures({ oldestPendingSeconds: 500 })], now);
    expect(statusWorthWriting(at('2026-12-01T09:00:00Z'), 'Healthy', older, 'Healthy', now)).toBe(false);
  });
});

it.each([['90s', 90_000], ['30m', 1_800_000], ['1h30m', 5_400_000], ['', undefined], ['5d', undefined]])('reads the duration %s', (text, ms) => {
  expect(durationMs(text)).toBe(ms);
});
