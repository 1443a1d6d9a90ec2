// Step 5 of the reconcile: record the outcome — the retry ledger, Firestore's gaims/{gaimId}, the
// CR status and events — each written only when it changed, and tell the engine when to come back.
import type { Gaim, GaimStatus } from '../../api/v1alpha1/gaim.js';
import type { BackoffPolicy } from '../../controller/backoff.js';
import { done, requeueAfter, type ReconcileContext, type ReconcileResult } from '../../controller/result.js';
import { errorMessage, type OperatorError } from '../../errors.js';
import type { KubeClient } from '../../kube/client.js';
import type { EventRecorder } from '../../kube/events.js';
import { isNotFound } from '../../kube/errors.js';
import { objectKey, type KubeObject } from '../../kube/objects.js';
import { Resources } from '../../kube/resources.js';
import { Message } from '../../messages.js';
import { endpointsOf } from '../../resources/connections.js';
import { buildStatus, sameStatus, type ClaimSize, type HibernationStatus, type StatusInput, type StoresReadiness } from '../../status/gaim-status.js';
import { Reason } from '../../status/reasons.js';
import { afterFailure, afterSuccess, duringRetry, RETRY_NOW, type Ledger } from '../../status/retry-ledger.js';
import type { StatusExpectations } from './expectations.js';
import type { FirestoreWriteBack, WriteBackResult } from './write-back.js';

/** What a reconcile found and did, for status. */
export interface Outcome {
  readonly error?: OperatorError;
  readonly stores?: StoresReadiness;
  readonly claims?: readonly ClaimSize[];
  readonly rotation?: NonNullable<StatusInput['rotation']>;
  readonly rolloutsWaiting?: readonly string[];
  readonly mongodbVersion?: NonNullable<StatusInput['mongodbVersion']>;
  readonly backups?: NonNullable<StatusInput['backups']>;
  readonly restoredFrom?: string;
  readonly queues?: NonNullable<StatusInput['queues']>;
  readonly maintenance?: NonNullable<StatusInput['maintenance']>;
  readonly seeding?: NonNullable<StatusInput['seeding']>;
  readonly suspended?: boolean;
  /** Hibernation's state; undefined keeps what status says of it. */
  readonly hibernation?: HibernationStatus;
  /** A retry is under way (a new seed Job runs): the ledger is neither reset nor counted. */
  readonly retrying?: boolean;
  /** Look again after this long: something waits on an actor whose progress shows only in events. */
  readonly recheckAfterMs?: number;
}

export interface ReportDeps {
  /** Failed attempts of the same error in a row after which status.degraded is true (GAIM_DEGRADED_AFTER_FAILURES). */
  readonly degradedAfterFailures?: number;
  readonly client: KubeClient;
  readonly events: EventRecorder;
  readonly writeBack: FirestoreWriteBack;
  readonly expectations: StatusExpectations;
  readonly backoff: BackoffPolicy;
  readonly fieldManager: string;
}

/** Reporting gets its own deadline: a reconcile that ran out of time must still say so. */
const REPORT_TIMEOUT_MS = 10_000;

export const ledgerOf = (gaim: Pick<Gaim, 'status'>): Ledger => ({
  retryCount: gaim.status?.retryCount ?? 0,
  ...(gaim.status?.lastRetryAt === undefined ? {} : { lastRetryAt: gaim.status.lastRetryAt }),
  ...(gaim.status?.nextRetryAt === undefined ? {} : { nextRetryAt: gaim.status.nextRetryAt }),
});

/** The ledger after this attempt, and the delay until the next one when it failed. */
function settle(gaim: Gaim, error: OperatorError | undefined, retrying: boolean, now: Date, backoff: BackoffPolicy): { ledger: Ledger; delayMs: number | undefined } {
  if (error !== undefined) return afterFailure(ledgerOf(gaim), error.terminal, now, backoff);
  return { ledger: retrying ? duringRetry(ledgerOf(gaim)) : afterSuccess(), delayMs: undefined };
}

/** The input of buildStatus: a pure function of what the reconcile found. */
export function statusInput(gaim: Gaim, outcome: Outcome, error: OperatorError | undefined, ledger: Ledger, firestore: WriteBackResult['state'] | undefined, now: Date, degradedAfterFailures?: number): StatusInput {
  const retryNow = gaim.metadata.annotations?.[RETRY_NOW];
  return {
    gaim,
    now,
    ledger,
    ...(retryNow === undefined ? {} : { retryNowHandled: retryNow }),
    ...(outcome.stores === undefined ? {} : { stores: outcome.stores, endpoints: endpointsOf(gaim) }),
    ...(outcome.claims === undefined ? {} : { claims: outcome.claims }),
    ...(outcome.rotation === undefined ? {} : { rotation: outcome.rotation }),
    ...(outcome.rolloutsWaiting === undefined ? {} : { rolloutsWaiting: outcome.rolloutsWaiting }),
    ...(outcome.mongodbVersion === undefined ? {} : { mongodbVersion: outcome.mongodbVersion }),
    ...(outcome.backups === undefined ? {} : { backups: outcome.backups }),
    ...(outcome.restoredFrom === undefined ? {} : { restoredFrom: outcome.restoredFrom }),
    ...(outcome.queues === undefined ? {} : { queues: outcome.queues }),
    ...(outcome.maintenance === undefined ? {} : { maintenance: outcome.maintenance }),
    ...(outcome.seeding === undefined ? {} : { seeding: outcome.seeding }),
    ...(outcome.suspended === true ? { suspended: true } : {}),
    ...(outcome.hibernation === undefined ? {} : { hibernation: outcome.hibernation }),
    ...(error === undefined ? {} : { error: { type: error.errorType, message: error.message, reason: error.reason, terminal: error.terminal } }),
    ...(degradedAfterFailures === undefined ? {} : { degradedAfterFailures }),
    ...(firestore === undefined ? {} : { firestore }),
  };
}

/**
 * Records the outcome: the ledger, then Firestore (which may itself refuse, as a conflict: then
 * the Gaim fails with it), then the CR status; returns when the engine should come back.
 *
 * Only a Gaim's first write to gaims/{gaimId} can be refused as a conflict (the document names the
 * Gaim once written, and gaimId is immutable), and the status's other parts do not depend on the
 * write's result. So once this process has written a Gaim's document, the status is written
 * alongside the Firestore write, FirestoreSynced as it last was, and again after it only when its
 * result changes FirestoreSynced: a reaction costs one round trip less (both writes at once).
 */
export async function report(gaim: Gaim, outcome: Outcome, deps: ReportDeps, context: ReconcileContext, options: { toFirestore: boolean }): Promise<ReconcileResult> {
  const signal = AbortSignal.any([context.stop, AbortSignal.timeout(REPORT_TIMEOUT_MS)]);
  const now = new Date();
  let error = outcome.error;
  const retrying = outcome.retrying === true;
  let settled = settle(gaim, error, retrying, now, deps.backoff);
  const statusOf = (firestore: WriteBackResult['state'] | undefined) =>
    buildStatus(statusInput(gaim, outcome, error, settled.ledger, firestore, now, deps.degradedAfterFailures));

  let written: WriteBackResult | undefined;
  let first: Persisted | undefined;
  let base = gaim; // the Gaim as the last status write left it
  if (options.toFirestore && outcome.suspended !== true) {
    const alongside = deps.writeBack.wroteBefore(gaim);
    const planned = statusOf(undefined);
    const writing = deps.writeBack.write(gaim, planned, settled.ledger, signal);
    if (alongside) {
      [written, first] = await Promise.all([writing, persist(gaim, planned, deps, signal, context)]);
      if (first.kind === 'written') base = { ...gaim, metadata: { ...gaim.metadata, resourceVersion: first.version ?? gaim.metadata.resourceVersion }, status: planned };
    } else {
      written = await writing;
    }
    if (written.conflict !== undefined) {
      error = written.conflict;
      settled = settle(gaim, error, retrying, now, deps.backoff);
    } else if (written.retryMs !== undefined) {
      context.log.warn({ error: written.state.message, retryInMs: written.retryMs }, 'cannot write Firestore; will retry');
    }
  }
  if (error !== undefined) {
    context.log.warn({ errorType: error.errorType, error: error.message, retryCount: settled.ledger.retryCount, nextRetryAt: settled.ledger.nextRetryAt }, 'reconcile failed');
  }

  // A status write that failed alongside is not tried again here: the failure is what counts.
  const persisted = first === undefined || first.kind === 'written' ? await persist(base, statusOf(written?.state), deps, signal, context) : first;
  if (persisted.kind === 'gone') return done();
  if (persisted.kind === 'unwritten' && error === undefined) throw persisted.error;
  // Without a written ledger the next attempt would compute the same first delay: let the work
  // queue's own per-item backoff grow instead.
  const ledgerKept = persisted.kind === 'written';
  if (error !== undefined) return { kind: 'error', error, ...(settled.delayMs === undefined || !ledgerKept ? {} : { retryAfterMs: settled.delayMs }) };
  const again = Math.min(written?.retryMs ?? Infinity, outcome.recheckAfterMs ?? Infinity);
  return Number.isFinite(again) ? requeueAfter(again) : done();
}

/** What became of a status write: written (at this version, if it changed anything), the Gaim gone, or refused. */
type Persisted = { readonly kind: 'written'; readonly version?: string | undefined } | { readonly kind: 'gone' } | { readonly kind: 'unwritten'; readonly error: unknown };

/** Writes the status when it differs from `gaim`'s, and holds the Gaim until the cache shows the write. */
async function persist(gaim: Gaim, status: GaimStatus, deps: ReportDeps, signal: AbortSignal, context: ReconcileContext): Promise<Persisted> {
  try {
    const version = await writeStatus(gaim, status, deps, signal, context);
    if (version === false) return { kind: 'written' };
    deps.expectations.expect(objectKey(gaim), version, gaim.metadata.resourceVersion);
    return { kind: 'written', version };
  } catch (statusError: unknown) {
    if (isNotFound(statusError)) {
      // The Gaim (or its whole namespace) is gone and the cache has not heard yet: nothing to
      // converge; its delete event, if one comes, ends it. Retrying would go round at the first
      // retry's delay for as long as the cache keeps it, since no ledger can be written.
      context.log.info({ error: errorMessage(statusError) }, 'the gaim is gone; not retrying');
      return { kind: 'gone' };
    }
    context.log.warn({ err: statusError }, Message.writeStatus);
    return { kind: 'unwritten', error: statusError };
  }
}

/**
 * Writes the status through the status subresource when it changed: false when it did not write,
 * else the resourceVersion the API server answered with. Events mark transitions, not retries.
 */
export async function writeStatus(gaim: Gaim, status: GaimStatus, deps: Pick<ReportDeps, 'client' | 'events' | 'fieldManager'>, signal: AbortSignal, context: ReconcileContext): Promise<string | undefined | false> {
  if (sameStatus(gaim.status, status)) return false;
  const answer = await deps.client.apply<KubeObject>(Resources.gaim, {
    apiVersion: gaim.apiVersion,
    kind: gaim.kind,
    metadata: { name: gaim.metadata.name, namespace: gaim.metadata.namespace },
    status,
  }, { fieldManager: deps.fieldManager, subresource: 'status', signal });
  const before = gaim.status;
  const seededBefore = before?.conditions?.find((c) => c.type === 'Seeded');
  const seeded = status.conditions?.find((c) => c.type === 'Seeded');
  if (seeded?.status === 'True' && seeded.reason !== Reason.Seeded && seeded.reason !== seededBefore?.reason) {
    // A store is seeded but could not do every step (AppUserUnsupported): say so once, loudly.
    deps.events.record(gaim, 'Warning', seeded.reason, 'Seed', seeded.message);
  }
  const version = answer.metadata?.resourceVersion;
  if (before !== undefined && status.syncStatus === before.syncStatus && status.errorType === before.errorType) return version;
  context.log.info({ from: before?.syncStatus ?? null, to: status.syncStatus, errorType: status.errorType ?? null }, 'sync status changed');
  const ready = status.conditions?.find((c) => c.type === 'Ready');
  if (status.syncStatus === 'Synced') deps.events.record(gaim, 'Normal', Reason.Synced, 'Reconcile', ready?.reason === Reason.Hibernated ? status.message ?? 'hibernated' : 'all stores are ready and seeded');
  else if (status.syncStatus === 'Failed') deps.events.record(gaim, 'Warning', ready?.reason ?? Reason.KubernetesError, 'Reconcile', status.message ?? '');
  return version;
}
