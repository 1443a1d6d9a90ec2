import { afterEach, describe, expect, it, vi } from 'vitest';
import { WorkQueue } from './workqueue.js';

const queue = (overrides: Partial<ConstructorParameters<typeof WorkQueue>[0]> = {}) =>
  new WorkQueue({ backoff: { baseMs: 100, capMs: 1000, jitter: 0 }, retryQps: 1000, retryBurst: 1000, ...overrides });

describe('WorkQueue', () => {
  afterEach(() => { vi.useRealTimers(); });

  it('counts a key waiting for its time as delayed, not in the depth (client-go\'s workqueue_depth), until its time comes', () => {
    vi.useFakeTimers();
    const seen = { depth: 0, delayed: 0 };
    const q = queue({ metrics: { depth: (v) => { seen.depth = v; }, delayed: (v) => { seen.delayed = v; }, added: () => undefined, retried: () => undefined, waited: () => undefined, worked: () => undefined } });
    q.addAfter('ns/a', 1000);
    q.addAfter('ns/b', 2000);
    q.addAfter('ns/a', 5000); // a later add-after of a waiting key: the earlier one stands
    expect(seen).toEqual({ depth: 0, delayed: 2 });
    vi.advanceTimersByTime(1000);
    expect(seen).toEqual({ depth: 1, delayed: 1 });
    q.shutDown();
    expect(seen.delayed).toBe(0);
  });

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

  it('hands out keys of normal priority before low ones (a resync of every object waits behind a real change)', async () => {
    const q = queue();
    q.add('ns/resync-1', 'low');
    q.add('ns/resync-2', 'low');
    q.add('ns/changed');
    expect(await q.get()).toBe('ns/changed');
    expect(await q.get()).toBe('ns/resync-1');
    expect(await q.get()).toBe('ns/resync-2');
  });

  it('moves a waiting low key up when it is added again at normal priority, and hands it out once', async () => {
    const q = queue();
    q.add('ns/a', 'low');
    q.add('ns/b', 'low');
    q.add('ns/b');
    q.add('ns/b', 'low'); // a later low add does not move it back down
    expect(q.length).toBe(2);
    expect(await q.get()).toBe('ns/b');
    expect(await q.get()).toBe('ns/a');
    expect(q.length).toBe(0);
    q.add('ns/c', 'low');
    expect(await q.get()).toBe('ns/c'); // not ns/b again from where it was left behind
  });

  it('re-queues a key re-added during its reconcile at the priority it was re-added with', async () => {
    const q = queue();
    q.add('ns/a');
    const held = await q.get();
    q.add('ns/low', 'low');
    q.add('ns/a', 'low');
    q.add('ns/a'); // an event during the reconcile
    q.done(held ?? '');
    expect(await q.get()).toBe('ns/a');
    expect(await q.get()).toBe('ns/low');
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
