import type { Gaim, GaimStatus, SyncStatus } from '../api/v1alpha1/gaim.js';
import type { ErrorType } from '../errors.js';
import { compareText } from '../text-order.js';
import type { Readiness } from '../resources/readiness.js';
import { removeCondition, setCondition, type ConditionUpdate } from './conditions.js';
import type { Ledger } from './retry-ledger.js';
import { Reason } from './reasons.js';

export interface StoresReadiness {
  readonly mongodb: Readiness | 'disabled';
  readonly redis: Readiness | 'disabled';
  readonly storage: Readiness;
}

export type SeedWarning = NonNullable<GaimStatus['seedWarnings']>[number];
export type ClaimSize = NonNullable<GaimStatus['claims']>[number];

export interface SeedingInput {
  readonly seeded: NonNullable<GaimStatus['seeded']>;
  readonly pending: readonly string[];
  readonly failed: readonly string[];
  /** Stores seeded in this reconcile (a warning of an earlier seed is kept while none is reseeded). */
  readonly justSeeded?: readonly string[];
  /** Why stores wait, where Kubernetes said. */
  readonly details?: readonly string[];
  /** Steps a store seeded now could not do: kept in status.seedWarnings until that store is seeded again. */
  readonly warnings?: readonly SeedWarning[];
}

export interface StatusInput {
  readonly gaim: Pick<Gaim, 'metadata'> & { status?: GaimStatus | undefined };
  readonly now: Date;
  /** Set when the reconcile failed; the error wins over readiness for syncStatus. */
  readonly error?: { readonly type: ErrorType; readonly message: string; readonly reason: string; readonly terminal?: boolean } | undefined;
  readonly stores?: StoresReadiness | undefined;
  readonly suspended?: boolean;
  /** The finalizer runs: Ready=False with this reason (Deleting, FinalBackupPending), Progressing; every other field as it was. */
  readonly deleting?: { readonly reason: string; readonly message: string } | undefined;
  readonly endpoints?: GaimStatus['endpoints'];
  /** Each claim's requested and actual size, as observed; undefined keeps the previous. */
  readonly claims?: readonly ClaimSize[] | undefined;
  /** The retry ledger after this attempt. */
  readonly ledger?: Ledger;
  readonly retryNowHandled?: string;
  /** Rollouts that wait for a slot, each said in a sentence; undefined or empty: none. */
  readonly rolloutsWaiting?: readonly string[] | undefined;
  /** Credential rotation: the request every store switched for, and when; undefined keeps the previous. */
  readonly rotation?: { readonly handled?: string; readonly rotatedAt?: string } | undefined;
  /** Backups: the newest Completed one, the schedule's last slot, BackedUp ('remove' without a schedule); undefined keeps the previous. */
  readonly backups?: { readonly lastBackup?: GaimStatus['lastBackup']; readonly lastScheduleTime?: string | undefined; readonly condition: ConditionUpdate | 'remove' } | undefined;
  /** Failed attempts of the same error in a row from which the Gaim counts as degraded (default 5). */
  readonly degradedAfterFailures?: number;
  /** LanceDB maintenance; undefined keeps the previous. */
  readonly maintenance?: GaimStatus['maintenance'] | undefined;
  /** Queue figures and QueuesHealthy, when worth writing; undefined keeps the previous. */
  readonly queues?: { readonly entries: NonNullable<GaimStatus['queues']>; readonly condition: ConditionUpdate } | undefined;
  /** The GaimBackup the claims were restored from; undefined keeps the previous. */
  readonly restoredFrom?: string | undefined;
  /** What MongoDB said of its version; undefined keeps the previous. */
  readonly mongodbVersion?: GaimStatus['mongodbVersion'] | undefined;
  /** Whether gaims/{gaimId} in Firestore reflects this status; undefined when not attempted. */
  readonly firestore?: { readonly ok: boolean; readonly message: string } | undefined;
  /** What seeding achieved this time; undefined when seeding did not run. */
  readonly seeding?: SeedingInput | undefined;
  /** Hibernation (spec.hibernation); undefined keeps hibernatedAt and the Hibernated condition as they were. */
  readonly hibernation?: HibernationStatus | undefined;
}

/**
 * Where a Gaim stands with hibernation: `asleep` (its stores at zero replicas, no pod left),
 * `hibernating` (scaled to zero, pods still stopping), `held` (mode On waits for something under
 * way), or `awake` (it runs; `waking` on the reconcile that wakes it, and after it until Synced).
 */
export interface HibernationStatus {
  readonly state: 'asleep' | 'hibernating' | 'held' | 'waking' | 'awake';
  /** Whether to show the Hibernated condition at all (spec.hibernation is On or Auto, or it was shown). */
  readonly shown: boolean;
  /** Asleep or hibernating: since when (status.hibernatedAt), and the generation it went to sleep at. */
  readonly since?: string;
  readonly generation?: number;
  /** Why: what put it to sleep, what woke it, what holds it. */
  readonly message: string;
  /** Changes asked for while asleep, applied on wake. */
  readonly deferred?: readonly string[];
  /** Auto, awake: the idle clock. */
  readonly idleSince?: string | undefined;
  /** The wake annotation's value now (recorded asleep or awake). */
  readonly wakeHandled?: string | undefined;
}

const fromReadiness = (type: ConditionUpdate['type'], r: Readiness | 'disabled'): ConditionUpdate =>
  r === 'disabled'
    ? { type, status: 'True', reason: Reason.Disabled, message: 'not enabled in the spec' }
    : { type, status: r.ready ? 'True' : 'False', reason: r.reason, message: r.message };

/**
 * The Gaim's status as a pure function of what the reconcile found. Conditions keep their
 * transition times when unchanged, so equal inputs give an equal status and no write.
 */
export function buildStatus(input: StatusInput): GaimStatus {
  const previous = input.gaim.status ?? {};
  const generation = input.gaim.metadata.generation ?? 0;
  let conditions = previous.conditions ?? [];
  const set = (update: ConditionUpdate) => { conditions = setCondition(conditions, update, generation, input.now); };

  let syncStatus: SyncStatus;
  let message: string;
  const hibernation = input.hibernation;
  const sleeping = hibernation !== undefined && (hibernation.state === 'asleep' || hibernation.state === 'hibernating') ? hibernation : undefined;
  if (input.stores !== undefined) {
    set(fromReadiness('MongoDBReady', input.stores.mongodb));
    set(fromReadiness('RedisReady', input.stores.redis));
    set({ type: 'StorageReady', status: input.stores.storage.ready ? 'True' : 'False', reason: input.stores.storage.reason, message: input.stores.storage.message });
  }
  const seedWarnings = input.seeding === undefined ? previous.seedWarnings ?? [] : currentWarnings(input.seeding, previous.seedWarnings ?? []);
  if (input.seeding !== undefined) set(seededCondition(input.seeding, seedWarnings));
  if (input.queues !== undefined) set(input.queues.condition);
  if (input.backups !== undefined) {
    const backedUp = input.backups.condition;
    if (backedUp === 'remove') conditions = removeCondition(conditions, 'BackedUp');
    else set(backedUp);
  }
  if (input.firestore !== undefined) {
    set(input.firestore.ok
      ? { type: 'FirestoreSynced', status: 'True', reason: Reason.FirestoreWritten, message: input.firestore.message }
      : { type: 'FirestoreSynced', status: 'False', reason: Reason.FirestoreUnavailable, message: input.firestore.message });
  }
  // Ready is the Kubernetes side: stores up and seeded. Firestore (config documents, write-back)
  // may lag during an outage without holding Ready back; syncStatus waits for it too.
  const pending = (['MongoDBReady', 'RedisReady', 'StorageReady'] as const)
    .map((type) => conditions.find((c) => c.type === type))
    .filter((c) => c === undefined || c.status !== 'True');
  const seedingLeft = [...(input.seeding?.pending ?? []), ...(input.seeding?.failed ?? [])];
  const kubernetesSeeding = seedingLeft.filter((store) => store !== 'firestore');
  const seeded = conditions.find((c) => c.type === 'Seeded');

  if (input.deleting !== undefined) {
    syncStatus = 'Progressing';
    message = input.deleting.message;
    set({ type: 'Ready', status: 'False', reason: input.deleting.reason, message });
  } else if (input.error !== undefined) {
    syncStatus = 'Failed';
    message = input.error.message;
    set({ type: 'Ready', status: 'False', reason: input.error.reason, message: input.error.message });
  } else if (input.suspended === true) {
    syncStatus = previous.syncStatus ?? 'Progressing';
    message = 'suspended: spec.suspend is true, no changes are made';
    set({ type: 'Ready', status: 'False', reason: Reason.Suspended, message });
  } else if (sleeping !== undefined) {
    // Asleep is what the spec asks for, reached: Synced, with Ready False (nothing to connect to).
    const asleep = sleeping.state === 'asleep';
    syncStatus = asleep ? 'Synced' : 'Progressing';
    message = [asleep ? `hibernated since ${sleeping.since ?? ''}: ${sleeping.message}` : `hibernating: ${sleeping.message}`, ...(sleeping.deferred ?? [])].join('; ');
    for (const type of ['MongoDBReady', 'RedisReady'] as const) {
      if (conditions.find((c) => c.type === type)?.reason !== Reason.Disabled) set({ type, status: 'False', reason: Reason.Hibernated, message: 'stopped: the Gaim hibernates' });
    }
    set({ type: 'Ready', status: 'False', reason: asleep ? Reason.Hibernated : Reason.Hibernating, message });
  } else if (pending.length > 0 || kubernetesSeeding.length > 0) {
    syncStatus = 'Progressing';
    message = [...pending.map((c) => (c === undefined ? 'waiting' : `${c.type}: ${c.message}`)), ...(kubernetesSeeding.length > 0 ? [`waiting to seed: ${kubernetesSeeding.join(', ')}`] : [])].join('; ');
    set({ type: 'Ready', status: 'False', reason: Reason.Progressing, message });
  } else if (seeded !== undefined && seeded.status !== 'True') {
    syncStatus = 'Progressing';
    message = `stores are ready; ${seeded.message}`;
    set({ type: 'Ready', status: 'True', reason: Reason.Ready, message: 'all stores are ready' });
  } else {
    syncStatus = 'Synced';
    // A store whose new form waits for a rollout slot runs its previous form meanwhile: still Synced.
    message = ['all stores are ready and seeded', ...(input.rolloutsWaiting ?? [])].join('; ');
    set({ type: 'Ready', status: 'True', reason: Reason.Ready, message });
  }

  if (hibernation !== undefined) conditions = hibernatedCondition(conditions, hibernation, syncStatus, generation, input.now);

  // Deleting: the finalizer's word on Ready, and the rest as the last reconcile left it.
  if (input.deleting !== undefined) return { ...previous, syncStatus, message, conditions };
  const streak = errorStreak(input, previous, conditions);
  return {
    observedGeneration: generation,
    syncStatus,
    ...(streak === undefined ? {} : { sameErrorStreak: streak, degraded: input.error?.terminal !== true && streak >= (input.degradedAfterFailures ?? 5) }),
    ...(input.error === undefined ? {} : { errorType: input.error.type }),
    message,
    conditions,
    ...(input.endpoints === undefined ? (previous.endpoints === undefined ? {} : { endpoints: previous.endpoints }) : { endpoints: input.endpoints }),
    ...keep('claims', input.claims === undefined ? previous.claims : input.claims.length === 0 ? undefined : [...input.claims]),
    ...(input.seeding === undefined ? (previous.seeded === undefined ? {} : { seeded: previous.seeded }) : { seeded: input.seeding.seeded }),
    ...(seedWarnings.length === 0 ? {} : { seedWarnings }),
    ...ledgerFields(input.ledger ?? { retryCount: previous.retryCount ?? 0, ...pick(previous) }),
    ...(input.retryNowHandled === undefined ? (previous.retryNowHandled === undefined ? {} : { retryNowHandled: previous.retryNowHandled }) : { retryNowHandled: input.retryNowHandled }),
    ...keep('rotateCredentialsHandled', input.rotation?.handled ?? previous.rotateCredentialsHandled),
    ...keep('credentialsRotatedAt', input.rotation?.rotatedAt ?? previous.credentialsRotatedAt),
    ...keep('mongodbVersion', input.mongodbVersion ?? previous.mongodbVersion),
    ...keep('queues', input.queues === undefined ? previous.queues : input.queues.entries.length === 0 ? previous.queues : [...input.queues.entries]),
    ...keep('maintenance', input.maintenance ?? previous.maintenance),
    ...keep('lastBackup', input.backups === undefined ? previous.lastBackup : input.backups.lastBackup),
    ...keep('lastScheduleTime', input.backups === undefined ? previous.lastScheduleTime : input.backups.lastScheduleTime),
    ...keep('restoredFrom', input.restoredFrom ?? previous.restoredFrom),
    ...(hibernation === undefined ? hibernationFields(previous) : {
      ...keep('hibernatedAt', sleeping?.since),
      ...keep('hibernatedGeneration', sleeping?.generation),
      ...keep('idleSince', hibernation.idleSince),
      ...keep('wakeHandled', hibernation.wakeHandled ?? previous.wakeHandled),
    }),
  };
}

function hibernationFields(previous: GaimStatus): Partial<GaimStatus> {
  return {
    ...keep('hibernatedAt', previous.hibernatedAt),
    ...keep('hibernatedGeneration', previous.hibernatedGeneration),
    ...keep('idleSince', previous.idleSince),
    ...keep('wakeHandled', previous.wakeHandled),
  };
}

/**
 * Hibernated: True while asleep; False while going to sleep (Hibernating), held (HibernationHeld),
 * waking (Waking, until Synced) and awake (Awake). Shown only for a Gaim that hibernates or did.
 */
function hibernatedCondition(conditions: NonNullable<GaimStatus['conditions']>, h: HibernationStatus, syncStatus: SyncStatus, generation: number, now: Date): NonNullable<GaimStatus['conditions']> {
  const before = conditions.find((c) => c.type === 'Hibernated');
  if (!h.shown && before === undefined) return conditions;
  const waking = h.state === 'waking' || (h.state === 'awake' && before?.reason === Reason.Waking && syncStatus !== 'Synced');
  const update: ConditionUpdate =
    h.state === 'asleep' ? { type: 'Hibernated', status: 'True', reason: Reason.Hibernated, message: `stores at zero replicas since ${h.since ?? ''}: ${h.message}` }
    : h.state === 'hibernating' ? { type: 'Hibernated', status: 'False', reason: Reason.Hibernating, message: h.message }
    : h.state === 'held' ? { type: 'Hibernated', status: 'False', reason: Reason.HibernationHeld, message: `hibernation waits: ${h.message}` }
    : waking ? { type: 'Hibernated', status: 'False', reason: Reason.Waking, message: h.state === 'waking' ? `waking: ${h.message}` : before?.message ?? 'waking' }
    : { type: 'Hibernated', status: 'False', reason: Reason.Awake, message: h.message };
  return setCondition(conditions, update, generation, now);
}

/**
 * Failed attempts in a row with the same errorType and reason: one more each time the ledger counts
 * an attempt and the error is the one before; back to 1 for another error; gone after a success.
 */
function errorStreak(input: StatusInput, previous: GaimStatus, conditions: readonly { type: string; reason: string }[]): number | undefined {
  if (input.error === undefined) return undefined;
  const reason = conditions.find((c) => c.type === 'Ready')?.reason;
  const before = previous.conditions?.find((c) => c.type === 'Ready')?.reason;
  const same = previous.syncStatus === 'Failed' && previous.errorType === input.error.type && before === reason && previous.sameErrorStreak !== undefined;
  const counted = (input.ledger?.retryCount ?? 0) > (previous.retryCount ?? 0);
  if (!same) return 1;
  return counted ? (previous.sameErrorStreak ?? 0) + 1 : previous.sameErrorStreak;
}

/** The warnings of stores seeded now replace theirs; the others' stay until those stores are seeded again. */
function currentWarnings(seeding: SeedingInput, previous: readonly SeedWarning[]): SeedWarning[] {
  const reseeded = new Set<string>(seeding.justSeeded ?? []);
  return [...previous.filter((w) => !reseeded.has(w.store)), ...(seeding.warnings ?? [])];
}

/**
 * Seeded: False while a store waits or failed; True once all are seeded — with the reason of a step
 * a store could not do (AppUserUnsupported) while there is one, so a store that cannot do
 * everything is never silently Synced.
 */
function seededCondition(seeding: SeedingInput, warnings: readonly SeedWarning[]): ConditionUpdate {
  const { pending: waiting, failed } = seeding;
  if (failed.length > 0) return { type: 'Seeded', status: 'False', reason: Reason.SeedFailed, message: `seeding failed: ${failed.join(', ')}` };
  if (waiting.length > 0) {
    const why = (seeding.details ?? []).length > 0 ? ` (${(seeding.details ?? []).join('; ')})` : '';
    return { type: 'Seeded', status: 'False', reason: Reason.SeedPending, message: `waiting to seed: ${waiting.join(', ')}${why}` };
  }
  const warning = warnings[0];
  if (warning !== undefined) return { type: 'Seeded', status: 'True', reason: warning.reason, message: `every store is seeded for the current spec, but ${warning.store}: ${warning.message}` };
  return { type: 'Seeded', status: 'True', reason: Reason.Seeded, message: 'every store is seeded for the current spec' };
}

/** `{ key: value }`, or nothing when value is undefined (status fields are absent, never null). */
function keep<K extends keyof GaimStatus>(key: K, value: GaimStatus[K] | undefined): Partial<GaimStatus> {
  return value === undefined ? {} : { [key]: value };
}

function pick(status: GaimStatus): Partial<Ledger> {
  return {
    ...(status.lastRetryAt === undefined ? {} : { lastRetryAt: status.lastRetryAt }),
    ...(status.nextRetryAt === undefined ? {} : { nextRetryAt: status.nextRetryAt }),
  };
}

function ledgerFields(ledger: Ledger): Pick<GaimStatus, 'retryCount' | 'lastRetryAt' | 'nextRetryAt'> {
  return {
    retryCount: ledger.retryCount,
    ...(ledger.lastRetryAt === undefined ? {} : { lastRetryAt: ledger.lastRetryAt }),
    ...(ledger.nextRetryAt === undefined ? {} : { nextRetryAt: ledger.nextRetryAt }),
  };
}

/** Equal statuses need no write. Key order does not matter; values do. */
export function sameStatus<T extends object>(a: T | undefined, b: T): boolean {
  return canonical(a ?? {}) === canonical(b);
}

function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    typeof v === 'object' && v !== null && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined).sort(([a], [b]) => compareText(a, b)))
      : v);
}
