import { afterEach, describe, expect, it, vi } from 'vitest';
import { WorkQueue } from './workqueue.js';

const queue = (overrides: Partial<ConstructorParameters<typeof WorkQueue>[0]> = {}) =>
  new WorkQueue({ backoff: { baseMs: 100, capMs: 1000, jitter: 0 }, retryQps: 1000, retryBurst: 1000, ...overrides });

describe('WorkQueue', () => {
  afterEach(() => { vi.useRealTimers(); });

  it('collapses repeated adds of a waiting key into one', async () => {
    const q = queue();
    q.add('ns/a');
    q.add('ns/a');
    q.add('ns/b');
    q.add('ns/a');
    expect(q.length).toBe(2);
    expect(await q.get()).toBe('ns/a');
    expect(await q.get()).toBe('ns/b');
  });

  it('never hands a key to two workers at once, and re-queues it when re-added meanwhile', async () => {
    const q = queue();
    q.add('ns/a');
    const first = await q.get();
    q.add('ns/a'); // an event while a worker holds the key
    q.add('ns/b');
    expect(await q.get()).toBe('ns/b'); // not ns/a: it is being processed
    expect(q.length).toBe(0);
    q.done(first ?? '');
    expect(q.length).toBe(1);
    expect(await q.get()).toBe('ns/a');
  });

  it('hands a key to a waiting worker as soon as it is added', async () => {
    const q = queue();
    const waiting = q.get();
    q.add('ns/a');
    expect(await waiting).toBe('ns/a');
  });

  it('grows the retry delay per key, caps it, and resets it on forget', () => {
    const q = queue();
    expect([1, 2, 3, 4, 5, 6].map(() => q.addRateLimited('ns/a'))).toEqual([100, 200, 400, 800, 1000, 1000]);
    expect(q.addRateLimited('ns/b')).toBe(100); // per key
    expect(q.failures('ns/a')).toBe(6);
    q.forget('ns/a');
    expect(q.addRateLimited('ns/a')).toBe(100);
  });

  it('applies the global bucket on top of per-key backoff', () => {
    const q = queue({ retryQps: 1, retryBurst: 2 });
    expect(q.addRateLimited('a')).toBe(100);
    expect(q.addRateLimited('b')).toBe(100);
    // The bucket is empty: the third retry waits about a second whatever its own backoff says.
    expect(q.addRateLimited('c')).toBeGreaterThan(900);
  });

  it('honours add-after, and an earlier add-after wins over a later one', async () => {
    vi.useFakeTimers();
    const q = queue();
    q.addAfter('ns/a', 5000);
    q.addAfter('ns/a', 1000);
    q.addAfter('ns/a', 3000);
    vi.advanceTimersByTime(999);
    expect(q.length).toBe(0);
    vi.advanceTimersByTime(1);
    expect(q.length).toBe(1);
    expect(await q.get()).toBe('ns/a');
    q.done('ns/a');
    vi.advanceTimersByTime(10_000);
    expect(q.length).toBe(0); // the later timers were dropped
  });

  it('forgets a key\'s failures without scheduling anything: a terminal error is not retried', async () => {
    vi.useFakeTimers();
    const q = queue();
    // Two failed attempts: the key comes back after each backoff.
    q.add('ns/a');
    let key = await q.get();
    expect(q.addRateLimited('ns/a')).toBe(100);
    q.done(key ?? '');
    vi.advanceTimersByTime(100);
    key = await q.get();
    expect(key).toBe('ns/a');
    expect(q.addRateLimited('ns/a')).toBe(200);
    q.done(key ?? '');
    vi.advanceTimersByTime(200);
    key = await q.get();
    // The third attempt fails terminally: the engine forgets the key instead of rate-limiting it.
    q.forget('ns/a');
    q.done(key ?? '');
    expect(q.failures('ns/a')).toBe(0);
    vi.advanceTimersByTime(60_000);
    expect(q.length).toBe(0); // nothing came back on its own
    // Its next failure (after a change re-added it) starts from the first backoff step again.
    expect(q.addRateLimited('ns/a')).toBe(100);
  });

  it('releases waiting workers on shut down and accepts no new work', async () => {
    const q = queue();
    const waiting = q.get();
    q.shutDown();
    expect(await waiting).toBeUndefined();
    q.add('ns/a');
    expect(await q.get()).toBeUndefined();
  });
});
