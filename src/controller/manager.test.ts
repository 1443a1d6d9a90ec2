import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../kube/objects.js';
import { eventPriority, wakesOnUpdate } from './manager.js';
import { WorkQueue } from './workqueue.js';

const gaim = (generation: number, resourceVersion: string, status: Record<string, unknown>, annotations: Record<string, string> = {}): KubeObject =>
  ({ metadata: { name: 'a', namespace: 'ns', generation, resourceVersion, annotations }, status });

describe('which updates of its own objects wake a controller', () => {
  it('a spec or metadata change does; a status-only change does not', () => {
    expect(wakesOnUpdate(gaim(1, '1', {}), gaim(2, '2', {}), false)).toBe(true);
    expect(wakesOnUpdate(gaim(1, '1', {}), gaim(1, '2', {}, { 'gaim.livingcontent.io/retry-now': 'x' }), false)).toBe(true);
    expect(wakesOnUpdate(gaim(1, '1', { syncStatus: 'Synced' }), gaim(1, '2', { syncStatus: 'Progressing' }), false)).toBe(false);
  });

  it('a status-only change does when a reconcile waits for the cache to show its write', () => {
    expect(wakesOnUpdate(gaim(1, '1', { syncStatus: 'Synced' }), gaim(1, '2', { syncStatus: 'Progressing' }), true)).toBe(true);
  });
});

describe('the priority of a change', () => {
  it('is low before the workers run (the first list, a standby), so a change once they run goes first', async () => {
    const queue = new WorkQueue({ backoff: { baseMs: 100, capMs: 1000, jitter: 0 }, retryQps: 1000, retryBurst: 1000 });
    for (const name of ['a', 'b', 'c']) queue.add(`ns/${name}`, eventPriority(false)); // heard before leading
    queue.add('ns/changed', eventPriority(true));
    expect(await queue.get()).toBe('ns/changed');
    expect(await queue.get()).toBe('ns/a');
  });
});
