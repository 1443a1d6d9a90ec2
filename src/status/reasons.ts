/** Condition and event reasons: PascalCase constants, one meaning each. */
export const Reason = {
  Ready: 'Ready',
  Disabled: 'Disabled',
  Progressing: 'Progressing',
  Suspended: 'Suspended',
  InvalidSpec: 'InvalidSpec',
  NamespaceConflict: 'NamespaceConflict',
  ApplyFailed: 'ApplyFailed',
  RegistryUnavailable: 'RegistryUnavailable',
  Deleting: 'Deleting',
  Synced: 'Synced',
  Seeded: 'Seeded',
  FirestoreWritten: 'FirestoreWritten',
  FirestoreUnavailable: 'FirestoreUnavailable',
  SeedPending: 'SeedPending',
  SeedFailed: 'SeedFailed',
  Failed: 'Failed',
} as const;
export type Reason = (typeof Reason)[keyof typeof Reason];

/** Error messages: "cannot <verb> <noun>". */
export const Message = {
  applyObject: (kind: string, name: string) => `cannot apply ${kind.toLowerCase()} ${name}`,
  createSecret: (name: string) => `cannot create secret ${name}`,
  deleteObject: (kind: string, name: string) => `cannot delete ${kind.toLowerCase()} ${name}`,
  releaseObject: (kind: string, name: string) => `cannot release ${kind.toLowerCase()} ${name} from its owner`,
  writeStatus: 'cannot write gaim status',
  readRegistry: 'cannot read the app registry',
} as const;
