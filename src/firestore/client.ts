import type { Firestore } from '@google-cloud/firestore';
import type { Environment, Gaim, GaimSpec } from '../api/v1alpha1/gaim.js';
import type { Settings } from '../config/settings.js';
import type { Logger } from '../observability/logger.js';
import { AppRegistry } from './app-registry.js';
import { FirestoreBreaker } from './breaker.js';
import type { KnownDocument, SyncReport, SyncResult } from './sync.js';

/**
 * The platform's Firestore, as the reconcile sees it: three narrow calls. Every call has a deadline
 * and goes through one breaker, so an outage is noticed once and costs later calls nothing; an
 * outage surfaces as a FirestoreUnavailableError, a refusal as an OperatorError of type firestore.
 */
export interface PlatformFirestore {
  /** Merges this operator's entry into gaims/{gaimId} (see sync.ts); `known` is what the last call returned. */
  syncGaim(gaim: Gaim, report: SyncReport, known: KnownDocument | undefined, signal: AbortSignal): Promise<SyncResult>;
  /** Creates the config document of each environment that has none (see config-docs.ts). */
  seedConfig(gaimId: string, environments: readonly Environment[], config: GaimSpec['config'], signal: AbortSignal): Promise<{ created: string[] }>;
  /** wake_requested_at of each gaims/{gaimId} whose request is later than `after` (one query, however many Gaims sleep). */
  wakeRequests(after: Date, signal: AbortSignal): Promise<ReadonlyMap<string, Date>>;
  /** Tier sizes from the app registry, shared by every Gaim. */
  readonly registry: AppRegistry;
  close(): Promise<void>;
}

/** The platform's Firestore of `settings` (see connection.ts for credentials and the emulator). */
export function connectFirestore(settings: Settings, log: Logger): PlatformFirestore {
  // The SDK (gRPC, protobufs: about 20 MiB) is loaded when Firestore is first called, not at start-up.
  let client: Promise<Firestore> | undefined;
  const firestore = (): Promise<Firestore> => client ??= import('./connection.js').then(({ openFirestore }) => openFirestore(settings.firestore));
  const breaker = new FirestoreBreaker();
  return {
    syncGaim: (gaim, report, known, signal) => breaker.run(async () => {
      const [{ syncToFirestore }, fs] = await Promise.all([import('./sync.js'), firestore()]);
      return syncToFirestore(fs, gaim, report, known, signal);
    }),
    seedConfig: (gaimId, environments, config, signal) => breaker.run(async () => {
      const [{ seedFirestoreConfig }, fs] = await Promise.all([import('./config-docs.js'), firestore()]);
      return seedFirestoreConfig(fs, gaimId, environments, config, signal);
    }),
    wakeRequests: (after, signal) => breaker.run(async () => {
      const [{ readWakeRequests }, fs] = await Promise.all([import('./wake-requests.js'), firestore()]);
      return readWakeRequests(fs, after, signal);
    }),
    registry: new AppRegistry(firestore, log, breaker),
    close: async () => { if (client !== undefined) await (await client).terminate(); },
  };
}
