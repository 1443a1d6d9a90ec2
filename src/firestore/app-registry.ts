import type { Firestore } from '@google-cloud/firestore';
import type { Logger } from 'pino';
import type { Tier } from '../api/v1alpha1/gaim.js';
import { firestorePaths } from '../datamodel.js';
import { OperatorError } from '../errors.js';
import { FirestoreBreaker } from './breaker.js';
import { FIRESTORE_DEADLINE_MS, withDeadline } from './deadline.js';
import { AppRegistrySchema, BUILT_IN_TIERS, tierSizes, type AppRegistryEntry, type StoreApp, type TierSizes } from '../resources/tiers.js';

const APPS: readonly StoreApp[] = ['mongodb', 'redis'];

/**
 * Tier sizes from the app registry (tenant_manager/config/apps/{app}.tier_defaults), read at most
 * once per `ttlMs` for all Gaims. An app without a document uses the built-in sizes. A malformed
 * document is an error of type `firestore` naming the document and field (retried, never a crash).
 * When Firestore cannot be reached, the last sizes read are used, or the built-in ones, so an
 * outage never stalls the Kubernetes side.
 */
export class AppRegistry {
  #entries: Partial<Record<StoreApp, AppRegistryEntry>> | undefined;
  #readAt = 0;
  #reading: Promise<Partial<Record<StoreApp, AppRegistryEntry>>> | undefined;

  constructor(private readonly firestore: Firestore | undefined, private readonly log: Logger, private readonly breaker = new FirestoreBreaker(), private readonly ttlMs = 60_000) {}

  async sizes(tier: Tier): Promise<TierSizes> {
    if (this.firestore === undefined) return BUILT_IN_TIERS[tier];
    return tierSizes(tier, await this.#entries_());
  }

  async #entries_(): Promise<Partial<Record<StoreApp, AppRegistryEntry>>> {
    if (this.#entries !== undefined && Date.now() - this.#readAt < this.ttlMs) return this.#entries;
    this.#reading ??= this.#read().finally(() => { this.#reading = undefined; });
    return this.#reading;
  }

  async #read(): Promise<Partial<Record<StoreApp, AppRegistryEntry>>> {
    const firestore = this.firestore;
    if (firestore === undefined) return {};
    let snapshots;
    try {
      snapshots = await this.breaker.run(async () => {
        try {
          return await withDeadline(firestore.getAll(...APPS.map((app) => firestore.doc(firestorePaths.app(app)))), FIRESTORE_DEADLINE_MS, 'read the app registry');
        } catch (error: unknown) {
          throw new OperatorError('firestore', `cannot read the app registry: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
        }
      });
    } catch (error: unknown) {
      this.log.warn({ err: error }, 'cannot read the app registry; using the last sizes read or the built-in ones');
      // Do not ask again for every Gaim during an outage: try again after the TTL.
      this.#entries ??= {};
      this.#readAt = Date.now();
      return this.#entries;
    }
    const entries: Partial<Record<StoreApp, AppRegistryEntry>> = {};
    for (const [index, snapshot] of snapshots.entries()) {
      const app = APPS[index];
      if (app === undefined || !snapshot.exists) continue;
      const parsed = AppRegistrySchema.safeParse(snapshot.data());
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new OperatorError('firestore', `malformed app registry document ${firestorePaths.app(app)}: ${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`);
      }
      entries[app] = parsed.data;
    }
    this.#entries = entries;
    this.#readAt = Date.now();
    return entries;
  }
}
