// Step 4 of the reconcile: seed every store that is ready and not yet seeded for the current spec.
// The seeders are the adapters (they make and close their clients); this module decides what to
// seed, in which order, and what the outcome means for status.
import type { Gaim, GaimStatus } from '../../api/v1alpha1/gaim.js';
import type { Settings } from '../../config/settings.js';
import type { Caches } from '../../controller/caches.js';
import type { ReconcileContext } from '../../controller/result.js';
import { asOperatorError, type OperatorError } from '../../errors.js';
import type { PlatformFirestore } from '../../firestore/client.js';
import { FirestoreUnavailableError } from '../../firestore/errors.js';
import type { KubeClient } from '../../kube/client.js';
import { Message } from '../../messages.js';
import { objectNames } from '../../resources/meta.js';
import { MongoSecretKeys } from '../../resources/mongodb.js';
import { REDIS_OPERATOR_USER, RedisSecretKeys } from '../../resources/redis.js';
import { seedFingerprint, storageFingerprint } from '../../resources/seed-job.js';
import { seedMongoDB } from '../../seeders/mongodb.js';
import { seedRedis } from '../../seeders/redis.js';
import type { SeedWarning, StoresReadiness } from '../../status/gaim-status.js';
import { SLOT_RECHECK_MS, type SeedSlots } from './seed-slots.js';
import { runSeedJob } from './seed-storage-job.js';
import { secretValues, type Credentials } from '../gaim/secrets.js';
import { storeAddress } from './store-address.js';
import type { StepResult } from '../gaim/step.js';

export type Seeded = NonNullable<GaimStatus['seeded']>;
type Store = keyof Seeded;

export interface SeedDeps {
  readonly caches: Caches;
  readonly client: KubeClient;
  readonly firestore: PlatformFirestore;
  readonly settings: Pick<Settings, 'overrides' | 'seedJob'>;
  readonly fieldManager: string;
  /** Seed Jobs in flight cluster-wide; without it, no limit. */
  readonly seedSlots?: SeedSlots;
}

export interface SeedOutcome extends StepResult {
  /** Fingerprints now seeded (carried into status.seeded). */
  readonly seeded: Seeded;
  /** Stores seeded in this reconcile. */
  readonly justSeeded: Store[];
  /** Stores still waiting: not ready yet, their Job still running, or Firestore unreachable. */
  readonly pending: Store[];
  /** Why some of them wait, where Kubernetes said (a seed Job's pod that cannot be created). */
  readonly details: string[];
  /** One error per failed store; the others were still seeded. */
  readonly errors: OperatorError[];
  /** Steps a store could not do, though it is seeded (reason and message for the Seeded condition). */
  readonly warnings: SeedWarning[];
  /** A retry is under way (a new seed Job runs after a failed one): not a success yet. */
  readonly retrying: boolean;
  /** The seed Job waits in line for a seed slot (it is woken when one frees). */
  readonly queued: boolean;
}

/** How often to look at a claim that stays Pending, or a seed Job that gets no pod: they change only in their events. */
export const SEED_RECHECK_MS = 15_000;

/**
 * When to look at the Gaim again for its seeding: soon while Kubernetes may say something new only in
 * events (a Pending claim, a Job without a pod), seldom while it waits in line for a seed slot (the
 * slot's freeing wakes it; the recheck only keeps its place), never once nothing waits.
 */
export function seedRecheckMs(claimPending: boolean, seeding: Pick<SeedOutcome, 'details' | 'queued'>): number {
  if (seeding.queued) return SLOT_RECHECK_MS;
  return claimPending || seeding.details.length > 0 ? SEED_RECHECK_MS : Infinity;
}

type Attempt = { readonly done: true; readonly warning?: SeedWarning }
  | { readonly done: false; readonly detail?: string; readonly retry?: boolean; readonly queued?: boolean };

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
 * The LanceDB seed Job starts as soon as its claim exists: under WaitForFirstConsumer the claim
 * binds only when the Job's pod is scheduled.
 */
export async function seedStores(gaim: Gaim, stores: StoresReadiness, credentials: Credentials, deps: SeedDeps, context: ReconcileContext): Promise<SeedOutcome> {
  const outcome: { -readonly [K in keyof SeedOutcome]: SeedOutcome[K] } = {
    seeded: { ...gaim.status?.seeded }, justSeeded: [], pending: [], details: [], errors: [], warnings: [], retrying: false, queued: false,
  };
  const fingerprints = seedFingerprints(gaim);
  const ready = (r: StoresReadiness[keyof StoresReadiness]) => r !== 'disabled' && r.ready;

  const attempt = async (store: Store, canStart: boolean, seed: () => Promise<Attempt>) => {
    if (outcome.seeded[store] === fingerprints[store]) return;
    if (!canStart) {
      outcome.pending.push(store);
      return;
    }
    try {
      const result = await seed();
      if (result.done) {
        outcome.seeded[store] = fingerprints[store];
        outcome.justSeeded.push(store);
        if (result.warning !== undefined) outcome.warnings.push(result.warning);
        context.log.info({ store, fingerprint: fingerprints[store] }, 'seeded');
        return;
      }
      outcome.pending.push(store);
      if (result.detail !== undefined) outcome.details.push(result.detail);
      if (result.retry === true) outcome.retrying = true;
      if (result.queued === true) outcome.queued = true;
    } catch (error: unknown) {
      if (error instanceof FirestoreUnavailableError) {
        // Firestore unreachable: the platform side waits; Kubernetes-side convergence goes on.
        context.log.warn({ store, error: error.message }, 'cannot seed yet; will retry');
        outcome.pending.push(store);
        return;
      }
      outcome.errors.push(asOperatorError(error, store, context.signal));
    }
  };

  await attempt('firestore', true, async () => {
    await deps.firestore.seedConfig(gaim.spec.gaimId, gaim.spec.environments, gaim.spec.config, context.signal);
    return { done: true };
  });
  if (gaim.spec.mongodb.enabled) await attempt('mongodb', ready(stores.mongodb), () => seedMongo(gaim, credentials, deps, context));
  if (gaim.spec.redis.enabled) await attempt('redis', ready(stores.redis), () => seedRedisStore(gaim, credentials, deps, context));
  const claimUsable = !['Creating', 'ClaimLost'].includes(stores.storage.reason);
  if (outcome.seeded.storage === fingerprints.storage) deps.seedSlots?.forget(`${gaim.metadata.namespace}/${gaim.metadata.name}`);
  await attempt('storage', claimUsable, async () => {
    const progress = await runSeedJob(gaim, fingerprints.storage, { ...deps, seedJob: deps.settings.seedJob }, context);
    if (progress.state === 'done') return { done: true };
    const { detail, retry, queued } = progress;
    return { done: false, ...(detail === undefined ? {} : { detail }), ...(retry === true ? { retry } : {}), ...(queued === true ? { queued } : {}) };
  });
  const recheckAfterMs = seedRecheckMs(stores.storage.reason === 'ClaimPending', outcome);
  return Number.isFinite(recheckAfterMs) ? { ...outcome, recheckAfterMs } : outcome;
}

async function seedMongo(gaim: Gaim, credentials: Credentials, deps: SeedDeps, context: ReconcileContext): Promise<Attempt> {
  const keys = [MongoSecretKeys.rootUsername, MongoSecretKeys.rootPassword, MongoSecretKeys.appUsername, MongoSecretKeys.appPassword] as const;
  const secret = secretValues(credentials, objectNames(gaim).mongodbSecret, keys);
  const report = await seedMongoDB(
    { address: await storeAddress(gaim, 'mongodb', deps.settings.overrides), username: secret[MongoSecretKeys.rootUsername], password: secret[MongoSecretKeys.rootPassword] },
    gaim.spec.environments,
    { username: secret[MongoSecretKeys.appUsername], password: secret[MongoSecretKeys.appPassword] },
    context.signal,
  );
  for (const note of report.notes) context.log.warn({ store: 'mongodb' }, note);
  if (report.appUser !== 'unsupported') return { done: true };
  // Never silently Synced: the data is seeded, but the published app credentials do not work.
  const message = `${Message.createAppUser(secret[MongoSecretKeys.appUsername])}: the MongoDB server cannot create users with roles `
    + '(FerretDB and some managed MongoDB-compatible services cannot); apps must log in with credentials made another way';
  context.log.warn({ store: 'mongodb' }, message);
  return { done: true, warning: { store: 'mongodb', reason: 'AppUserUnsupported', message } };
}

async function seedRedisStore(gaim: Gaim, credentials: Credentials, deps: SeedDeps, context: ReconcileContext): Promise<Attempt> {
  const secret = secretValues(credentials, objectNames(gaim).redisSecret, [RedisSecretKeys.operatorPassword]);
  await seedRedis({ address: await storeAddress(gaim, 'redis', deps.settings.overrides), username: REDIS_OPERATOR_USER, password: secret[RedisSecretKeys.operatorPassword] },
    gaim.spec.environments, context.signal);
  return { done: true };
}
