import { Firestore } from '@google-cloud/firestore';
import type { Environment, Gaim, GaimSpec } from '../api/v1alpha1/gaim.js';
import type { Settings } from '../config/settings.js';
import type { Logger } from '../observability/logger.js';
import { AppRegistry } from './app-registry.js';
import { FirestoreBreaker } from './breaker.js';
import { seedFirestoreConfig } from './config-docs.js';
import { syncToFirestore, type SyncOutcome, type SyncReport } from './sync.js';

/**
 * The platform's Firestore, as the reconcile sees it: three narrow calls. Every call has a deadline
 * and goes through one breaker, so an outage is noticed once and costs later calls nothing; an
 * outage surfaces as a FirestoreUnavailableError, a refusal as an OperatorError of type firestore.
 */
export interface PlatformFirestore {
  /** Merges this operator's entry into gaims/{gaimId} (see sync.ts). */
  syncGaim(gaim: Gaim, report: SyncReport, signal: AbortSignal): Promise<SyncOutcome>;
  /** Creates the config document of each environment that has none (see config-docs.ts). */
  seedConfig(gaimId: string, environments: readonly Environment[], config: GaimSpec['config'], signal: AbortSignal): Promise<{ created: string[] }>;
  /** Tier sizes from the app registry, shared by every Gaim. */
  readonly registry: AppRegistry;
  close(): Promise<void>;
}

/**
 * Production uses Application Default Credentials (Workload Identity); with FIRESTORE_EMULATOR_HOST
 * set, the client talks to the emulator without credentials.
 */
export function connectFirestore(settings: Settings, log: Logger): PlatformFirestore {
  const { projectId, databaseId, emulatorHost } = settings.firestore;
  if (emulatorHost !== undefined) {
    // The emulator needs no credentials; stop google-auth from probing for the GCE metadata server
    // (a DNS lookup of metadata.google.internal) on a machine that is not in Google Cloud.
    process.env['METADATA_SERVER_DETECTION'] ??= 'none';
  }
  const firestore = new Firestore({
    ...(projectId === undefined ? {} : { projectId }),
    databaseId,
    ...(emulatorHost === undefined ? {} : { host: emulatorHost, ssl: false }),
    ignoreUndefinedProperties: true,
    // Reconnect within seconds once Firestore is reachable again (gRPC's default backoff grows to
    // two minutes), so an outage ends for the operator when it ends for Firestore.
    grpcOptions: { 'grpc.initial_reconnect_backoff_ms': 500, 'grpc.max_reconnect_backoff_ms': 5000 },
  });
  const breaker = new FirestoreBreaker();
  return {
    syncGaim: (gaim, report, signal) => breaker.run(() => syncToFirestore(firestore, gaim, report, signal)),
    seedConfig: (gaimId, environments, config, signal) => breaker.run(() => seedFirestoreConfig(firestore, gaimId, environments, config, signal)),
    registry: new AppRegistry(firestore, log, breaker),
    close: () => firestore.terminate(),
  };
}
