import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../kube/objects.js';
import { wakesOnUpdate } from './manager.js';

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
