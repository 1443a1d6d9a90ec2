// The Gaim API, v1alpha1: defined once, here. The CRD in crds/ is generated from these schemas
// (crd.ts, `make manifests`), and the operator parses every Gaim it reads with them.
//
// Rules the OpenAPI schema cannot express are CEL rules carried in `.meta()` for the API server,
// with the same rule as a zod refinement for the operator; test/api checks both verdicts agree.
import { z } from 'zod';
import { scheduleProblem } from '../../cron.js';
import { ERROR_TYPES } from '../../errors.js';

export const GROUP = 'gaim.livingcontent.io';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;
export const KIND = 'Gaim';
export const PLURAL = 'gaims';
export const SINGULAR = 'gaim';

// Patterns used by both zod (JavaScript RegExp) and the API server (RE2): only syntax both accept.
/** A lowercase canonical UUID, as the platform's Firestore documents store them. */
export const UUID_PATTERN = '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$';
/** The gaim_name: a lowercase RFC 1123 label of 3 to 12 characters. */
export const GAIM_NAME_PATTERN = '^[a-z0-9][-a-z0-9]{1,10}[a-z0-9]$';
/** A positive storage size in whole units: `10Gi`, `500Mi`, `1T`. No signs, fractions or exponents. */
export const STORAGE_SIZE_PATTERN = '^[1-9][0-9]{0,5}(Ki|Mi|Gi|Ti|Pi|k|M|G|T|P)?$';
/** A container image reference (registry/repository[:tag][@digest]), without whitespace. */
export const IMAGE_PATTERN = '^[a-z0-9][a-z0-9._/:@-]*$';
/** An RFC 1123 DNS subdomain, as StorageClass names are. */
export const DNS_SUBDOMAIN_PATTERN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$';
/** An NFS server: a DNS name or an IPv4 address. */
export const NFS_SERVER_PATTERN = '^[a-zA-Z0-9]([-a-zA-Z0-9.]*[a-zA-Z0-9])?$';
/** An absolute path on the NFS share, without `..` segments. */
export const NFS_PATH_PATTERN = '^/([^/.][^/]*(/[^/.][^/]*)*)?/?$';

export const Messages = {
  gaimName: "metadata.name is the gaim_name: 3-12 characters, lowercase letters, digits and '-', starting and ending with a letter or digit",
  gaimIdImmutable: 'gaimId is immutable: it is the GAIM\'s identity in Firestore; create a new Gaim instead',
  uuid: 'must be a lowercase UUID such as 660e8400-e29b-41d4-a716-446655440001',
  environmentsUnique: 'environments must not repeat',
  tenantIdsUnique: 'tenantIds must not repeat',
  storageOneOf: 'set exactly one of storageClassName (a new Filestore volume) or nfs (an existing share)',
  storageSizeRequired: 'size is required with storageClassName',
  storageModeImmutable: 'cannot switch lancedb.storage between storageClassName and nfs: the data stays on the old volume',
  storageClassImmutable: 'storageClassName is immutable: a claim cannot move to another class',
  nfsImmutable: 'nfs is immutable: the volume\'s server and path cannot change',
  nfsSizeImmutable: 'size cannot change with nfs: a claim without a StorageClass cannot be resized, and the share\'s capacity is its Filestore instance\'s (size is only recorded on the volume)',
  storageSize: 'must be a positive size in whole units, such as 10Gi, 500Mi or 1Ti',
  volumesOnlyGrow: 'volumes only grow: storage cannot be smaller than before (a claim cannot shrink), except back to no less than the capacity its claim has (status.claims), to back out an expansion the driver refused',
  image: 'must be a container image reference such as mongo:7.0 or registry.example.com/redis:7.2',
  schedule: 'must be a cron expression of five fields (minute hour day-of-month month day-of-week, UTC), such as "0 3 * * *", or @hourly, @daily, @weekly, @monthly',
  restoreOneOf: 'restoreFrom names exactly one of backup (a GaimBackup of this namespace) or record (a GaimBackupRecord)',
  restoreOnlyAtCreation: 'restoreFrom is set only when a Gaim is created, and never changes: a Gaim restores once, into claims that do not exist yet',
} as const;

export const ENVIRONMENTS = ['local', 'stage', 'prod'] as const;
export type Environment = (typeof ENVIRONMENTS)[number];
export const TIERS = ['small', 'medium', 'large'] as const;
export type Tier = (typeof TIERS)[number];
export const SYNC_STATUSES = ['Progressing', 'Synced', 'Failed'] as const;
export type SyncStatus = (typeof SYNC_STATUSES)[number];
export const CONDITION_TYPES = ['Ready', 'MongoDBReady', 'RedisReady', 'StorageReady', 'Seeded', 'FirestoreSynced', 'BackedUp', 'QueuesHealthy', 'Hibernated'] as const;
export const HIBERNATION_MODES = ['Off', 'On', 'Auto'] as const;
export type HibernationMode = (typeof HIBERNATION_MODES)[number];
/** The annotation that wakes a Gaim hibernated by mode Auto (any new value; kubectl gaim wake sets a timestamp). */
export const WAKE_ANNOTATION = 'gaim.livingcontent.io/wake';
/** A duration as Kubernetes writes them: 90s, 30m, 1h, 1h30m. */
export const DURATION_PATTERN = '^([0-9]+h)?([0-9]+m)?([0-9]+s)?$';
export const DELETION_POLICIES = ['Retain', 'Delete', 'Snapshot'] as const;
/** A cron expression as the CRD checks its shape (the operator parses it: Messages.schedule). */
export const SCHEDULE_PATTERN = '^(@(yearly|annually|monthly|weekly|daily|hourly)|[^\\s]+( [^\\s]+){4})$';
/** What the operator seeds, as keys of status.seeded. */
export const SEEDED_STORES = ['mongodb', 'redis', 'storage', 'firestore'] as const;
export type SeededStore = (typeof SEEDED_STORES)[number];
export type ConditionType = (typeof CONDITION_TYPES)[number];

const pattern = (source: string, message: string) => z.string().regex(new RegExp(source), { message });
export const uuid = () => pattern(UUID_PATTERN, Messages.uuid);
const storageSize = () => pattern(STORAGE_SIZE_PATTERN, Messages.storageSize).max(16);
const image = () => pattern(IMAGE_PATTERN, Messages.image).max(512);
/** A free-form JSON object kept exactly as given (x-kubernetes-preserve-unknown-fields). */
const freeForm = (description: string) => z.record(z.string(), z.unknown()).optional().meta({ description });

/**
 * A transition rule, at the root (it reads status): a size set before may only grow (quantities
 * compared as quantities: 1Ti > 900Gi), or go back down to no less than the capacity its claim has,
 * as the operator last saw it (status.claims) — backing out an expansion the driver refused, which
 * Kubernetes allows (the claim's request then goes down to above its capacity). A size set where
 * there was none, or a status behind the claim, is checked by the operator against the claim itself.
 */
function growOnly(path: readonly string[], store: 'mongodb' | 'redis' | 'lancedb') {
  const present = (root: string) => path.map((_, i) => `has(${root}.spec.${path.slice(0, i + 1).join('.')})`).join(' && ');
  const [now, before] = [`self.spec.${path.join('.')}`, `oldSelf.spec.${path.join('.')}`];
  return {
    rule: `!(${present('self')}) || !(${present('oldSelf')}) || quantity(${now}).compareTo(quantity(${before})) >= 0`
      + ` || (has(self.status) && has(self.status.claims) && self.status.claims.exists(c, c.store == '${store}' && has(c.capacity) && isQuantity(c.capacity)`
      + ` && quantity(${now}).compareTo(quantity(c.capacity)) >= 0))`,
    message: Messages.volumesOnlyGrow,
    fieldPath: `.spec.${path.join('.')}`,
  };
}

export const GaimNameSchema = pattern(GAIM_NAME_PATTERN, Messages.gaimName);

export const MongoDBSpecSchema = z.strictObject({
  enabled: z.boolean().default(true).meta({
    description: 'Provision a MongoDB for this GAIM. When false, no MongoDB objects are created and none are seeded.',
  }),
  image: image().optional().meta({ description: 'MongoDB server image (the official mongo image or a mirror of it). Without one, the operator\'s pinned default (GAIM_MONGODB_IMAGE), which an operator upgrade may move.' }),
  storage: storageSize().optional().meta({
    description: "Size of each MongoDB data volume, such as 10Gi. Defaults to the tier's size from the app registry.",
  }),
}).meta({
  description: 'The GAIM\'s MongoDB: one database per environment (lco-gaim-{env}) with collections content_sessions and notifications.',
});

export const QueuePolicySchema = z.strictObject({
  maxDeliveries: z.int().min(1).max(1000).optional().meta({
    description: 'Move a pending task delivered this many times without being acknowledged to the dead-letter stream (the data model\'s entry format: the task\'s fields, error, timestamp, retry_count) and acknowledge it, atomically. Unset: poison tasks are only reported.',
  }),
  removeIdleConsumersAfter: z.string().max(32).regex(new RegExp(DURATION_PATTERN), { message: 'must be a duration such as 90s, 30m or 1h' })
    .refine((d) => d !== '', { message: 'must be a duration such as 90s, 30m or 1h' }).optional().meta({
      description: 'Delete consumers of the task group idle this long with nothing pending (one with pending entries is never deleted: its entries would be orphaned). Unset: idle consumers are only reported.',
    }),
}).meta({ description: 'Auto-pilot for the task queues, opt-in: what the operator may do about poison tasks and dead consumers. Every action is counted (gaim_queue_actions_total) and written as an event.' });

export const RedisSpecSchema = z.strictObject({
  enabled: z.boolean().default(true).meta({
    description: 'Provision a Redis for this GAIM. When false, no Redis objects are created and none are seeded.',
  }),
  image: image().optional().meta({ description: 'Redis server image. Without one, the operator\'s pinned default (GAIM_REDIS_IMAGE), which an operator upgrade may move.' }),
  storage: storageSize().optional().meta({
    description: "Size of the Redis append-only-file volume, such as 2Gi. Defaults to the tier's size from the app registry.",
  }),
  queues: QueuePolicySchema.optional(),
}).meta({
  description: 'The GAIM\'s Redis: task stream gaim:tasks:{env} with consumer group gaim:workers:{env} and a dead-letter stream per environment.',
});

export const NfsShareSchema = z.strictObject({
  server: pattern(NFS_SERVER_PATTERN, 'must be a DNS name or IPv4 address').max(253).meta({
    description: 'Filestore instance IP address or DNS name, such as 10.0.0.2.',
  }),
  path: pattern(NFS_PATH_PATTERN, 'must be an absolute path without . or .. segments, such as /vol1/gaims/marvin').max(1024).meta({
    description: 'Exported path on the share, such as /vol1/gaims/marvin. The operator creates a PersistentVolume for it, bound to this GAIM\'s claim only.',
  }),
});

export const LanceDBStorageSchema = z.strictObject({
  storageClassName: pattern(DNS_SUBDOMAIN_PATTERN, 'must be a StorageClass name (a DNS subdomain)').max(253).optional().meta({
    description: 'Dynamic provisioning: the StorageClass of a ReadWriteMany Filestore CSI volume, such as enterprise-multishare-rwx. Requires size. Immutable.',
  }),
  size: storageSize().optional().meta({
    description: 'Requested capacity, such as 100Gi. Required with storageClassName; with nfs it is the nominal capacity recorded on the volume (default 1Ti).',
  }),
  nfs: NfsShareSchema.optional().meta({
    description: 'Static provisioning: an existing Filestore share. Immutable.',
  }),
})
  .superRefine((storage, ctx) => {
    if ((storage.storageClassName === undefined) === (storage.nfs === undefined)) {
      ctx.addIssue({ code: 'custom', message: Messages.storageOneOf });
    } else if (storage.storageClassName !== undefined && storage.size === undefined) {
      ctx.addIssue({ code: 'custom', message: Messages.storageSizeRequired, path: ['size'] });
    }
  })
  .meta({
    description: 'Where the LanceDB tables live: exactly one of storageClassName (+ size) for a new volume, or nfs for an existing share. Mounted at /data; each environment gets /data/{env}/…',
    'x-kubernetes-validations': [
      { rule: 'has(self.storageClassName) != has(self.nfs)', message: Messages.storageOneOf },
      { rule: '!has(self.storageClassName) || has(self.size)', message: Messages.storageSizeRequired, fieldPath: '.size' },
      { rule: 'has(self.nfs) == has(oldSelf.nfs)', message: Messages.storageModeImmutable },
      { rule: '!has(self.storageClassName) || !has(oldSelf.storageClassName) || self.storageClassName == oldSelf.storageClassName',
        message: Messages.storageClassImmutable, fieldPath: '.storageClassName' },
      { rule: '!has(self.nfs) || !has(oldSelf.nfs) || self.nfs == oldSelf.nfs', message: Messages.nfsImmutable, fieldPath: '.nfs' },
      { rule: '!has(self.nfs) || !has(oldSelf.nfs) || (has(self.size) == has(oldSelf.size) && (!has(self.size) || self.size == oldSelf.size))',
        message: Messages.nfsSizeImmutable, fieldPath: '.size' },
    ],
  });

export const EmbeddingDimensionsSchema = z.strictObject({
  video: z.int().min(1).max(16384).default(1408).meta({
    description: 'Vector size of knowledge_video.lance. Default 1408 (multimodalembedding@001, which also embeds video).',
  }),
  audio: z.int().min(1).max(16384).default(1408).meta({
    description: 'Vector size of knowledge_audio.lance. Default 1408, the multimodal embedding size; set it to your audio model\'s.',
  }),
}).meta({
  description: 'Vector sizes of the tables whose model varies. Text and tool-selector tables are 3072 (gemini-embedding-001) and images 1408 (multimodalembedding@001), fixed by the data model.',
});

export const MaintenanceSchema = z.strictObject({
  schedule: z.string().max(128).regex(new RegExp(SCHEDULE_PATTERN), { message: Messages.schedule })
    .superRefine((schedule, ctx) => {
      const problem = scheduleProblem(schedule);
      if (problem !== undefined) ctx.addIssue({ code: 'custom', message: `${Messages.schedule}: ${problem}` });
    })
    .meta({ description: 'When to run the maintenance Job, as a cron expression in UTC (five fields, or @hourly, @daily, @weekly, @monthly). A missed slot runs once; never while another maintenance Job of this GAIM runs.' }),
  cleanupOlderThan: z.string().max(32).regex(new RegExp(DURATION_PATTERN), { message: 'must be a duration such as 168h or 30m' })
    .refine((d) => d !== '', { message: 'must be a duration such as 168h or 30m' }).default('168h').meta({
      description: 'Table versions older than this are removed (LanceDB\'s own cleanup), after compaction. Default 168h: a week of versions to time-travel to.',
    }),
}).meta({ description: 'Opt-in maintenance of every LanceDB table: compaction of small fragments and cleanup of old versions (LanceDB\'s optimize), by a Job that runs the operator\'s image. Each run\'s figures per table (rows, versions, fragments, bytes) go to status.maintenance and the gaim_lancedb_table_* metrics.' });

export const LanceDBSpecSchema = z.strictObject({
  storage: LanceDBStorageSchema,
  embeddingDimensions: EmbeddingDimensionsSchema.prefault({}),
  maintenance: MaintenanceSchema.optional(),
}).meta({ description: 'The GAIM\'s LanceDB: a ReadWriteMany volume (Filestore NFS) holding the tool-selector and knowledge tables of every environment.' });

export const GaimConfigSchema = z.strictObject({
  settings: freeForm('Runtime settings, such as llm_clients and tools.'),
  system: freeForm('System settings, such as lineage and ingress.'),
  prompts: freeForm('Prompts, such as persona.'),
  fe: freeForm('Front-end settings, such as theme and features.'),
}).meta({
  description: 'Initial configuration, written to Firestore gaims/{gaimId}/env/{env}/config/current for each environment when that document does not exist. An existing document is never changed: edit it in Firestore.',
});

export const BackupPolicySchema = z.strictObject({
  schedule: z.string().max(128).regex(new RegExp(SCHEDULE_PATTERN), { message: Messages.schedule })
    .superRefine((schedule, ctx) => {
      const problem = scheduleProblem(schedule);
      if (problem !== undefined) ctx.addIssue({ code: 'custom', message: `${Messages.schedule}: ${problem}` });
    })
    .optional().meta({ description: 'When to take a GaimBackup, as a cron expression in UTC (five fields, or @hourly, @daily, @weekly, @monthly). A slot missed while the operator was away is taken once when it is back, not once per missed slot.' }),
  keep: z.int().min(1).max(1000).default(7).meta({ description: 'How many Completed scheduled backups to keep; older ones are deleted (a Failed one only once a later one completed; the newest Completed one never).' }),
  suspend: z.boolean().default(false).meta({ description: 'Take no scheduled backups until set back to false (retention still applies).' }),
  requireAll: z.boolean().default(true).meta({ description: 'Whether a backup in which a claim cannot be snapshotted (a Filestore multishare share, a static NFS share, a driver without a VolumeSnapshotClass) fails. false: it completes with the claims that can, and says which could not.' }),
}).meta({ description: 'Backups of this GAIM\'s claims as GaimBackups (CSI VolumeSnapshots): on a schedule with retention, and what a backup requires.' });

export const RestoreFromSchema = z.strictObject({
  backup: z.string().min(1).max(253).regex(new RegExp(DNS_SUBDOMAIN_PATTERN), { message: 'must be the name of a GaimBackup in this namespace' }).optional().meta({
    description: 'A backup taken in this namespace, by its GaimBackup\'s name: restored from its record in the backup catalog (GaimBackupRecord <namespace>.<backup>), so the GaimBackup itself may be gone. Only at creation; immutable.',
  }),
  record: z.string().min(1).max(253).regex(new RegExp(DNS_SUBDOMAIN_PATTERN), { message: 'must be the name of a GaimBackupRecord' }).optional().meta({
    description: 'A GaimBackupRecord of the backup catalog (kubectl gaim backups -A), from any namespace or, imported, from another cluster. Its gaimId must be this Gaim\'s, and a namespace other than the one it was taken in must be in its spec.allowedNamespaces. Only at creation; immutable.',
  }),
})
  .superRefine((from, ctx) => {
    if ((from.backup === undefined) === (from.record === undefined)) ctx.addIssue({ code: 'custom', message: Messages.restoreOneOf });
  })
  .meta({
    description: 'Create this GAIM\'s stores from a backup: exactly one of backup or record. The new claims are created from its snapshots and the credentials from its copy of them; seeding afterwards only adds what is missing, so restored data is never overwritten.',
    'x-kubernetes-validations': [{ rule: 'has(self.backup) != has(self.record)', message: Messages.restoreOneOf }],
  });

export const HibernationSchema = z.strictObject({
  mode: z.enum(HIBERNATION_MODES).default('Off').meta({
    description: 'Off (default): the stores run. (In YAML write "On" and "Off" quoted, as for the VerticalPodAutoscaler\'s updateMode: unquoted, Kubernetes reads them as booleans.) On: the MongoDB and Redis StatefulSets go to zero replicas once Redis has rewritten its append-only file and MongoDB has flushed (fsync); claims, Secrets, Services, the LanceDB volume and all data are kept, and nothing is seeded, sampled or maintained until it is Off again. Auto: the operator hibernates the GAIM once its task queues have had no new entry, no pending entry and no client but the operator for idleAfter, and wakes it on the gaim.livingcontent.io/wake annotation, a spec change, or wake_requested_at on its Firestore document.',
  }),
  idleAfter: z.string().max(32).regex(new RegExp(DURATION_PATTERN), { message: 'must be a duration such as 24h, 90m or 30s' })
    .refine((d) => d !== '', { message: 'must be a duration such as 24h, 90m or 30s' }).default('24h').meta({
      description: 'With mode Auto: how long the queues must be idle before the GAIM hibernates. Default 24h.',
    }),
}).meta({ description: 'Hibernation: stop the GAIM\'s MongoDB and Redis while it is not used, keeping every byte (it then costs only its volumes), and start them again on demand.' });

export const GaimSpecSchema = z.strictObject({
  gaimId: uuid().meta({
    description: 'The GAIM\'s id: its Firestore document gaims/{gaimId}. A lowercase UUID. Immutable.',
    'x-kubernetes-validations': [{ rule: 'self == oldSelf', message: Messages.gaimIdImmutable }],
  }),
  displayName: z.string().min(1).max(256).meta({ description: 'Human-readable name (gaim_display_name), such as "Marvin the Paranoid Android".' }),
  description: z.string().max(2048).optional().meta({ description: 'Free-text description (gaim_description).' }),
  tenantIds: z.array(uuid()).max(256).default([])
    .refine((ids) => new Set(ids).size === ids.length, { message: Messages.tenantIdsUnique })
    .meta({
    description: 'Ids of the tenants this GAIM belongs to (associated_tenant_ids): lowercase UUIDs, no repeats.',
    'x-kubernetes-list-type': 'set',
  }),
  environments: z.array(z.enum(ENVIRONMENTS)).min(1).max(ENVIRONMENTS.length)
    .refine((envs) => new Set(envs).size === envs.length, { message: Messages.environmentsUnique })
    .meta({
      description: 'Environments served by this GAIM\'s stores: local, stage and/or prod, each once. Each gets its own database, streams, LanceDB paths and config document. Removing one keeps its data.',
      'x-kubernetes-list-type': 'set',
    }),
  tier: z.enum(TIERS).default('small').meta({
    description: 'Size class: small, medium or large. Sets CPU, memory and default volume sizes from the app registry (tenant_manager/config/apps/{app}.tier_defaults).',
  }),
  mongodb: MongoDBSpecSchema.prefault({}),
  redis: RedisSpecSchema.prefault({}),
  lancedb: LanceDBSpecSchema,
  config: GaimConfigSchema.optional(),
  deletionPolicy: z.enum(DELETION_POLICIES).default('Retain').meta({
    description: 'What deleting the Gaim does to data. Retain (default) keeps volumes, claims, Secrets and their data; Delete removes them; Snapshot takes a final GaimBackup first, waits for it to complete, keeps it, then removes them. Workloads are always removed; the Firestore GAIM document is never deleted.',
  }),
  backup: BackupPolicySchema.optional(),
  restoreFrom: RestoreFromSchema.optional(),
  suspend: z.boolean().default(false).meta({
    description: 'Stop all changes to this GAIM\'s objects and stores until set back to false. Status still reports what is observed.',
  }),
  hibernation: HibernationSchema.optional(),
}).meta({
  description: 'The desired data stores of one GAIM. The Gaim lives in the namespace whose stores it owns; its name is the gaim_name.',
  'x-kubernetes-validations': [{
    rule: 'has(self.restoreFrom) == has(oldSelf.restoreFrom) && (!has(self.restoreFrom) || self.restoreFrom == oldSelf.restoreFrom)',
    message: Messages.restoreOnlyAtCreation,
  }],
});

export const ConditionSchema = z.strictObject({
  type: z.string().min(1).max(316).meta({ description: 'Condition type: Ready, MongoDBReady, RedisReady, StorageReady, Seeded, FirestoreSynced, BackedUp, QueuesHealthy or Hibernated.' }),
  status: z.enum(['True', 'False', 'Unknown']).meta({ description: 'True, False or Unknown.' }),
  observedGeneration: z.int().min(0).optional().meta({ description: 'The .metadata.generation this condition was set for.' }),
  lastTransitionTime: z.iso.datetime().meta({ description: 'When status last changed.' }),
  reason: z.string().min(1).max(1024).regex(/^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$/).meta({ description: 'PascalCase reason for the last transition.' }),
  message: z.string().max(32768).meta({ description: 'Human-readable details.' }),
});
export type Condition = z.infer<typeof ConditionSchema>;

export const GaimStatusSchema = z.strictObject({
  observedGeneration: z.int().min(0).optional().meta({ description: 'The .metadata.generation the operator last acted on.' }),
  syncStatus: z.enum(SYNC_STATUSES).optional().meta({ description: 'Progressing, Synced or Failed (Firestore sync_status: progressing, synced, failed).' }),
  // "No error" and "no retry" are absent fields, not nulls: the API server refuses null for an enum,
  // and server-side apply clears a field the operator stops sending. Firestore gets explicit nulls.
  errorType: z.enum(ERROR_TYPES).optional().meta({
    description: 'What failed: validation, conflict, kubernetes, mongodb, redis, storage, firestore or timeout; absent when nothing failed.',
  }),
  message: z.string().max(32768).optional().meta({ description: 'Human-readable summary of the current state or error.' }),
  retryCount: z.int().min(0).optional().meta({ description: 'Failed attempts since the last success (Firestore retry_count).' }),
  sameErrorStreak: z.int().min(0).optional().meta({ description: 'Failed attempts in a row with the same errorType and reason; absent after a success.' }),
  degraded: z.boolean().optional().meta({ description: 'True when the same retryable error has failed GAIM_DEGRADED_AFTER_FAILURES attempts in a row: retrying alone is not expected to fix it (Argo CD shows Degraded, not Progressing forever).' }),
  lastRetryAt: z.iso.datetime().optional().meta({ description: 'When the last failed attempt ran (Firestore last_retry_at); absent after a success.' }),
  nextRetryAt: z.iso.datetime().optional().meta({ description: 'When the next attempt is due (Firestore next_retry_at); absent when none is scheduled.' }),
  conditions: z.array(ConditionSchema).max(32).optional().meta({
    description: 'Ready, MongoDBReady, RedisReady, StorageReady, Seeded and FirestoreSynced; BackedUp when spec.backup.schedule is set; QueuesHealthy once the queues are sampled; Hibernated once spec.hibernation is On or Auto (it stays, reason Awake, after Off).',
    'x-kubernetes-list-type': 'map',
    'x-kubernetes-list-map-keys': ['type'],
  }),
  retryNowHandled: z.string().max(1024).optional().meta({ description: 'The last value of the gaim.livingcontent.io/retry-now annotation acted on.' }),
  rotateCredentialsHandled: z.string().max(1024).optional().meta({ description: 'The last value of the gaim.livingcontent.io/rotate-credentials annotation for which every store switched to new app credentials.' }),
  credentialsRotatedAt: z.string().optional().meta({ description: 'When the newest app credentials in the Secrets became current (RFC 3339).' }),
  mongodbVersion: z.strictObject({
    image: z.string().max(512).meta({ description: 'The image the MongoDB StatefulSet ran when the version was read.' }),
    server: z.string().max(64).meta({ description: 'The server\'s version (buildInfo), such as 8.0.4.' }),
    featureCompatibilityVersion: z.string().max(16).optional().meta({ description: 'Its featureCompatibilityVersion, such as 7.0; absent where the server has none.' }),
    since: z.string().optional().meta({ description: 'Since when this image has run ready without interruption (RFC 3339); absent while it is not ready. The featureCompatibilityVersion is raised to the server\'s once this is GAIM_MONGODB_FCV_BURN_IN_SECONDS old.' }),
  }).optional().meta({ description: 'What the GAIM\'s MongoDB said of its version, read once per image. After a major upgrade has run healthy for the burn-in period the operator raises the featureCompatibilityVersion; never before, never down.' }),
  seeded: z.strictObject({
    mongodb: z.string().optional().meta({ description: 'Fingerprint of the environments MongoDB was last seeded for.' }),
    redis: z.string().optional().meta({ description: 'Fingerprint of the environments Redis was last seeded for.' }),
    storage: z.string().optional().meta({ description: 'Fingerprint of the environments and vector sizes the LanceDB volume was last seeded for.' }),
    firestore: z.string().optional().meta({ description: 'Fingerprint of the environments whose Firestore config was last seeded.' }),
  }).optional().meta({ description: 'What was seeded for which spec, so an unchanged Gaim is not seeded again. Adding an environment changes the fingerprint and seeds it.' }),
  seedWarnings: z.array(z.strictObject({
    store: z.enum(SEEDED_STORES).meta({ description: 'The store: mongodb, redis, storage or firestore.' }),
    reason: z.string().min(1).max(128).meta({ description: 'PascalCase reason, such as AppUserUnsupported.' }),
    message: z.string().max(4096).meta({ description: 'What could not be done, and what it means for the apps.' }),
  })).max(4).optional().meta({
    description: 'Steps a store could not do when it was last seeded, though it is seeded (such as an app user on a server that cannot create users with roles). Seeded shows the first as its reason.',
    'x-kubernetes-list-type': 'map',
    'x-kubernetes-list-map-keys': ['store'],
  }),
  queues: z.array(z.strictObject({
    env: z.enum(ENVIRONMENTS).meta({ description: 'The environment: its stream gaim:tasks:{env} and group gaim:workers:{env} (local: no suffix).' }),
    length: z.int().min(0).meta({ description: 'Entries in the task stream (XLEN).' }),
    lag: z.int().min(0).optional().meta({ description: 'Entries not yet delivered to the group (XINFO GROUPS lag); absent when Redis cannot tell.' }),
    pending: z.int().min(0).meta({ description: 'Entries delivered and not acknowledged.' }),
    oldestPendingSeconds: z.int().min(0).meta({ description: 'Age of the oldest pending entry.' }),
    maxDeliveries: z.int().min(0).meta({ description: 'The most deliveries of a pending entry (among the oldest 100).' }),
    consumers: z.int().min(0).meta({ description: 'Consumers of the group.' }),
    consumersIdle: z.int().min(0).meta({ description: 'Consumers idle for more than a minute.' }),
    dlqLength: z.int().min(0).meta({ description: 'Entries in the dead-letter stream.' }),
    sampledAt: z.iso.datetime().meta({ description: 'When these figures were sampled (status is refreshed when the health changes, or at most every 5 minutes while the figures move; the metrics are live).' }),
  })).max(3).optional().meta({
    description: 'The task queues of each environment, sampled by the operator (about every 30 s; the gaim_stream_* metrics carry every sample). QueuesHealthy says what they mean.',
    'x-kubernetes-list-type': 'map',
    'x-kubernetes-list-map-keys': ['env'],
  }),
  maintenance: z.strictObject({
    lastScheduleTime: z.iso.datetime().optional().meta({ description: 'The last slot of spec.lancedb.maintenance.schedule a Job was started for (or, when the schedule was set, the slot before it).' }),
    lastRun: z.strictObject({
      job: z.string().max(253).meta({ description: 'The maintenance Job.' }),
      completedAt: z.iso.datetime().meta({ description: 'When it ended.' }),
      succeeded: z.boolean().meta({ description: 'Whether every table was maintained.' }),
      message: z.string().max(4096).optional().meta({ description: 'Why it failed, when it did.' }),
    }).optional().meta({ description: 'The newest maintenance Job that ended.' }),
    tables: z.array(z.strictObject({
      table: z.string().max(253).meta({ description: 'The table, under the claim: stage/knowledge/knowledge_text.lance.' }),
      rows: z.int().min(0).meta({ description: 'Rows.' }),
      versions: z.int().min(0).meta({ description: 'Versions kept, after the run.' }),
      fragments: z.int().min(0).meta({ description: 'Fragments (data files), after the run.' }),
      bytes: z.int().min(0).meta({ description: 'Bytes on the share, every kept version\'s, after the run.' }),
      versionsBefore: z.int().min(0).meta({ description: 'Versions before the run.' }),
      fragmentsBefore: z.int().min(0).meta({ description: 'Fragments before the run.' }),
    })).max(16).optional().meta({
      description: 'Each table, as the last successful run left it.',
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['table'],
    }),
  }).optional().meta({ description: 'LanceDB maintenance (spec.lancedb.maintenance): its schedule and what the last run did.' }),
  lastBackup: z.strictObject({
    name: z.string().max(253).meta({ description: 'The GaimBackup.' }),
    completedAt: z.iso.datetime().meta({ description: 'When it completed.' }),
  }).optional().meta({ description: 'The newest Completed GaimBackup of this GAIM.' }),
  lastScheduleTime: z.iso.datetime().optional().meta({ description: 'The last slot of spec.backup.schedule a backup was taken for (or, when the schedule was set, the slot before it).' }),
  restoredFrom: z.string().max(253).optional().meta({ description: 'The GaimBackup this GAIM\'s claims were created from.' }),
  claims: z.array(z.strictObject({
    name: z.string().min(1).max(253).meta({ description: 'The PersistentVolumeClaim.' }),
    store: z.enum(['mongodb', 'redis', 'lancedb']).meta({ description: 'Whose data it holds: mongodb, redis or lancedb.' }),
    requested: z.string().max(64).optional().meta({ description: 'The claim\'s request (spec.resources.requests.storage).' }),
    capacity: z.string().max(64).optional().meta({ description: 'What the volume has (status.capacity.storage); below requested while a resize is under way.' }),
  })).max(8).optional().meta({
    description: 'Each data claim\'s requested and actual size. While they differ, the store\'s condition says how far the resize is (Resizing, FileSystemResizePending).',
    'x-kubernetes-list-type': 'map',
    'x-kubernetes-list-map-keys': ['name'],
  }),
  hibernatedAt: z.iso.datetime().optional().meta({ description: 'Since when the GAIM hibernates (its stores at zero replicas); absent while it is awake.' }),
  hibernatedGeneration: z.int().min(0).optional().meta({ description: 'The .metadata.generation when it went to sleep: with mode Auto, a later spec change wakes it; with On, changes made since are applied on wake.' }),
  idleSince: z.iso.datetime().optional().meta({ description: 'With hibernation mode Auto: since when the task queues have had no new entry, no pending entry and no client but the operator (the idle clock; it restarts with the operator); absent while they are in use.' }),
  wakeHandled: z.string().max(1024).optional().meta({ description: 'The last value of the gaim.livingcontent.io/wake annotation acted on.' }),
  endpoints: z.strictObject({
    mongodb: z.string().optional().meta({ description: 'In-cluster MongoDB address (host:port).' }),
    redis: z.string().optional().meta({ description: 'In-cluster Redis address (host:port).' }),
    lancedbClaim: z.string().optional().meta({ description: 'Name of the LanceDB PersistentVolumeClaim to mount at /data.' }),
  }).optional().meta({ description: 'Where the GAIM\'s applications reach the stores.' }),
}).meta({ description: 'Observed state, written by the operator.' });

export type GaimSpec = z.output<typeof GaimSpecSchema>;
export type GaimSpecInput = z.input<typeof GaimSpecSchema>;
export type GaimStatus = z.output<typeof GaimStatusSchema>;

/** The Gaim as the operator reads it: metadata it relies on, a parsed spec, and the status it wrote. */
export const GaimSchema = z.object({
  apiVersion: z.literal(API_VERSION),
  kind: z.literal(KIND),
  metadata: z.looseObject({
    name: GaimNameSchema,
    namespace: z.string().min(1),
    uid: z.string().optional(),
    generation: z.int().optional(),
    resourceVersion: z.string().optional(),
    annotations: z.record(z.string(), z.string()).optional(),
  }),
  spec: GaimSpecSchema,
  status: GaimStatusSchema.optional(),
});
export type Gaim = z.output<typeof GaimSchema>;

/** Root-level CEL: metadata.name and status are only reachable from the root of a CRD schema. */
export const ROOT_VALIDATIONS = [
  { rule: `self.metadata.name.matches('${GAIM_NAME_PATTERN}')`, message: Messages.gaimName },
  growOnly(['mongodb', 'storage'], 'mongodb'),
  growOnly(['redis', 'storage'], 'redis'),
  growOnly(['lancedb', 'storage', 'size'], 'lancedb'),
] as const;
