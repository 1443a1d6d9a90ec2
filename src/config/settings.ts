// Operator settings: environment variables prefixed GAIM_, parsed once at start-up with zod.
// A bad value stops start-up with one line naming the variable and what is wrong.
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { DEFAULT_STORE_REPOSITORIES, fromRepositories, PINNED_IMAGES, type StoreImages } from './images.js';
import { z } from 'zod';

const int = (min: number, max: number) => {
  const error = `expected an integer from ${min} to ${max}`;
  return z.coerce.number({ error }).int({ error }).min(min, { error }).max(max, { error });
};
const bool = z.enum(['true', 'false', '1', '0'], { error: 'expected true or false' }).transform((v) => v === 'true' || v === '1');
const port = int(1, 65535);
const hostPort = z.string().regex(/^[^\s:]+:\d{1,5}$/, { message: 'expected host:port' });

interface SettingSpec {
  readonly schema: z.ZodType;
  readonly default?: string;
  readonly help: string;
}

/** Every setting: its variable, schema, default and one line of help (listed by --help). */
export const SETTINGS = {
  GAIM_WATCH_NAMESPACES: { schema: z.string(), default: '', help: 'Comma-separated namespaces to watch; empty watches all namespaces.' },
  GAIM_WORKERS: { schema: int(1, 64), default: '4', help: 'Gaims reconciled concurrently.' },
  GAIM_BACKOFF_BASE_MS: { schema: int(10, 3_600_000), default: '1000', help: 'First retry delay after a failed reconcile.' },
  GAIM_BACKOFF_CAP_MS: { schema: int(100, 86_400_000), default: '300000', help: 'Longest retry delay.' },
  GAIM_BACKOFF_JITTER: { schema: z.coerce.number().min(0).max(1), default: '0.2', help: 'Fraction by which each retry delay is randomly shortened (0 disables jitter).' },
  GAIM_RETRY_QPS: { schema: z.coerce.number().positive().max(10_000), default: '10', help: 'Global limit on retries per second, across all Gaims.' },
  GAIM_RETRY_BURST: { schema: int(1, 100_000), default: '100', help: 'Retries allowed in a burst above GAIM_RETRY_QPS.' },
  GAIM_RESYNC_SECONDS: { schema: int(0, 86_400), default: '600', help: 'Period of a full re-check of every Gaim (0 disables).' },
  GAIM_LEADER_ELECT: { schema: bool, default: 'true', help: 'Elect a leader on a Lease; only the leader reconciles.' },
  GAIM_LEASE_NAMESPACE: { schema: z.string().min(1), help: 'Namespace of the leader Lease (default: POD_NAMESPACE, else gaim-system).' },
  GAIM_LEASE_NAME: { schema: z.string().min(1), default: 'gaim-operator-leader', help: 'Name of the leader Lease.' },
  GAIM_LEASE_DURATION_SECONDS: { schema: int(2, 600), default: '15', help: 'How long a lease is valid without renewal; a standby takes over after this.' },
  GAIM_RENEW_DEADLINE_SECONDS: { schema: int(1, 600), default: '10', help: 'A leader that cannot renew for this long stops reconciling (must be below the lease duration).' },
  GAIM_RETRY_PERIOD_SECONDS: { schema: int(1, 60), default: '2', help: 'How often candidates try to acquire and the leader renews.' },
  GAIM_IDENTITY: { schema: z.string().min(1), help: 'This replica\'s identity on the Lease (default: hostname plus a random suffix).' },
  GAIM_RECONCILE_TIMEOUT_SECONDS: { schema: int(5, 3600), default: '120', help: 'Deadline of one reconcile; a store that does not answer in time fails the Gaim with errorType timeout.' },
  GAIM_SHUTDOWN_TIMEOUT_SECONDS: { schema: int(1, 600), default: '30', help: 'On SIGTERM, how long in-flight reconciles may finish before they are aborted.' },
  GAIM_BIND_ADDRESS: { schema: z.ipv4().or(z.ipv6()), default: '0.0.0.0', help: 'Address the health and metrics servers listen on.' },
  GAIM_HEALTH_PORT: { schema: port, default: '8081', help: 'Port of /healthz and /readyz.' },
  GAIM_METRICS_PORT: { schema: port, default: '8080', help: 'Port of /metrics (Prometheus).' },
  GAIM_LOG_LEVEL: { schema: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']), default: 'info', help: 'Log level: fatal, error, warn, info, debug or trace.' },
  GAIM_WATCH_INACTIVITY_SECONDS: { schema: int(5, 3600), default: '120', help: 'Restart a watch that delivered nothing, not even a bookmark, for this long.' },
  GAIM_SERVICE_ACCOUNT_DIR: { schema: z.string().startsWith('/', { message: 'expected an absolute path' }), default: '/var/run/secrets/kubernetes.io/serviceaccount', help: 'In a pod: where the service account token and CA are mounted.' },
  GAIM_CLUSTER_NAME: { schema: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, { message: 'expected a lowercase DNS label' }).max(63), default: 'default', help: 'Name of this cluster in Firestore sync entries.' },
  GAIM_FIRESTORE_PROJECT: { schema: z.string().min(1), help: 'Google Cloud project of the platform Firestore (default: GOOGLE_CLOUD_PROJECT).' },
  GAIM_FIRESTORE_DATABASE: { schema: z.string().min(1), default: '(default)', help: 'Firestore database id.' },
  GAIM_OPERATOR_IMAGE: { schema: z.string().regex(/^[a-z0-9][a-z0-9._/:@-]*$/, { message: 'expected a container image reference' }), default: 'ghcr.io/livingcontent/gaim-operator:0.1.0', help: 'Image of the seed-storage Job (this operator\'s own image; the Helm chart sets it).' },
  GAIM_SEED_NODE_SELECTOR: { schema: z.string().regex(/^([^=,\s]+=[^=,\s]*(,[^=,\s]+=[^=,\s]*)*)?$/, { message: 'expected key=value pairs separated by commas' }), default: '', help: 'Node selector of the seed-storage Job\'s pod (key=value,…); empty schedules it anywhere.' },
  GAIM_SEED_DEADLINE_SECONDS: { schema: int(30, 86_400), default: '900', help: 'How long a seed Job\'s seed may run, counted from its own start (the wait for its claim to be provisioned does not count).' },
  GAIM_IMAGE_PULL_SECRETS: { schema: z.string().regex(/^([a-z0-9]([-a-z0-9.]*[a-z0-9])?(,[a-z0-9]([-a-z0-9.]*[a-z0-9])?)*)?$/, { message: 'expected Secret names separated by commas' }), default: '', help: 'Image pull Secrets of the seed and maintenance Jobs (names, comma-separated; each must exist in every Gaim namespace): the operator\'s image from a private registry.' },
  GAIM_SEED_TOLERATIONS: { schema: z.string().regex(/^([^=,:\s]+(=[^=,:\s]*)?:(NoSchedule|PreferNoSchedule|NoExecute)(,[^=,:\s]+(=[^=,:\s]*)?:(NoSchedule|PreferNoSchedule|NoExecute))*)?$/, { message: 'expected key[=value]:Effect pairs separated by commas' }), default: '', help: 'Tolerations of the seed-storage Job\'s pod (key[=value]:NoSchedule,…), for tainted node pools.' },
  GAIM_STORAGE_UID: { schema: int(1, 2_147_483_647), default: '1000', help: 'User that owns each environment\'s LanceDB directory on the share; the seed Job runs as it (apps writing the tables should too).' },
  GAIM_STORAGE_GID: { schema: int(1, 2_147_483_647), default: '1000', help: 'Group that owns each environment\'s LanceDB directory (group-writable, setgid): every app of this group can write the tables.' },
  GAIM_PREPARE_SHARES: { schema: bool, default: 'true', help: 'Hand each environment\'s directory on a new share (root-owned, as Filestore makes it) to GAIM_STORAGE_UID/GID with an init container running as root with only CHOWN and FOWNER; needs the baseline Pod Security level. false: the share must already be writable by them (restricted namespaces, pre-owned shares).' },
  GAIM_NFS_SERVERS: { schema: z.string().regex(/^([a-zA-Z0-9][-a-zA-Z0-9.]*(,[a-zA-Z0-9][-a-zA-Z0-9.]*)*)?$/, { message: 'expected host names or IP addresses separated by commas' }), default: '',
    help: 'Filestore servers a Gaim may name in spec.lancedb.storage.nfs (exact, case-insensitive; not resolved). Empty: static NFS shares are refused.' },
  GAIM_NFS_PATH_TEMPLATE: { schema: z.string().regex(/^\/[^\s]*\{namespace\}[^\s]*$/, { message: 'expected an absolute path with {namespace} (and optionally {gaim}), such as /vol1/gaims/{namespace}' }),
    help: 'Where on an allowed server a Gaim\'s share may be: this path ({namespace} and {gaim} filled in) or below it. Required with GAIM_NFS_SERVERS.' },
  GAIM_MONGODB_IMAGE: { schema: z.string().regex(/^[a-z0-9][a-z0-9._/:@-]*$/, { message: 'expected a container image reference' }), default: PINNED_IMAGES.mongodb, help: 'MongoDB image of a Gaim whose spec names none (pinned by version and digest; changing it rolls those stores, gradually).' },
  GAIM_REDIS_IMAGE: { schema: z.string().regex(/^[a-z0-9][a-z0-9._/:@-]*$/, { message: 'expected a container image reference' }), default: PINNED_IMAGES.redis, help: 'Redis image of a Gaim whose spec names none (pinned by version and digest; changing it rolls those stores, gradually).' },
  GAIM_STORE_IMAGE_REPOSITORIES: { schema: z.string().regex(/^[a-z0-9][a-z0-9._/:-]*[a-z0-9](,[a-z0-9][a-z0-9._/:-]*[a-z0-9])*$/, { message: 'expected image repositories separated by commas' }), default: DEFAULT_STORE_REPOSITORIES.join(','),
    help: 'Repositories a store image may come from (the defaults and a Gaim\'s spec.mongodb.image / spec.redis.image): another fails the Gaim with ImageNotAllowed. The chart renders the same list into its admission policy.' },
  GAIM_OPERATOR_POD_LABELS: { schema: z.string().regex(/^[A-Za-z0-9./_-]+=[A-Za-z0-9._-]*(,[A-Za-z0-9./_-]+=[A-Za-z0-9._-]*)*$/, { message: 'expected key=value pairs separated by commas' }), default: 'app.kubernetes.io/name=gaim-operator',
    help: 'Labels of the operator\'s own pods (key=value,…): each store\'s NetworkPolicy admits these pods of the operator\'s namespace, and no other pod there. The chart sets its pods\' labels.' },
  GAIM_MAX_CONCURRENT_ROLLOUTS: { schema: int(1, 1000), default: '2', help: 'At most this many store StatefulSets roll (a changed pod template of an existing store) at once, cluster-wide; the others keep their running form until a slot frees.' },
  GAIM_MAX_CONCURRENT_SEEDS: { schema: int(1, 1000), default: '16', help: 'At most this many LanceDB seed Jobs run at once, cluster-wide; the Gaims after them wait in line (Seeded says so) and start as Jobs end, so a burst of new Gaims does not outrun its Jobs\' deadlines waiting for node capacity.' },
  GAIM_STORE_STARTUP_BASE_SECONDS: { schema: int(10, 3600), default: '300', help: 'Shortest startup budget of a MongoDB or Redis pod (it grows by a minute per 10 GiB of volume, to at most 4 h): a pod not ready within it fails its store, and MongoDB\'s startup probe gives up after it.' },
  GAIM_MONGODB_FCV_BURN_IN_SECONDS: { schema: int(0, 90 * 86400), default: '86400', help: 'After a MongoDB major upgrade, how long the new version must run ready without interruption before the operator raises its featureCompatibilityVersion (until then the image can be reverted).' },
  GAIM_SNAPSHOT_CLASS_MONGODB: { schema: z.string().regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, { message: 'expected a VolumeSnapshotClass name' }), help: 'VolumeSnapshotClass of MongoDB\'s data claims in backups (default: the default class of the claim\'s driver).' },
  GAIM_SNAPSHOT_CLASS_REDIS: { schema: z.string().regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, { message: 'expected a VolumeSnapshotClass name' }), help: 'VolumeSnapshotClass of Redis\'s data claims in backups (default: the default class of the claim\'s driver).' },
  GAIM_SNAPSHOT_CLASS_LANCEDB: { schema: z.string().regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, { message: 'expected a VolumeSnapshotClass name' }), help: 'VolumeSnapshotClass of the LanceDB claims in backups (default: the default class of the claim\'s driver).' },
  GAIM_BACKUP_TIMEOUT_SECONDS: { schema: int(10, 86_400), default: '3600', help: 'A backup whose snapshots are not all ready this long after it started fails (or, with spec.backup.requireAll false, completes with those that are).' },
  GAIM_RESTORE_STORAGE_CLASS_LANCEDB: { schema: z.string().regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, { message: 'expected a StorageClass name' }), default: 'enterprise-rwx',
    help: 'StorageClass a LanceDB backup is restored into when the Gaim\'s own class is a Filestore multishare class (GKE cannot restore a backup into an instance with several shares): a single-share Filestore class.' },
  GAIM_BACKUP_WORKERS: { schema: int(1, 16), default: '2', help: 'GaimBackups reconciled concurrently.' },
  GAIM_DEGRADED_AFTER_FAILURES: { schema: int(1, 1000), default: '5', help: 'After this many failed attempts in a row with the same retryable error, a Gaim says status.degraded: true (Argo CD: Degraded) while it keeps retrying.' },
  GAIM_QUEUE_SAMPLE_SECONDS: { schema: int(0, 3600), default: '30', help: 'How often each Gaim\'s task queues are sampled (with 10% jitter); 0 turns the prober (and the queue auto-pilot) off.' },
  GAIM_QUEUE_SAMPLE_CONCURRENCY: { schema: int(1, 64), default: '2', help: 'Gaims whose queues are sampled at once.' },
  GAIM_WAKE_POLL_SECONDS: { schema: int(0, 3600), default: '15', help: 'How often Firestore is asked for wake_requested_at of Gaims hibernated by spec.hibernation.mode Auto (one query, only while one sleeps); 0: Firestore does not wake Gaims.' },
  GAIM_ROTATION_GRACE_SECONDS: { schema: int(1, 30 * 86400), default: '86400', help: 'After a credential rotation, how long the previous app credentials keep working (apps holding them have this long to re-read the Secret).' },
  GAIM_STORE_ADDRESS_MAP: { schema: z.string().startsWith('/', { message: 'expected an absolute path' }), help: 'Out-of-cluster runs (the local stack): a JSON file mapping each store Service\'s host:port to where it listens; re-read when it changes.' },
  GAIM_MONGODB_ADDRESS_OVERRIDE: { schema: hostPort, help: 'Out-of-cluster runs: reach every GAIM\'s MongoDB at this host:port instead of its Service.' },
  GAIM_REDIS_ADDRESS_OVERRIDE: { schema: hostPort, help: 'Out-of-cluster runs: reach every GAIM\'s Redis at this host:port instead of its Service.' },
} as const satisfies Record<string, SettingSpec>;

export interface Toleration {
  readonly key: string;
  readonly operator: 'Equal' | 'Exists';
  readonly value?: string;
  readonly effect: string;
}

export interface Settings {
  readonly watchNamespaces: readonly string[];
  readonly workers: number;
  readonly backoff: { readonly baseMs: number; readonly capMs: number; readonly jitter: number };
  readonly retryQps: number;
  readonly retryBurst: number;
  readonly resyncMs: number;
  readonly leaderElection: {
    readonly enabled: boolean;
    readonly namespace: string;
    readonly name: string;
    readonly identity: string;
    readonly leaseDurationMs: number;
    /** A leader that has not renewed for this long steps down; below the lease duration. */
    readonly renewDeadlineMs: number;
    readonly retryPeriodMs: number;
  };
  readonly reconcileTimeoutMs: number;
  readonly shutdownTimeoutMs: number;
  readonly bindAddress: string;
  readonly healthPort: number;
  readonly metricsPort: number;
  readonly logLevel: string;
  readonly watchInactivityMs: number;
  readonly clusterName: string;
  readonly serviceAccountDir: string;
  readonly firestore: { readonly projectId: string | undefined; readonly databaseId: string; readonly emulatorHost: string | undefined };
  readonly overrides: { readonly mongodb: string | undefined; readonly redis: string | undefined; readonly addressMap: string | undefined };
  /** Static NFS shares a Gaim may name: on these servers, at or below the rendered template. */
  readonly nfs: NfsAllowList;
  readonly seedJob: SeedJobSettings;
  /** Store images of Gaims whose spec names none. */
  readonly images: StoreImages;
  /** Repositories a store image may come from. */
  readonly storeRepositories: readonly string[];
  /** Labels of the operator's own pods: the only pods of its namespace the stores admit. */
  readonly operatorPodLabels: Readonly<Record<string, string>>;
  /** Store rollouts allowed in flight at once, cluster-wide. */
  readonly maxConcurrentRollouts: number;
  /** Seed Jobs allowed to run at once, cluster-wide. */
  readonly maxConcurrentSeeds: number;
  /** How long previous app credentials keep working after a rotation, in seconds. */
  readonly rotationGraceSeconds: number;
  /** How long a new MongoDB major version runs ready before its featureCompatibilityVersion is raised, in seconds. */
  readonly mongodbFcvBurnInSeconds: number;
  readonly backups: BackupSettings;
  readonly degradedAfterFailures: number;
  readonly queueSampling: { readonly intervalMs: number; readonly concurrency: number };
  /** How often Firestore is asked for wake requests; 0: never. */
  readonly wakePollMs: number;
  /** The shortest startup budget of a store pod, in seconds (it grows with the volume). */
  readonly storeStartupBaseSeconds: number;
}

export interface BackupSettings {
  /** VolumeSnapshotClass per store; undefined: the default class of the claim's driver. */
  readonly snapshotClasses: Readonly<Record<'mongodb' | 'redis' | 'lancedb', string | undefined>>;
  readonly timeoutSeconds: number;
  readonly workers: number;
  /** The single-share class a LanceDB backup of a multishare share is restored into. */
  readonly lancedbRestoreClass: string;
}

export interface NfsAllowList {
  /** Lowercase host names or addresses; empty: no static NFS share is allowed. */
  readonly servers: readonly string[];
  /** `/vol1/gaims/{namespace}`; undefined when no server is allowed. */
  readonly pathTemplate: string | undefined;
}

export interface SeedJobSettings {
  readonly image: string;
  readonly nodeSelector: Readonly<Record<string, string>>;
  readonly tolerations: readonly Toleration[];
  /** Who owns each environment's directory on the share, and runs the seed. */
  readonly storageUid: number;
  readonly storageGid: number;
  /** Whether an init container hands new directories to storageUid/storageGid. */
  readonly prepareShares: boolean;
  /** Image pull Secrets of the Jobs' pods, by name (in the Gaim's namespace). */
  readonly imagePullSecrets: readonly string[];
  /** How long the seed may run, from its own start. */
  readonly seedDeadlineSeconds: number;
}

/** A setting is invalid; `message` is the one line start-up prints. */
export class SettingsError extends Error {
  override name = 'SettingsError';
}

type Env = Readonly<Record<string, string | undefined>>;

function read<K extends keyof typeof SETTINGS>(env: Env, key: K): z.output<(typeof SETTINGS)[K]['schema']> | undefined {
  const spec: SettingSpec = SETTINGS[key];
  const raw = env[key] ?? spec.default;
  if (raw === undefined) return undefined;
  const result = spec.schema.safeParse(raw.trim());
  if (!result.success) {
    const reason = result.error.issues[0]?.message ?? 'invalid value';
    throw new SettingsError(`invalid setting ${key}=${JSON.stringify(env[key] ?? '')}: ${reason}`);
  }
  return result.data as z.output<(typeof SETTINGS)[K]['schema']>;
}

function required<T>(value: T | undefined, key: string): T {
  if (value === undefined) throw new SettingsError(`missing setting ${key}`);
  return value;
}

export function parseSettings(env: Env = process.env): Settings {
  const unknown = Object.keys(env).filter((key) => key.startsWith('GAIM_') && !(key in SETTINGS));
  if (unknown.length > 0) throw new SettingsError(`unknown setting ${unknown.join(', ')} (see gaim-operator --help)`);

  const leaseDuration = required(read(env, 'GAIM_LEASE_DURATION_SECONDS'), 'GAIM_LEASE_DURATION_SECONDS');
  const renewDeadline = required(read(env, 'GAIM_RENEW_DEADLINE_SECONDS'), 'GAIM_RENEW_DEADLINE_SECONDS');
  const retryPeriod = required(read(env, 'GAIM_RETRY_PERIOD_SECONDS'), 'GAIM_RETRY_PERIOD_SECONDS');
  if (renewDeadline >= leaseDuration) {
    throw new SettingsError(`invalid setting GAIM_RENEW_DEADLINE_SECONDS=${renewDeadline}: must be less than GAIM_LEASE_DURATION_SECONDS (${leaseDuration})`);
  }
  if (retryPeriod >= renewDeadline) {
    throw new SettingsError(`invalid setting GAIM_RETRY_PERIOD_SECONDS=${retryPeriod}: must be less than GAIM_RENEW_DEADLINE_SECONDS (${renewDeadline})`);
  }
  const baseMs = required(read(env, 'GAIM_BACKOFF_BASE_MS'), 'GAIM_BACKOFF_BASE_MS');
  const capMs = required(read(env, 'GAIM_BACKOFF_CAP_MS'), 'GAIM_BACKOFF_CAP_MS');
  if (capMs < baseMs) throw new SettingsError(`invalid setting GAIM_BACKOFF_CAP_MS=${capMs}: must be at least GAIM_BACKOFF_BASE_MS (${baseMs})`);
  const nfsServers = required(read(env, 'GAIM_NFS_SERVERS'), 'GAIM_NFS_SERVERS').split(',').filter(Boolean).map((s) => s.toLowerCase());
  const nfsPathTemplate = read(env, 'GAIM_NFS_PATH_TEMPLATE');
  if (nfsServers.length > 0 && nfsPathTemplate === undefined) {
    throw new SettingsError('missing setting GAIM_NFS_PATH_TEMPLATE: it is required with GAIM_NFS_SERVERS (where on those servers a Gaim\'s share may be, such as /vol1/gaims/{namespace})');
  }
  const storeRepositories = required(read(env, 'GAIM_STORE_IMAGE_REPOSITORIES'), 'GAIM_STORE_IMAGE_REPOSITORIES').split(',');
  for (const key of ['GAIM_MONGODB_IMAGE', 'GAIM_REDIS_IMAGE'] as const) {
    const image = required(read(env, key), key);
    if (!fromRepositories(image, storeRepositories)) throw new SettingsError(`invalid setting ${key}=${JSON.stringify(image)}: its repository is not in GAIM_STORE_IMAGE_REPOSITORIES (${storeRepositories.join(', ')})`);
  }
  const healthPort = required(read(env, 'GAIM_HEALTH_PORT'), 'GAIM_HEALTH_PORT');
  const metricsPort = required(read(env, 'GAIM_METRICS_PORT'), 'GAIM_METRICS_PORT');
  if (healthPort === metricsPort) throw new SettingsError(`invalid setting GAIM_METRICS_PORT=${metricsPort}: must differ from GAIM_HEALTH_PORT`);

  const settings: Settings = {
    watchNamespaces: required(read(env, 'GAIM_WATCH_NAMESPACES'), 'GAIM_WATCH_NAMESPACES').split(',').map((s) => s.trim()).filter(Boolean),
    workers: required(read(env, 'GAIM_WORKERS'), 'GAIM_WORKERS'),
    backoff: { baseMs, capMs, jitter: required(read(env, 'GAIM_BACKOFF_JITTER'), 'GAIM_BACKOFF_JITTER') },
    retryQps: required(read(env, 'GAIM_RETRY_QPS'), 'GAIM_RETRY_QPS'),
    retryBurst: required(read(env, 'GAIM_RETRY_BURST'), 'GAIM_RETRY_BURST'),
    resyncMs: required(read(env, 'GAIM_RESYNC_SECONDS'), 'GAIM_RESYNC_SECONDS') * 1000,
    leaderElection: {
      enabled: required(read(env, 'GAIM_LEADER_ELECT'), 'GAIM_LEADER_ELECT'),
      namespace: read(env, 'GAIM_LEASE_NAMESPACE') ?? env['POD_NAMESPACE'] ?? 'gaim-system',
      name: required(read(env, 'GAIM_LEASE_NAME'), 'GAIM_LEASE_NAME'),
      identity: read(env, 'GAIM_IDENTITY') ?? `${hostname()}-${randomBytes(3).toString('hex')}`,
      leaseDurationMs: leaseDuration * 1000,
      renewDeadlineMs: renewDeadline * 1000,
      retryPeriodMs: retryPeriod * 1000,
    },
    reconcileTimeoutMs: required(read(env, 'GAIM_RECONCILE_TIMEOUT_SECONDS'), 'GAIM_RECONCILE_TIMEOUT_SECONDS') * 1000,
    shutdownTimeoutMs: required(read(env, 'GAIM_SHUTDOWN_TIMEOUT_SECONDS'), 'GAIM_SHUTDOWN_TIMEOUT_SECONDS') * 1000,
    bindAddress: required(read(env, 'GAIM_BIND_ADDRESS'), 'GAIM_BIND_ADDRESS'),
    healthPort,
    metricsPort,
    logLevel: required(read(env, 'GAIM_LOG_LEVEL'), 'GAIM_LOG_LEVEL'),
    watchInactivityMs: required(read(env, 'GAIM_WATCH_INACTIVITY_SECONDS'), 'GAIM_WATCH_INACTIVITY_SECONDS') * 1000,
    clusterName: required(read(env, 'GAIM_CLUSTER_NAME'), 'GAIM_CLUSTER_NAME'),
    serviceAccountDir: required(read(env, 'GAIM_SERVICE_ACCOUNT_DIR'), 'GAIM_SERVICE_ACCOUNT_DIR'),
    firestore: {
      projectId: read(env, 'GAIM_FIRESTORE_PROJECT') ?? env['GOOGLE_CLOUD_PROJECT'],
      databaseId: required(read(env, 'GAIM_FIRESTORE_DATABASE'), 'GAIM_FIRESTORE_DATABASE'),
      emulatorHost: env['FIRESTORE_EMULATOR_HOST'],
    },
    overrides: { mongodb: read(env, 'GAIM_MONGODB_ADDRESS_OVERRIDE'), redis: read(env, 'GAIM_REDIS_ADDRESS_OVERRIDE'), addressMap: read(env, 'GAIM_STORE_ADDRESS_MAP') },
    nfs: { servers: nfsServers, pathTemplate: nfsServers.length === 0 ? undefined : nfsPathTemplate },
    rotationGraceSeconds: required(read(env, 'GAIM_ROTATION_GRACE_SECONDS'), 'GAIM_ROTATION_GRACE_SECONDS'),
    images: { mongodb: required(read(env, 'GAIM_MONGODB_IMAGE'), 'GAIM_MONGODB_IMAGE'), redis: required(read(env, 'GAIM_REDIS_IMAGE'), 'GAIM_REDIS_IMAGE') },
    storeRepositories,
    operatorPodLabels: Object.fromEntries(required(read(env, 'GAIM_OPERATOR_POD_LABELS'), 'GAIM_OPERATOR_POD_LABELS').split(',').map((pair) => pair.split('=') as [string, string])),
    maxConcurrentRollouts: required(read(env, 'GAIM_MAX_CONCURRENT_ROLLOUTS'), 'GAIM_MAX_CONCURRENT_ROLLOUTS'),
    maxConcurrentSeeds: required(read(env, 'GAIM_MAX_CONCURRENT_SEEDS'), 'GAIM_MAX_CONCURRENT_SEEDS'),
    degradedAfterFailures: required(read(env, 'GAIM_DEGRADED_AFTER_FAILURES'), 'GAIM_DEGRADED_AFTER_FAILURES'),
    wakePollMs: required(read(env, 'GAIM_WAKE_POLL_SECONDS'), 'GAIM_WAKE_POLL_SECONDS') * 1000,
    queueSampling: {
      intervalMs: required(read(env, 'GAIM_QUEUE_SAMPLE_SECONDS'), 'GAIM_QUEUE_SAMPLE_SECONDS') * 1000,
      concurrency: required(read(env, 'GAIM_QUEUE_SAMPLE_CONCURRENCY'), 'GAIM_QUEUE_SAMPLE_CONCURRENCY'),
    },
    backups: {
      snapshotClasses: { mongodb: read(env, 'GAIM_SNAPSHOT_CLASS_MONGODB'), redis: read(env, 'GAIM_SNAPSHOT_CLASS_REDIS'), lancedb: read(env, 'GAIM_SNAPSHOT_CLASS_LANCEDB') },
      timeoutSeconds: required(read(env, 'GAIM_BACKUP_TIMEOUT_SECONDS'), 'GAIM_BACKUP_TIMEOUT_SECONDS'),
      workers: required(read(env, 'GAIM_BACKUP_WORKERS'), 'GAIM_BACKUP_WORKERS'),
      lancedbRestoreClass: required(read(env, 'GAIM_RESTORE_STORAGE_CLASS_LANCEDB'), 'GAIM_RESTORE_STORAGE_CLASS_LANCEDB'),
    },
    mongodbFcvBurnInSeconds: required(read(env, 'GAIM_MONGODB_FCV_BURN_IN_SECONDS'), 'GAIM_MONGODB_FCV_BURN_IN_SECONDS'),
    storeStartupBaseSeconds: required(read(env, 'GAIM_STORE_STARTUP_BASE_SECONDS'), 'GAIM_STORE_STARTUP_BASE_SECONDS'),
    seedJob: {
      image: required(read(env, 'GAIM_OPERATOR_IMAGE'), 'GAIM_OPERATOR_IMAGE'),
      storageUid: required(read(env, 'GAIM_STORAGE_UID'), 'GAIM_STORAGE_UID'),
      storageGid: required(read(env, 'GAIM_STORAGE_GID'), 'GAIM_STORAGE_GID'),
      prepareShares: required(read(env, 'GAIM_PREPARE_SHARES'), 'GAIM_PREPARE_SHARES'),
      imagePullSecrets: required(read(env, 'GAIM_IMAGE_PULL_SECRETS'), 'GAIM_IMAGE_PULL_SECRETS').split(',').filter(Boolean),
      seedDeadlineSeconds: required(read(env, 'GAIM_SEED_DEADLINE_SECONDS'), 'GAIM_SEED_DEADLINE_SECONDS'),
      nodeSelector: Object.fromEntries(required(read(env, 'GAIM_SEED_NODE_SELECTOR'), 'GAIM_SEED_NODE_SELECTOR')
        .split(',').filter(Boolean).map((pair) => pair.split('=') as [string, string])),
      tolerations: required(read(env, 'GAIM_SEED_TOLERATIONS'), 'GAIM_SEED_TOLERATIONS').split(',').filter(Boolean).map((item): Toleration => {
        const [keyValue = '', effect = ''] = item.split(':');
        const [key = '', value] = keyValue.split('=');
        return value === undefined ? { key, operator: 'Exists', effect } : { key, operator: 'Equal', value, effect };
      }),
    },
  };
  return deepFreeze(settings);
}

/** Lines for --help: each variable, its default and what it does. */
export function settingsHelp(): string {
  return Object.entries(SETTINGS as Record<string, SettingSpec>)
    .map(([key, spec]) => `  ${key.padEnd(32)} ${spec.help}${spec.default === undefined ? '' : ` [default: ${JSON.stringify(spec.default)}]`}`)
    .join('\n');
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
