import type { Gaim } from '../api/v1alpha1/gaim.js';
import type { KubeObject } from '../kube/objects.js';
import { generatePassword } from './mongodb.js';
import { objectNames, ownedMeta } from './meta.js';
import { parseQuantity } from './quantity.js';
import { headlessService, statefulSet, type StoreTemplate } from './stateful-store.js';
import type { StoreSize } from './tiers.js';

export const REDIS_PORT = 6379;
export const RedisSecretKeys = { password: 'password' } as const;

/** Created once, never changed by the operator afterwards. */
export function redisSecret(gaim: Gaim): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: ownedMeta(gaim, objectNames(gaim).redisSecret, 'redis'),
    type: 'Opaque',
    stringData: { [RedisSecretKeys.password]: generatePassword() },
  };
}

/**
 * Redis's own memory limit, in MiB, for a container of `memory`: 70% of it. An AOF rewrite forks, and
 * the child's copy-on-write pages count against the same limit: at the container's full size, the
 * first rewrite under load is an OOM kill.
 */
export function redisMaxMemoryMiB(memory: string): number {
  return Math.floor(((parseQuantity(memory) ?? 2 ** 28) * 0.7) / 2 ** 20);
}

export function redisObjects(gaim: Gaim, size: StoreSize, existingClaimSize: string | undefined): KubeObject[] {
  const names = objectNames(gaim);
  const password = { secretKeyRef: { name: names.redisSecret, key: RedisSecretKeys.password } };
  const template: StoreTemplate = {
    component: 'redis',
    name: names.redis,
    port: REDIS_PORT,
    portName: 'redis',
    uid: 999, // the official image's redis user
    dataMountPath: '/data',
    size: { ...size, storage: gaim.spec.redis.storage ?? size.storage },
    existingClaimSize,
    container: {
      name: 'redis',
      image: gaim.spec.redis.image,
      imagePullPolicy: 'IfNotPresent',
      // $(REDIS_PASSWORD) is expanded by the kubelet from the Secret: the pod spec shows only the
      // reference, and redis-server overwrites its process title (argv) once started.
      // noeviction: a task queue must refuse writes when full, never drop queued tasks silently.
      args: ['--requirepass', '$(REDIS_PASSWORD)', '--appendonly', 'yes', '--appendfsync', 'everysec', '--dir', '/data', '--protected-mode', 'no',
        '--maxmemory', `${redisMaxMemoryMiB(size.memory)}mb`, '--maxmemory-policy', 'noeviction'],
      env: [
        { name: 'REDIS_PASSWORD', valueFrom: password },
        // redis-cli (the probe) reads its password from here: never on a command line.
        { name: 'REDISCLI_AUTH', valueFrom: password },
      ],
      readinessProbe: {
        exec: { command: ['sh', '-c', 'redis-cli ping | grep -q PONG'] },
        periodSeconds: 10,
        timeoutSeconds: 5,
        failureThreshold: 3,
      },
      livenessProbe: { tcpSocket: { port: REDIS_PORT }, periodSeconds: 20, timeoutSeconds: 5, failureThreshold: 6 },
    },
  };
  return [headlessService(gaim, template), statefulSet(gaim, template)];
}
