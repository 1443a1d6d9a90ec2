/**
 * Condition and event reasons: PascalCase constants, one meaning each. A failure carries its own
 * reason (OperatorError.reason: its error type's default from errors.ts, or a specific one below).
 */
export const Reason = {
  Ready: 'Ready',
  Disabled: 'Disabled',
  Progressing: 'Progressing',
  Suspended: 'Suspended',
  Deleting: 'Deleting',
  Synced: 'Synced',
  Seeded: 'Seeded',
  SeedPending: 'SeedPending',
  SeedFailed: 'SeedFailed',
  FirestoreWritten: 'FirestoreWritten',
  FirestoreUnavailable: 'FirestoreUnavailable',
  // Each error type's reason when nothing more specific applies (errors.ts: ErrorReason).
  InvalidSpec: 'InvalidSpec',
  Conflict: 'Conflict',
  KubernetesError: 'KubernetesError',
  MongoDBSeedFailed: 'MongoDBSeedFailed',
  RedisSeedFailed: 'RedisSeedFailed',
  StorageFailed: 'StorageFailed',
  FirestoreFailed: 'FirestoreFailed',
  Timeout: 'Timeout',
  // Specific failures (set on the OperatorError where it is made).
  MongoDBTimeout: 'MongoDBTimeout',
  RedisTimeout: 'RedisTimeout',
  NamespaceConflict: 'NamespaceConflict',
  ShareConflict: 'ShareConflict',
  ShareNotAllowed: 'ShareNotAllowed',
  CredentialsMissing: 'CredentialsMissing',
  GaimIdConflict: 'GaimIdConflict',
  ApplyFailed: 'ApplyFailed',
  DeleteFailed: 'DeleteFailed',
  SecretFailed: 'SecretFailed',
  RegistryInvalid: 'RegistryInvalid',
  AppUserUnsupported: 'AppUserUnsupported',
  SharePermissionDenied: 'SharePermissionDenied',
  SharePreparationFailed: 'SharePreparationFailed',
  SharePathNotDirectory: 'SharePathNotDirectory',
  TableSchemaMismatch: 'TableSchemaMismatch',
  SeedJobDeadlineExceeded: 'SeedJobDeadlineExceeded',
  VolumeShrinkRefused: 'VolumeShrinkRefused',
  VolumeExpansionNotAllowed: 'VolumeExpansionNotAllowed',
  VolumeResizeFailed: 'VolumeResizeFailed',
  VolumeExpansionRequested: 'VolumeExpansionRequested',
} as const;
export type Reason = (typeof Reason)[keyof typeof Reason];
