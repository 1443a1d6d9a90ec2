import { randomBytes } from 'node:crypto';
import type { Gaim } from '../api/v1alpha1/gaim.js';
import { DEFAULT_STARTUP_BASE_SECONDS } from '../config/images.js';
import type { KubeObject } from '../kube/objects.js';
import { ownedMeta, objectNames } from './meta.js';
import { mongodbPingProbe } from './mongodb-probe.js';
import { parseQuantity } from './quantity.js';
import { headlessService, statefulSet, type StoreTemplate } from './stateful-store.js';
import type { StoreSize } from './tiers.js';

export const MONGODB_PORT = 27017;
/** Keys of the MongoDB credentials Secret. */
export const MongoSecretKeys = {
  rootUsername: 'root-username',
  rootPassword: 'root-password',
  appUsername: 'app-username',
  appPassword: 'app-password',
  /** During a rotation only (resources/rotation.ts): the app user being introduced, and the one leaving. */
  pendingUsername: 'pending-app-username',
  pendingPassword: 'pending-app-password',
  previousUsername: 'previous-app-username',
  previousPassword: 'previous-app-password',
} as const;

/** A fresh credential: 32 random bytes, URL-safe, so it needs no escaping in a connection string. */
export const generatePassword = (): string => randomBytes(32).toString('base64url');

/**
 * The credentials Secret, with newly generated passwords. Created once; afterwards the operator
 * changes only the app user, and only when asked to rotate it.
 */
export function mongodbSecret(gaim: Gaim): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: ownedMeta(gaim, objectNames(gaim).mongodbSecret, 'mongodb'),
    type: 'Opaque',
    stringData: {
      [MongoSecretKeys.rootUsername]: 'root',
      [MongoSecretKeys.rootPassword]: generatePassword(),
      [MongoSecretKeys.appUsername]: 'gaim-app',
      [MongoSecretKeys.appPassword]: generatePassword(),
    },
  };
}

const GIB = 2 ** 30;
const STARTUP_PERIOD_SECONDS = 10;

/**
 * WiredTiger's cache for a container of `memory`, by MongoDB's own rule: 50% of (RAM − 1 GiB), at
 * least 0.25 GB. mongod sizes it from the host's RAM unless told (older versions ignore the
 * container's limit), which gets a small pod OOM-killed under load.
 */
export function wiredTigerCacheGB(memory: string): number {
  const bytes = parseQuantity(memory) ?? GIB;
  return Math.max(0.25, Math.floor(((bytes - GIB) / GIB / 2) * 100) / 100);
}

/**
 * How long a store may take to start: mongod's crash recovery replays the journal and checks the
 * data files, Redis loads its append-only file, both longer on a larger volume. The base (five
 * minutes by default, GAIM_STORE_STARTUP_BASE_SECONDS), plus a minute per 10 GiB of volume, at most
 * four hours, in whole startup-probe periods. MongoDB's startup probe gives up after it, and a pod
 * not ready within it fails its store (reconciler/startup.ts).
 */
export function startupBudgetSeconds(volume: string, baseSeconds = DEFAULT_STARTUP_BASE_SECONDS): number {
  const gib = (parseQuantity(volume) ?? 10 * GIB) / GIB;
  const seconds = Math.min(4 * 3600, baseSeconds + Math.ceil(6 * gib));
  return Math.ceil(seconds / STARTUP_PERIOD_SECONDS) * STARTUP_PERIOD_SECONDS;
}


export function mongodbObjects(gaim: Gaim, size: StoreSize, existingClaimSize: string | undefined, image: string, startupBaseSeconds = DEFAULT_STARTUP_BASE_SECONDS): KubeObject[] {
  const names = objectNames(gaim);
  const secretRef = (key: string) => ({ secretKeyRef: { name: names.mongodbSecret, key } });
  const volume = existingClaimSize ?? gaim.spec.mongodb.storage ?? size.storage;
  const template: StoreTemplate = {
    component: 'mongodb',
    name: names.mongodb,
    port: MONGODB_PORT,
    portName: 'mongodb',
    uid: 999, // the official image's mongodb user
    dataMountPath: '/data/db',
    size: { ...size, storage: gaim.spec.mongodb.storage ?? size.storage },
    existingClaimSize,
    extraVolumes: [{ name: 'configdb', emptyDir: {} }],
    container: {
      name: 'mongodb',
      image,
      imagePullPolicy: 'IfNotPresent',
      args: ['--bind_ip_all', '--wiredTigerCacheSizeGB', String(wiredTigerCacheGB(size.memory))],
      env: [
        { name: 'MONGO_INITDB_ROOT_USERNAME', valueFrom: secretRef(MongoSecretKeys.rootUsername) },
        { name: 'MONGO_INITDB_ROOT_PASSWORD', valueFrom: secretRef(MongoSecretKeys.rootPassword) },
      ],
      volumeMounts: [{ name: 'configdb', mountPath: '/data/configdb' }],
      startupProbe: { tcpSocket: { port: MONGODB_PORT }, periodSeconds: STARTUP_PERIOD_SECONDS, failureThreshold: startupBudgetSeconds(volume, startupBaseSeconds) / STARTUP_PERIOD_SECONDS },
      readinessProbe: {
        exec: { command: mongodbPingProbe(MONGODB_PORT) },
        periodSeconds: 10,
        timeoutSeconds: 5,
        failureThreshold: 3,
      },
      livenessProbe: { tcpSocket: { port: MONGODB_PORT }, periodSeconds: 20, timeoutSeconds: 5, failureThreshold: 6 },
    },
  };
  return [headlessService(gaim, template), statefulSet(gaim, template)];
}
