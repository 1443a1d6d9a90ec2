// Every error message the operator reports (in status, events and Firestore), in one place, in
// Crossplane's form: "cannot <verb> <noun>", then what the caller adds (the cause). A reader can
// audit them here; a test can match them by constant instead of by a copy of the text.

/** Error messages: "cannot <verb> <noun>". */
export const Message = {
  // Kubernetes objects
  applyObject: (kind: string, name: string) => `cannot apply ${kind.toLowerCase()} ${name}`,
  createSecret: (name: string) => `cannot create secret ${name}`,
  readSecret: (name: string) => `cannot read secret ${name}`,
  updateSecret: (name: string) => `cannot update secret ${name}`,
  rotateCredentials: (store: string) => `cannot rotate the ${store} credentials`,
  rolloutWaits: (statefulSet: string, inFlight: number, max: number) =>
    `StatefulSet ${statefulSet} keeps its running form until a rollout slot frees${max > 0 ? ` (${String(inFlight)} of GAIM_MAX_CONCURRENT_ROLLOUTS=${String(max)} in flight)` : ''}`,
  useCredentials: (name: string) => `cannot use the credentials in secret ${name}`,
  retainVolume: (name: string) => `cannot set the reclaim policy of persistentvolume ${name}`,
  deleteObject: (kind: string, name: string) => `cannot delete ${kind.toLowerCase()} ${name}`,
  releaseObject: (kind: string, name: string) => `cannot release ${kind.toLowerCase()} ${name} from its owner`,
  writeStatus: 'cannot write gaim status',
  updateFinalizer: 'cannot update the gaim\'s finalizer',
  listPods: (job: string) => `cannot list the pods of job ${job}`,
  growClaim: (name: string, to: string) => `cannot grow claim ${name} to ${to}`,
  shrinkClaim: (name: string, to: string) => `cannot shrink claim ${name} to ${to}`,
  // Ownership and sharing
  namespaceTaken: (namespace: string, owner: string) => `cannot own namespace ${namespace}: it already has Gaim ${owner}; one Gaim per namespace`,
  useShare: 'cannot use the NFS share',
  shareTaken: (share: string, owner: string) => `cannot use the NFS share ${share}: it already backs Gaim ${owner}; one share per Gaim`,
  gaimIdTaken: (gaimId: string, owner: string, name: string) =>
    `cannot write Firestore gaims/${gaimId}: it belongs to gaim_name ${owner}, not ${name}; two Gaims claim one gaimId`,
  // Stores
  seedMongoDB: 'cannot seed mongodb',
  seedRedis: 'cannot seed redis',
  createAppUser: (user: string) => `cannot create the mongodb app user ${user}`,
  resolveStore: (address: string) => `cannot find where ${address} listens`,
  seedStorage: (job: string) => `cannot seed lancedb: seed-storage job ${job} failed`,
  lancedbSchema: 'cannot seed lancedb: tables whose schema disagrees were left as they are',
  // Firestore
  readRegistry: 'cannot read the app registry',
  malformedRegistry: (path: string) => `cannot use app registry document ${path}: it is malformed`,
  writeGaimDocument: (gaimId: string) => `cannot write Firestore gaims/${gaimId}`,
  seedFirestoreConfig: 'cannot seed firestore config',
  firestoreUnreachable: 'cannot reach Firestore (waiting before the next attempt)',
  // Deadlines
  reconcileDeadline: 'cannot finish the reconcile in time',
} as const;
