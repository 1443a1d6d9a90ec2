import type { Firestore } from '@google-cloud/firestore';
import { Redis } from 'ioredis';
import { MongoClient } from 'mongodb';
import type { Gaim, GaimStatus } from '../api/v1alpha1/gaim.js';
import type { Settings } from '../config/settings.js';
import type { Caches } from '../controller/manager.js';
import type { ReconcileContext } from '../controller/result.js';
import { OperatorError } from '../errors.js';
import type { FirestoreBreaker } from '../firestore/breaker.js';
import type { KubeClient } from '../kube/client.js';
import { isNotFound } from '../kube/errors.js';
import type { KubeObject } from '../kube/objects.js';
import { Resources } from '../kube/resources.js';
import { serviceHost } from '../resources/connections.js';
import { objectNames } from '../resources/meta.js';
import { MONGODB_PORT, MongoSecretKeys } from '../resources/mongodb.js';
import type { StoresReadiness } from '../status/gaim-status.js';
import { REDIS_PORT, RedisSecretKeys } from '../resources/redis.js';
import { seedFingerprint, seedJobName, seedStorageJob, storageFingerprint } from '../resources/seed-job.js';
import { seedFirestoreConfig } from '../seeders/firestore-config.js';
import { seedMongoDB } from '../seeders/mongodb.js';
import { seedRedis } from '../seeders/redis.js';

export type Seeded = NonNullable<GaimStatus['seeded']>;
type Store = keyof Seeded;

export interface SeedDeps {
  readonly caches: Caches;
  readonly client: KubeClient;
  readonly firestore: Firestore;
  readonly settings: Pick<Settings, 'overrides' | 'seedJob'>;
  readonly fieldManager: string;
  readonly breaker: FirestoreBreaker;
}

export interface SeedOutcome {
  /** Fingerprints now seeded (carried into status.seeded). */
  readonly seeded: Seeded;
  /** Stores still waiting: not ready yet, or their Job still running. */
  readonly pending: Store[];
  /** One error per failed store; the others were still seeded. */
  readonly errors: OperatorError[];
  /** Stores this Gaim seeds (enabled ones). */
  readonly wanted: Store[];
}

const envs = (gaim: Gaim) => [...gaim.spec.environments].sort();

/**
 * Seeds every store that is ready and not yet seeded for the current spec (its fingerprint differs
 * from status.seeded). Each store is seeded on its own: one failing does not stop the others. All
 * seeders are create-if-absent, so a repeated or interrupted seed changes nothing that exists.
 */
export async function seedStores(gaim: Gaim, ready: StoresReadiness, deps: SeedDeps, context: ReconcileContext): Promise<SeedOutcome> {
  const seeded: Seeded = { ...gaim.status?.seeded };
  const pending: Store[] = [];
  const errors: OperatorError[] = [];
  const wanted: Store[] = ['firestore', 'storage'];
  const fingerprints: Record<Store, string> = {
    firestore: seedFingerprint({ environments: envs(gaim), gaimId: gaim.spec.gaimId }),
    mongodb: seedFingerprint({ environments: envs(gaim) }),
    redis: seedFingerprint({ environments: envs(gaim) }),
    storage: storageFingerprint(gaim),
  };

  const attempt = async (store: Store, isReady: boolean, seed: () => Promise<boolean>) => {
    if (seeded[store] === fingerprints[store]) return;
    if (!isReady) {
      pending.push(store);
      return;
    }
    try {
      if (await seed()) {
        seeded[store] = fingerprints[store];
        context.log.info({ store, fingerprint: fingerprints[store] }, 'seeded');
      } else {
        pending.push(store);
      }
    } catch (error: unknown) {
      const operatorError = error instanceof OperatorError ? error : new OperatorError(store, String(error), { cause: error });
      if (store === 'firestore' && operatorError.errorType === 'firestore') {
        // Firestore unreachable: the platform side waits; Kubernetes-side convergence goes on.
        context.log.warn({ store, error: operatorError.message }, 'cannot seed yet; will retry');
        pending.push(store);
        return;
      }
      errors.push(operatorError);
    }
  };

  await attempt('firestore', true, async () => {
    await deps.breaker.run(() => seedFirestoreConfig(deps.firestore, gaim.spec.gaimId, gaim.spec.environments, gaim.spec.config));
    return true;
  });
  if (gaim.spec.mongodb.enabled) {
    wanted.push('mongodb');
    await attempt('mongodb', ready.mongodb !== 'disabled' && ready.mongodb.ready, () => seedMongo(gaim, deps, context));
  }
  if (gaim.spec.redis.enabled) {
    wanted.push('redis');
    await attempt('redis', ready.redis !== 'disabled' && ready.redis.ready, () => seedRedisStore(gaim, deps));
  }
  await attempt('storage', ready.storage.ready, () => runSeedJob(gaim, fingerprints.storage, deps, context));
  return { seeded, pending, errors, wanted };
}

/** A Secret's value: from the cache when the Secret carries the operator's labels, else read once. */
async function secretValue(gaim: Gaim, deps: SeedDeps, name: string, key: string, signal: AbortSignal): Promise<string> {
  let secret = deps.caches.get<KubeObject & { data?: Record<string, string> }>(Resources.secret, `${gaim.metadata.namespace}/${name}`);
  if (secret === undefined) {
    try {
      secret = await deps.client.get(Resources.secret, name, gaim.metadata.namespace, signal);
    } catch (error: unknown) {
      if (isNotFound(error)) throw new OperatorError('kubernetes', `cannot read secret ${name}: it does not exist`);
      throw error;
    }
  }
  const value = secret.data?.[key];
  if (value === undefined) throw new OperatorError('kubernetes', `cannot read secret ${name}: it has no key ${key}`);
  return Buffer.from(value, 'base64').toString('utf8');
}

async function seedMongo(gaim: Gaim, deps: SeedDeps, context: ReconcileContext): Promise<boolean> {
  const names = objectNames(gaim);
  const read = (key: string) => secretValue(gaim, deps, names.mongodbSecret, key, context.signal);
  const [user, password, appUser, appPassword] = await Promise.all([
    read(MongoSecretKeys.rootUsername), read(MongoSecretKeys.rootPassword), read(MongoSecretKeys.appUsername), read(MongoSecretKeys.appPassword),
  ]);
  const address = deps.settings.overrides.mongodb ?? `${serviceHost(gaim, names.mongodb)}:${MONGODB_PORT}`;
  const client = new MongoClient(`mongodb://${address}/`, {
    auth: { username: user, password },
    authSource: 'admin',
    serverSelectionTimeoutMS: 10_000,
    connectTimeoutMS: 10_000,
    directConnection: true,
  });
  try {
    const report = await seedMongoDB(client, gaim.spec.environments, { username: appUser, password: appPassword });
    for (const note of report.notes) context.log.warn({ store: 'mongodb' }, note);
    if (report.appUser === 'unsupported') context.log.warn({ store: 'mongodb' }, 'the server cannot create users with roles (FerretDB?); app user not created');
    return true;
  } catch (error: unknown) {
    throw error instanceof OperatorError ? error : new OperatorError('mongodb', `cannot seed mongodb: ${String(error)}`, { cause: error });
  } finally {
    await client.close();
  }
}

async function seedRedisStore(gaim: Gaim, deps: SeedDeps): Promise<boolean> {
  const names = objectNames(gaim);
  const password = await secretValue(gaim, deps, names.redisSecret, RedisSecretKeys.password, AbortSignal.timeout(10_000));
  const [host, port] = (deps.settings.overrides.redis ?? `${serviceHost(gaim, names.redis)}:${REDIS_PORT}`).split(':');
  const redis = new Redis({
    host: host ?? '', port: Number(port), password, lazyConnect: true, connectTimeout: 10_000,
    maxRetriesPerRequest: 1, retryStrategy: () => null, enableOfflineQueue: false,
  });
  redis.on('error', () => undefined); // failures surface through the commands' rejections
  try {
    await redis.connect();
    await seedRedis(redis, gaim.spec.environments);
    return true;
  } catch (error: unknown) {
    throw error instanceof OperatorError ? error : new OperatorError('redis', `cannot seed redis: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  } finally {
    redis.disconnect();
  }
}

interface JobLike extends KubeObject {
  status?: { conditions?: { type: string; status: string; reason?: string; message?: string }[] };
}

/** Creates the seed Job for this fingerprint if needed; true once it completed. */
async function runSeedJob(gaim: Gaim, fingerprint: string, deps: SeedDeps, context: ReconcileContext): Promise<boolean> {
  const name = seedJobName(gaim, fingerprint);
  const job = deps.caches.get<JobLike>(Resources.job, `${gaim.metadata.namespace}/${name}`);
  if (job === undefined) {
    const desired = seedStorageJob(gaim, fingerprint, deps.settings.seedJob.image, deps.settings.seedJob);
    await deps.client.apply(Resources.job, desired, { fieldManager: deps.fieldManager, signal: context.signal });
    context.log.info({ job: name }, 'started the seed-storage job');
    return false;
  }
  const condition = (type: string) => job.status?.conditions?.find((c) => c.type === type && c.status === 'True');
  if (condition('Complete') !== undefined) return true;
  const failed = condition('Failed');
  if (failed === undefined) return false;
  const detail = await podFailure(gaim, name, deps, context.signal);
  throw new OperatorError('storage', `seed-storage job ${name} failed: ${detail ?? failed.message ?? failed.reason ?? 'no reason given'}`);
}

/** The termination message of a failed seed pod: what seed-storage said went wrong. */
async function podFailure(gaim: Gaim, jobName: string, deps: SeedDeps, signal: AbortSignal): Promise<string | undefined> {
  const pods = await deps.client.list<KubeObject & { status?: { containerStatuses?: { state?: { terminated?: { message?: string; exitCode?: number } } }[] } }>(
    Resources.pod, { namespace: gaim.metadata.namespace, labelSelector: `job-name=${jobName}`, signal });
  for (const pod of pods.items.reverse()) {
    const terminated = pod.status?.containerStatuses?.[0]?.state?.terminated;
    if (terminated?.message !== undefined && terminated.message !== '') return terminated.message.trim();
  }
  return undefined;
}
