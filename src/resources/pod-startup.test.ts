import { describe, expect, it } from 'vitest';
import { containerSays, duration, startupVerdict, type PodView } from './pod-startup.js';

const NOW = new Date('2026-12-01T10:00:00Z');
const createdAgo = (seconds: number) => new Date(NOW.getTime() - seconds * 1000).toISOString();
const pod = (ageSeconds: number, status: PodView['status'] = {}): PodView => ({ metadata: { name: 'marvin-redis-0', creationTimestamp: createdAgo(ageSeconds) }, status });
const pulling = { phase: 'Pending', containerStatuses: [{ ready: false, restartCount: 0, state: { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "registry.invalid/redis:7"' } } }] };

describe('startupVerdict', () => {
  it.each<[string, PodView, number, ReturnType<typeof startupVerdict>['state']]>([
    ['a ready pod, however old', pod(9999, { conditions: [{ type: 'Ready', status: 'True' }] }), 60, 'ready'],
    ['a young pod that cannot pull its image yet', pod(30, pulling), 60, 'starting'],
    ['within the budget plus one readiness period', pod(69, pulling), 60, 'starting'],
    ['past the budget plus one readiness period', pod(71, pulling), 60, 'stuck'],
    ['a crash-looping pod past its budget', pod(400, { phase: 'Running', containerStatuses: [{ ready: false, restartCount: 5, state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { exitCode: 1, reason: 'Error' } } }] }), 300, 'stuck'],
  ])('%s', (_name, p, budget, state) => { expect(startupVerdict(p, budget, NOW).state).toBe(state); });

  it('says how long is left while the pod starts', () => {
    expect(startupVerdict(pod(30, pulling), 60, NOW)).toEqual({ state: 'starting', remainingMs: 40_000 });
  });

  it('says what the kubelet says of the container', () => {
    const stuck = startupVerdict(pod(100, pulling), 60, NOW);
    expect(stuck).toEqual({ state: 'stuck', notReadyForSeconds: 100, why: 'ImagePullBackOff: Back-off pulling image "registry.invalid/redis:7"' });
    expect(containerSays(pod(0, { containerStatuses: [{ restartCount: 3, state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { exitCode: 137, reason: 'OOMKilled' } } }] })))
      .toBe('CrashLoopBackOff; last exit 137 (OOMKilled); restarted 3 times');
    expect(containerSays(pod(0, { phase: 'Running', containerStatuses: [{ state: {} }] }))).toBe('running, not ready (its readiness probe fails)');
    expect(containerSays(pod(0, { phase: 'Pending' }))).toBe('pod Pending');
  });

  it.each([[0, '0s'], [59, '59s'], [320, '5m20s'], [3600, '1h'], [3725, '1h2m5s']])('writes %i s as %s', (seconds, text) => {
    expect(duration(seconds)).toBe(text);
  });
});
