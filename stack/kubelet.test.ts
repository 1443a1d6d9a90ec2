// The stack's kubelet stand-in: the parts that turn a pod's spec into a process, as a kubelet would.
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { expand, killAll, mapMounts, preloadFor } from './kubelet.js';
import { pullError, registryHost } from './registry.js';

describe('the stack kubelet', () => {
  it('preloads only the command a container runs, or every command when its args name none it knows', () => {
    expect(preloadFor('prepare-share')).toEqual(['prepare-share']);
    expect(preloadFor('seed-storage')).toEqual(['seed-storage']);
    expect(preloadFor('--help')).toEqual(['seed-storage', 'prepare-share', 'maintain-storage']);
    expect(preloadFor(undefined)).toEqual(['seed-storage', 'prepare-share', 'maintain-storage']);
  });

  it('stops its running containers before the node\'s directory is removed, and returns once they are gone', async () => {
    const running = [spawn('sleep', ['30'], { stdio: ['ignore', 'pipe', 'pipe'] }), spawn('sleep', ['30'], { stdio: ['ignore', 'pipe', 'pipe'] })];
    await killAll(running);
    expect(running.map((child) => child.signalCode)).toEqual(['SIGKILL', 'SIGKILL']);
    expect(running.map((child) => child.stdout.closed)).toEqual([true, true]);
  });

  it('maps mount paths in arguments to the volumes\' directories, once, by the longest mount', () => {
    const container = { volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }, { name: 'lancedb', mountPath: '/data' }] };
    const dirs = new Map([['tmp', '/tmp/node/pods/p/tmp'], ['lancedb', '/tmp/node/volumes/ns/claim']]);
    expect(mapMounts(['seed-storage', '--root=/data', '--dir', '/data/stage', '/tmp/x', '--other=/database', 'data'], container, dirs))
      .toEqual(['seed-storage', '--root=/tmp/node/volumes/ns/claim', '--dir', '/tmp/node/volumes/ns/claim/stage', '/tmp/node/pods/p/tmp/x', '--other=/database', 'data']);
  });

  it('expands $(VAR) as the kubelet does: defined variables only, $$ as a literal $', () => {
    expect(expand(['--requirepass', '$(REDIS_PASSWORD)', '$(UNDEFINED)', '$$(REDIS_PASSWORD)', 'a$(A)b'], { REDIS_PASSWORD: 'pw', A: '1' }))
      .toEqual(['--requirepass', 'pw', '$(UNDEFINED)', '$(REDIS_PASSWORD)', 'a1b']);
  });

  it.each([
    ['redis:7.2.16@sha256:abc', 'registry-1.docker.io', true],
    ['library/redis:7.2', 'registry-1.docker.io', true],
    ['ghcr.io/livingcontent/gaim-operator:0.1.0', 'ghcr.io', true],
    ['localhost:5000/redis', 'localhost', true],
    ['registry.invalid/redis:7.2', 'registry.invalid', false],
    ['mirror.corp.invalid:5000/mongo:8.0', 'mirror.corp.invalid', false],
  ])('pulls %s from %s (pullable: %s), as a resolver would', (image, host, pullable) => {
    expect(registryHost(image)).toBe(host);
    expect(pullError(image) === undefined).toBe(pullable);
    if (!pullable) expect(pullError(image)).toContain(`lookup ${host}: no such host`);
  });
});
