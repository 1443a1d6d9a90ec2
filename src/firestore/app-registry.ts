import type { Firestore } from '@google-cloud/firestore';
import type { Tier } from '../api/v1alpha1/gaim.js';
import { firestorePaths } from '../datamodel.js';
import { OperatorError } from '../errors.js';
import { Message } from '../messages.js';
import type { Logger } from '../observability/logger.js';
import { AppRegistrySchema, BUILT_IN_TIERS, tierSizes, type AppRegistryEntry, type StoreApp, type TierSizes } from '../resources/tiers.js';
import { FirestoreBreaker } from './breaker.js';
import { withDeadline } from './deadline.js';
import { classifyFirestoreError } from './errors.js';

const APPS: readonly StoreApp[] = ['mongodb', 'redis'];
/** How soon unknown sizes are asked for again. */
const UNKNOWN_RETRY_MS = 5_000;
type Entries = Partial<Record<StoreApp, AppRegistryEntry>>;

/**
 * Tier sizes from the app registry (tenant_manager/config/apps/{app}.tier_defaults), read at most
 * once per `ttlMs` for all Gaims. An app without a document uses the built-in sizes. A malformed
 * document is an error of type `firestore` naming the document and field (retried, never a crash).
 * When Firestore cannot be reached, the last sizes read are used; before any read succeeded the sizes
 * are unknown (undefined), never the built-in ones: where the registry's differ, "defaults" would
 * restart every running store, and again once Firestore is back. The caller keeps running stores as
 * they are.
 */
export class AppRegistry {
  #entries: Entries | undefined;
  #readAt = 0;
  #reading: Promise<Entries | undefined> | undefined;

  /** `firestore` gives the client (loaded on first use); without one, the built-in sizes. */
  constructor(private readonly firestore: (() => Promise<Firestore>) | undefined, private readonly log: Logger, private readonly breaker = new FirestoreBreaker(), private readonly ttlMs = 60_000) {}

  /**
   * One read serves every Gaim waiting for it; a caller whose `signal` aborts stops waiting, the read
   * goes on. Undefined: unknown (Firestore has not been read yet and cannot be now).
   */
  async sizes(tier: Tier, signal?: AbortSignal): Promise<TierSizes | undefined> {
    if (this.firestore === undefined) return BUILT_IN_TIERS[tier];
    if (Date.now() - this.#readAt < this.ttlMs) return this.#entries === undefined ? undefined : tierSizes(tier, this.#entries);
    this.#reading ??= this.#read().finally(() => { this.#reading = undefined; });
    const entries = await withDeadline(this.#reading, Message.readRegistry, signal, Infinity);
    return entries === undefined ? undefined : tierSizes(tier, entries);
  }

  async #read(): Promise<Entries | undefined> {
    const client = this.firestore;
    if (client === undefined) return {};
    let snapshots;
    try {
      snapshots = await this.breaker.run(async () => {
        try {
          const firestore = await client();
          return await withDeadline(firestore.getAll(...APPS.map((app) => firestore.doc(firestorePaths.app(app)))), Message.readRegistry);
        } catch (error: unknown) {
          throw classifyFirestoreError(error, Message.readRegistry);
        }
      });
    } catch (error: unknown) {
      this.log.warn({ err: error, known: this.#entries !== undefined }, 'cannot read the app registry; using the last sizes read, or keeping running stores as they are');
      // Do not ask again for every Gaim during an outage: try again after the TTL (sooner while the
      // sizes are unknown: new stores wait on them).
      this.#readAt = Date.now() - (this.#entries === undefined ? Math.max(0, this.ttlMs - UNKNOWN_RETRY_MS) : 0);
      return this.#entries;
    }
    const entries: Entries = {};
    for (const [index, snapshot] of snapshots.entries()) {
      const app = APPS[index];
      if (app === undefined || !snapshot.exists) continue;
      const parsed = AppRegistrySchema.safeParse(snapshot.data());
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new OperatorError('firestore', `${Message.malformedRegistry(firestorePaths.app(app))}: ${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`,
          { reason: 'RegistryInvalid' });
      }
      entries[app] = parsed.data;
    }
    this.#entries = entries;
    this.#readAt = Date.now();
    return entries;
  }
}
