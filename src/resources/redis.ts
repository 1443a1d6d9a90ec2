import type { Gaim } from '../api/v1alpha1/gaim.js';
import type { KubeObject } from '../kube/objects.js';
import { generatePassword } from './mongodb.js';
import { objectNames, ownedMeta } from './meta.js';
import { parseQuantity } from './quantity.js';
import { headlessService, statefulSet, type StoreTemplate } from './stateful-store.js';
import type { StoreSize } from './tiers.js';

export const REDIS_PORT = 6379;
/**
 * Keys of the Redis credentials Secret. Apps use `password` (Redis's `default` user, so a plain AUTH
 * works); the operator and the probe have a user of their own, so rotating the apps' password never
 * locks out the operator doing it, nor fails a running pod's probe. The pending and previous
 * passwords exist only during a rotation (see resources/rotation.ts). `grace-password` is the second
 * password the server is started with: the previous one during a rotation's grace period, the current
 * one otherwise — so a pod restarted mid-grace (a node upgrade) accepts both without the operator.
 * It is always there: a `$(VAR)` of an optional key that is missing stays as written, and would be a
 * password anyone can read in the pod spec.
 */
export const RedisSecretKeys = {
  password: 'password',
  operatorPassword: 'operator-password',
  gracePassword: 'grace-password',
  pendingPassword: 'pending-password',
  previousPassword: 'previous-password',
} as const;

/** The apps' Redis user (AUTH with a password alone) and the operator's own. */
export const REDIS_APP_USER = 'default';
export const REDIS_OPERATOR_USER = 'gaim-operator';

/** Created once; afterwards the operator only adds a missing operator password and rotates on request. */
export function redisSecret(gaim: Gaim): KubeObject {
  const password = generatePassword();
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: ownedMeta(gaim, objectNames(gaim).redisSecret, 'redis'),
    type: 'Opaque',
    stringData: { [RedisSecretKeys.password]: password, [RedisSecretKeys.gracePassword]: password, [RedisSecretKeys.operatorPassword]: generatePassword() },
  };
}

/**
 * What an existing Redis Secret needs added or mended, with the values (an older operator wrote
 * neither `operator-password` nor `grace-password`): the grace password is the previous one while a
 * grace period runs, else the current one. Rotation keeps it so; this mends a Secret left otherwise.
 */
export function redisKeysToComplete(data: Readonly<Record<string, string>>): Record<string, string> {
  const value = (key: string) => (data[key] ?? '') === '' ? undefined : data[key];
  const grace = value(RedisSecretKeys.previousPassword) ?? value(RedisSecretKeys.password);
  return {
    ...(value(RedisSecretKeys.operatorPassword) === undefined ? { [RedisSecretKeys.operatorPassword]: generatePassword() } : {}),
    ...(grace === undefined || value(RedisSecretKeys.gracePassword) === grace ? {} : { [RedisSecretKeys.gracePassword]: grace }),
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

export function redisObjects(gaim: Gaim, size: StoreSize, existingClaimSize: string | undefined, image: string): KubeObject[] {
  const names = objectNames(gaim);
  const secretRef = (key: string) => ({ secretKeyRef: { name: names.redisSecret, key } });
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
      image,
      imagePullPolicy: 'IfNotPresent',
      // $(VAR) is expanded by the kubelet from the Secret: the pod spec shows only the reference, and
      // redis-server overwrites its process title (argv) once started. The apps' user may do anything
      // but administer the server (ACL, CONFIG, SHUTDOWN…): it cannot lock the operator out.
      // noeviction: a task queue must refuse writes when full, never drop queued tasks silently.
      // Two passwords: the current one and the grace one (the same outside a rotation's grace period;
      // Redis keeps a password once however often it is given).
      args: ['--user', REDIS_APP_USER, 'on', '>$(REDIS_PASSWORD)', '>$(REDIS_GRACE_PASSWORD)', '~*', '&*', '+@all', '-@admin',
        '--user', REDIS_OPERATOR_USER, 'on', '>$(REDIS_OPERATOR_PASSWORD)', '~*', '&*', '+@all',
        '--appendonly', 'yes', '--appendfsync', 'everysec', '--dir', '/data', '--protected-mode', 'no',
        '--maxmemory', `${redisMaxMemoryMiB(size.memory)}mb`, '--maxmemory-policy', 'noeviction'],
      env: [
        { name: 'REDIS_PASSWORD', valueFrom: secretRef(RedisSecretKeys.password) },
        { name: 'REDIS_GRACE_PASSWORD', valueFrom: secretRef(RedisSecretKeys.gracePassword) },
        { name: 'REDIS_OPERATOR_PASSWORD', valueFrom: secretRef(RedisSecretKeys.operatorPassword) },
        // redis-cli (the probe) reads its password from here: never on a command line. The operator's
        // user, whose password a rotation of the apps' never changes.
        { name: 'REDISCLI_AUTH', valueFrom: secretRef(RedisSecretKeys.operatorPassword) },
      ],
      readinessProbe: {
        exec: { command: ['sh', '-c', `redis-cli --user ${REDIS_OPERATOR_USER} ping | grep -q PONG`] },
        periodSeconds: 10,
        timeoutSeconds: 5,
        failureThreshold: 3,
      },
      livenessProbe: { tcpSocket: { port: REDIS_PORT }, periodSeconds: 20, timeoutSeconds: 5, failureThreshold: 6 },
    },
  };
  return [headlessService(gaim, template), statefulSet(gaim, template)];
}
