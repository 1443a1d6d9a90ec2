import type { Gaim } from '../api/v1alpha1/gaim.js';
import type { KubeObject } from '../kube/objects.js';
import { generatePassword } from './mongodb.js';
import { objectNames, ownedMeta } from './meta.js';
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

export function redisObjects(gaim: Gaim, size: StoreSize, existingClaimSize: string | undefined): KubeObject[] {
  const names = objectNames(gaim);
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
      // $(REDIS_PASSWORD) is expanded by the kubelet from the Secret; the pod spec shows only the reference.
      args: ['--requirepass', '$(REDIS_PASSWORD)', '--appendonly', 'yes', '--appendfsync', 'everysec', '--dir', '/data', '--protected-mode', 'no'],
      env: [{ name: 'REDIS_PASSWORD', valueFrom: { secretKeyRef: { name: names.redisSecret, key: RedisSecretKeys.password } } }],
      readinessProbe: {
        exec: { command: ['sh', '-c', 'redis-cli -a "$REDIS_PASSWORD" --no-auth-warning ping | grep -q PONG'] },
        periodSeconds: 10,
        timeoutSeconds: 5,
        failureThreshold: 3,
      },
      livenessProbe: { tcpSocket: { port: REDIS_PORT }, periodSeconds: 20, timeoutSeconds: 5, failureThreshold: 6 },
    },
  };
  return [headlessService(gaim, template), statefulSet(gaim, template)];
}
