import { Firestore } from '@google-cloud/firestore';

/** Which Firestore: a project's database through Application Default Credentials, or an emulator. */
export interface FirestoreTarget {
  /** Without one, the project of the Application Default Credentials. */
  readonly projectId: string | undefined;
  readonly databaseId: string;
  /** host:port of an emulator (FIRESTORE_EMULATOR_HOST): no credentials, no TLS. */
  readonly emulatorHost: string | undefined;
}

/**
 * A Firestore client for `target`. Production uses Application Default Credentials (Workload
 * Identity, or gcloud's application-default login on a workstation); with an emulator host, the
 * client talks to the emulator without credentials.
 */
export function openFirestore(target: FirestoreTarget): Firestore {
  const { projectId, databaseId, emulatorHost } = target;
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
