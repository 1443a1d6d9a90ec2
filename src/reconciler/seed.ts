// Step 4 of the reconcile: seed every store that is ready and not yet seeded for the current spec.
// The seeders are the adapters (they make and close their clients); this module decides what to
// seed, in which order, and what the outcome means for status.
import type { Gaim, GaimStatus } from '../api/v1alpha1/gaim.js';
import type { Settings } from '../config/settings.js';
import type { Caches } from '../controller/manager.js';
import type { ReconcileContext } from '../controller/result.js';
import { asOperatorError, type OperatorError } from '../errors.js';
import type { PlatformFirestore } from '../firestore/client.js';
import { FirestoreUnavailableError } from '../firestore/errors.js';
import type { KubeClient } from '../kube/client.js';
import { objectNames } from '../resources/meta.js';
import { MongoSecretKeys } from '../resources/mongodb.js';
import { RedisSecretKeys } from '../resources/redis.js';
import { seedFingerprint, storageFingerprint } from '../resources/seed-job.js';
import { seedMongoDB } from '../seeders/mongodb.js';
import { seedRedis } from '../seeders/redis.js';
import type { StoresReadiness } from '../status/gaim-status.js';
import { runSeedJob } from './seed-storage-job.js';
import { secretValues } from './secrets.js';
import { storeAddress } from './store-address.js';

export type Seeded = NonNullable<GaimStatus['seeded']>;
type Store = keyof Seeded;

export interface SeedDeps {
  readonly caches: Caches;
  readonly client: KubeClient;
  readonly firestore: PlatformFirestore;
  readonly settings: Pick<Settings, 'overrides' | 'seedJob'>;
  readonly fieldManager: string;
}

export interface SeedOutcome {
  /** Fingerprints now seeded (carried into status.seeded). */
  readonly seeded: Seeded;
  /** Stores still waiting: not ready yet, their Job still running, or Firestore unreachable. */
  readonly pending: Store[];
  /** One error per failed store; the others were still seeded. */
  readonly errors: OperatorError[];
}

const sortedEnvironments = (gaim: Gaim) => [...gaim.spec.environments].sort();

/** What each store is seeded for: a changed fingerprint (an added environment) seeds it again. */
export function seedFingerprints(gaim: Gaim): Record<Store, string> {
  return {
    firestore: seedFingerprint({ environments: sortedEnvironments(gaim), gaimId: gaim.spec.gaimId }),
    mongodb: seedFingerprint({ environments: sortedEnvironments(gaim) }),
    redis: seedFingerprint({ environments: sortedEnvironments(gaim) }),
    storage: storageFingerprint(gaim),
  };
}

/**
 * Seeds every store that is ready and not yet seeded for the current spec (its fingerprint differs
 * from status.seeded). Each store is seeded on its own: one failing does not stop the others. All
 * seeders are create-if-absent, so a repeated or interrupted seed changes nothing that exists.
 */
export async function seedStores(gaim: Gaim, stores: StoresReadiness, deps: SeedDeps, context: ReconcileContext): Promise<SeedOutcome> {
  const seeded: Seeded = { ...gaim.status?.seeded };
  const pending: Store[] = [];
  const errors: OperatorError[] = [];
  const fingerprints = seedFingerprints(gaim);
  const ready = (r: StoresReadiness[keyof StoresReadiness]) => r !== 'disabled' && r.ready;

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
      if (error instanceof FirestoreUnavailableError) {
        // Firestore unreachable: the platform side waits; Kubernetes-side convergence goes on.
        context.log.warn({ store, error: error.message }, 'cannot seed yet; will retry');
        pending.push(store);
        return;
      }
      errors.push(asOperatorError(error, store, context.signal));
    }
  };

  await attempt('firestore', true, async () => {
    await deps.firestore.seedConfig(gaim.spec.gaimId, gaim.spec.environments, gaim.spec.config, context.signal);
    return true;
  });
  if (gaim.spec.mongodb.enabled) await attempt('mongodb', ready(stores.mongodb), () => seedMongo(gaim, deps, context));
  if (gaim.spec.redis.enabled) await attempt('redis', ready(stores.redis), () => seedRedisStore(gaim, deps, context));
  await attempt('storage', stores.storage.ready, () => runSeedJob(gaim, fingerprints.storage, { ...deps, seedJob: deps.settings.seedJob }, context));
  return { seeded, pending, errors };
}

async function seedMongo(gaim: Gaim, deps: SeedDeps, context: ReconcileContext): Promise<boolean> {
  const keys = [MongoSecretKeys.rootUsername, MongoSecretKeys.rootPassword, MongoSecretKeys.appUsername, MongoSecretKeys.appPassword] as const;
  const secret = await secretValues(gaim, objectNames(gaim).mongodbSecret, keys, deps, context.signal);
  const report = await seedMongoDB(
    { address: storeAddress(gaim, 'mongodb', deps.settings.overrides), username: secret[MongoSecretKeys.rootUsername], password: secret[MongoSecretKeys.rootPassword] },
    gaim.spec.environments,
    { username: secret[MongoSecretKeys.appUsername], password: secret[MongoSecretKeys.appPassword] },
    context.signal,
  );
  for (const note of report.notes) context.log.warn({ store: 'mongodb' }, note);
  if (report.appUser === 'unsupported') context.log.warn({ store: 'mongodb' }, 'the server cannot create users with roles (FerretDB?); app user not created');
  return true;
}

async function seedRedisStore(gaim: Gaim, deps: SeedDeps, context: ReconcileContext): Promise<boolean> {
  const secret = await secretValues(gaim, objectNames(gaim).redisSecret, [RedisSecretKeys.password], deps, context.signal);
  await seedRedis({ address: storeAddress(gaim, 'redis', deps.settings.overrides), password: secret[RedisSecretKeys.password] }, gaim.spec.environments, context.signal);
  return true;
}
