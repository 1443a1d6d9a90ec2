import { Firestore } from '@google-cloud/firestore';
import type { Settings } from '../config/settings.js';

/**
 * The platform Firestore. Production uses Application Default Credentials (Workload Identity);
 * with FIRESTORE_EMULATOR_HOST set, the client talks to the emulator without credentials.
 */
export function createFirestore(settings: Settings): Firestore {
  const { projectId, databaseId, emulatorHost } = settings.firestore;
  if (emulatorHost !== undefined) {
    // The emulator needs no credentials; stop google-auth from probing for the GCE metadata server
    // (a DNS lookup of metadata.google.internal) on a machine that is not in Google Cloud.
    process.env['METADATA_SERVER_DETECTION'] ??= 'none';
  }
  return new Firestore({
    ...(projectId === undefined ? {} : { projectId }),
    databaseId,
    ...(emulatorHost === undefined ? {} : { host: emulatorHost, ssl: false }),
    ignoreUndefinedProperties: true,
    // Reconnect within seconds once Firestore is reachable again (gRPC's default backoff grows to
    // two minutes), so an outage ends for the operator when it ends for Firestore.
    grpcOptions: { 'grpc.initial_reconnect_backoff_ms': 500, 'grpc.max_reconnect_backoff_ms': 5000 },
  });
}
