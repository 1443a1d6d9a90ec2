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
  seedSlotWaits: (inFlight: number, max: number) =>
    `waiting for a seed slot (${String(inFlight)} of GAIM_MAX_CONCURRENT_SEEDS=${String(max)} seed Jobs running)`,
  useCredentials: (name: string) => `cannot use the credentials in secret ${name}`,
  retainVolume: (name: string) => `cannot set the reclaim policy of persistentvolume ${name}`,
  deleteObject: (kind: string, name: string) => `cannot delete ${kind.toLowerCase()} ${name}`,
  releaseObject: (kind: string, name: string) => `cannot release ${kind.toLowerCase()} ${name} from its owner`,
  writeStatus: 'cannot write gaim status',
  updateFinalizer: 'cannot update the gaim\'s finalizer',
  listPods: (job: string) => `cannot list the pods of job ${job}`,
  listStorePod: (pod: string) => `cannot read pod ${pod}`,
  startStore: (pod: string) => `cannot start pod ${pod}`,
  recreateStatefulSet: (name: string) => `cannot recreate statefulset ${name}`,
  growClaim: (name: string, to: string) => `cannot grow claim ${name} to ${to}`,
  shrinkClaim: (name: string, to: string) => `cannot shrink claim ${name} to ${to}`,
  // Ownership and sharing
  namespaceTaken: (namespace: string, owner: string) => `cannot own namespace ${namespace}: it already has Gaim ${owner}; one Gaim per namespace`,
  useShare: 'cannot use the NFS share',
  shareTaken: (share: string, owner: string) => `cannot use the NFS share ${share}: it already backs Gaim ${owner}; one share per Gaim`,
  rebindVolume: (volume: string) => `cannot bind PersistentVolume ${volume} again`,
  gaimIdTaken: (gaimId: string, owner: string, name: string) =>
    `cannot write Firestore gaims/${gaimId}: it belongs to gaim_name ${owner}, not ${name}; two Gaims claim one gaimId`,
  // Stores
  seedMongoDB: 'cannot seed mongodb',
  seedRedis: 'cannot seed redis',
  readMongoVersion: 'cannot read the mongodb version',
  sampleQueues: 'cannot sample the redis task queues',
  queueActions: 'cannot act on the redis task queues',
  flushRedis: 'cannot rewrite the redis append-only file before a snapshot',
  flushMongoDB: 'cannot fsync mongodb before a snapshot',
  // Backups
  backupGaimMissing: (gaim: string, namespace: string) => `cannot back up Gaim ${gaim}: it does not exist in namespace ${namespace}`,
  backupUnserved: 'cannot back up: the cluster serves no snapshot.storage.k8s.io/v1 (install the CSI snapshot CRDs and snapshot-controller, then restart the operator)',
  createBackup: (name: string) => `cannot create gaimbackup ${name}`,
  deleteBackup: (name: string) => `cannot delete gaimbackup ${name}`,
  copyCredentials: (name: string) => `cannot copy the credentials into secret ${name}`,
  createSnapshot: (kind: string, name: string) => `cannot create ${kind.toLowerCase()} ${name}`,
  listSnapshotClasses: 'cannot list the snapshot classes',
  listSnapshots: (namespace: string) => `cannot list the volumesnapshots of namespace ${namespace}`,
  writeBackupStatus: 'cannot write gaimbackup status',
  labelClaim: (name: string) => `cannot label claim ${name} for a group snapshot`,
  readStorageClass: (name: string) => `cannot read storageclass ${name}`,
  restoreFrom: (backup: string) => `cannot restore from backup ${backup}`,
  readVolume: (name: string) => `cannot read persistentvolume ${name}`,
  useImage: (image: string) => `cannot run image ${image}`,
  readNamespace: (name: string) => `cannot read namespace ${name}`,
  createRecord: (name: string) => `cannot create gaimbackuprecord ${name}`,
  completeRecord: (name: string) => `cannot complete gaimbackuprecord ${name}`,
  deleteRecord: (name: string) => `cannot delete gaimbackuprecord ${name}`,
  writeRecordStatus: 'cannot write gaimbackuprecord status',
  updateBackupFinalizer: (name: string) => `cannot update the finalizer of gaimbackup ${name}`,
  retainSnapshot: (name: string) => `cannot keep volumesnapshotcontent ${name}`,
  deleteSnapshotOf: (record: string) => `cannot delete the snapshots of gaimbackuprecord ${record}`,
  holdVolume: (name: string) => `cannot hold persistentvolume ${name} for its final backup`,
  finalBackup: (name: string) => `cannot delete the Gaim before its final backup ${name} completes (deletionPolicy Snapshot)`,
  raiseFeatureCompatibility: (to: string) => `cannot raise the mongodb featureCompatibilityVersion to ${to}`,
  createAppUser: (user: string) => `cannot create the mongodb app user ${user}`,
  resolveStore: (address: string) => `cannot find where ${address} listens`,
  seedStorage: (job: string) => `cannot seed lancedb: seed-storage job ${job} failed`,
  lancedbSchema: 'cannot seed lancedb: tables whose schema disagrees were left as they are',
  maintainLanceDB: 'cannot maintain lancedb tables',
  filesystemUnsupported: (dir: string, feature: string, detail: string) =>
    `cannot seed lancedb: the share at ${dir} does not support ${feature} (${detail}), which LanceDB's commits rely on; tables were not created`,
  // Firestore
  readRegistry: 'cannot read the app registry',
  malformedRegistry: (path: string) => `cannot use app registry document ${path}: it is malformed`,
  writeGaimDocument: (gaimId: string) => `cannot write Firestore gaims/${gaimId}`,
  seedFirestoreConfig: 'cannot seed firestore config',
  firestoreUnreachable: 'cannot reach Firestore (waiting before the next attempt)',
  // Deadlines
  reconcileDeadline: 'cannot finish the reconcile in time',
} as const;
