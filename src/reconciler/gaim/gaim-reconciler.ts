// The Gaim reconcile, as the design's steps: observe (caches, then the registry, the two Secrets, a
// pending claim's events) → refuse (one pure chain, asked as its inputs become known) → converge (restore, plan, apply, grow) → tend (start-up, seed,
// rotate, versions, backups, maintenance) → report; deletion goes through the finalizer. Writes go out
// only when something differs: an unchanged, running Gaim costs two reads (its Secrets, by name) and
// no write — the provisioning test counts the writes. This module only wires the steps; each lives in
// its own module.
import type { Gaim } from '../../api/v1alpha1/gaim.js';
import { parseGaim } from '../../api/v1alpha1/validate.js';
import type { Settings } from '../../config/settings.js';
import type { BackoffPolicy } from '../../controller/backoff.js';
import type { CacheChange, Caches } from '../../controller/caches.js';
import { done, requeueAfter, type ReconcileContext, type ReconcileResult, type Reconciler } from '../../controller/result.js';
import { asOperatorError } from '../../errors.js';
import type { PlatformFirestore } from '../../firestore/client.js';
import type { KubeClient } from '../../kube/client.js';
import type { EventRecorder } from '../../kube/events.js';
import { objectKey, type KubeObject } from '../../kube/objects.js';
import { Resources } from '../../kube/resources.js';
import { Message } from '../../messages.js';
import { Reason } from '../../status/reasons.js';
import { holdOff, RETRY_NOW } from '../../status/retry-ledger.js';
import { applyPlan } from './apply.js';
import { applyFinalizer, finalize, FINALIZER, hasFinalizer } from './finalizer.js';
import { growClaims, planGrowth } from './grow.js';
import { claimSizes, observe } from './observe.js';
import { classesToGrow, observeGaim } from './observation.js';
import { forTending, settleStores } from './readiness.js';
import { plan } from './plan.js';
import { refusal, type RefusalInput } from './refusals.js';
import { ledgerOf, report, type Outcome } from './report.js';
import { seedStores } from '../stores/seed.js';
import { rotateCredentials } from '../stores/rotate.js';
import { guardSecrets, readCredentials } from './secrets.js';
import { tendFeatureCompatibility } from '../stores/feature-compatibility.js';
import { tendBackups, type BackupsOutcome } from '../backups/backups.js';
import { restore } from '../backups/restore.js';
import { tendMaintenance } from '../probes/maintenance.js';
import type { QueueSamples } from '../probes/queue-prober.js';
import type { Metrics } from '../../observability/metrics.js';
import { rebindStaticVolume, retainVolumes } from './volumes.js';
import { FirestoreWriteBack } from './write-back.js';
import { GaimMemory } from './memory.js';
import { joinedErrors, settled, soonest } from './step.js';
import { busy, decideHibernation, WAKE, type HibernationDecision } from './hibernation.js';
import { sleep } from './sleep.js';
import type { WakeRequests } from '../probes/wake-poller.js';
import type { HibernationStatus } from '../../status/gaim-status.js';
import { ROTATE_CREDENTIALS } from '../../resources/rotation.js';

export interface GaimReconcilerDeps {
  readonly caches: Caches;
  readonly client: KubeClient;
  readonly firestore: PlatformFirestore;
  readonly settings: Pick<Settings, 'overrides' | 'seedJob' | 'nfs' | 'rotationGraceSeconds' | 'images' | 'maxConcurrentRollouts' | 'maxConcurrentSeeds' | 'storeStartupBaseSeconds' | 'mongodbFcvBurnInSeconds' | 'degradedAfterFailures' | 'backups' | 'storeRepositories' | 'operatorPodLabels'>;
  readonly backoff: BackoffPolicy;
  /** This cluster's name in Firestore's per-environment entries. */
  readonly clusterName: string;
  /** Grows with each change of leader; fences Firestore writes of a stale leader. */
  readonly leaderEpoch: () => number;
  readonly events: EventRecorder;
  readonly fieldManager: string;
  /** Where the operator runs: its pods may reach the stores through the NetworkPolicy. */
  readonly operatorNamespace: string;
  readonly metrics: Pick<Metrics, 'backupLastSuccess' | 'backedUp' | 'tableRows' | 'tableVersions' | 'tableFragments' | 'tableBytes' | 'hibernated' | 'hibernationTransitions'>;
  /** The queue prober's latest samples; without it (tests of one Gaim), no queue status and no idle clock. */
  readonly queues?: QueueSamples;
  /** Wake requests polled from Firestore; without it, Firestore wakes nothing. */
  readonly wakeRequests?: WakeRequests;
}

/** How soon to look again when the cache has not caught up with the operator's own status write. */
const CACHE_LAG_RETRY_MS = 250;
/** How soon to look again while a hibernating Gaim's pods stop (their StatefulSet's status also says). */
const POD_STOP_RECHECK_MS = 5_000;
/** The longest wait for an idle clock's deadline: look again at least hourly. */
const MAX_WAIT_MS = 3_600_000;
/** How soon a Gaim that something holds awake (not Synced, a backup, a rotation…) looks again. */
const HELD_RECHECK_MS = 30_000;

export class GaimReconciler implements Reconciler {
  /** All the reconciler remembers between reconciles, per Gaim. */
  readonly memory: GaimMemory;

  constructor(private readonly deps: GaimReconcilerDeps) {
    this.memory = new GaimMemory({
      caches: deps.caches, metrics: deps.metrics,
      writeBack: new FirestoreWriteBack(deps.firestore, deps.backoff, deps.clusterName, deps.leaderEpoch),
      maxConcurrentRollouts: deps.settings.maxConcurrentRollouts, maxConcurrentSeeds: deps.settings.maxConcurrentSeeds,
    });
  }

  wakeFor(change: CacheChange): readonly string[] {
    return this.memory.seedSlots.wakeFor(change);
  }

  observedUpdate(key: string, resourceVersion: string | undefined): boolean {
    return this.memory.expectations.observed(key, resourceVersion);
  }

  async reconcile(key: string, context: ReconcileContext): Promise<ReconcileResult> {
    const object = this.deps.caches.get<KubeObject>(Resources.gaim, key);
    if (object === undefined) {
      this.memory.forget(key);
      this.deps.queues?.forget(key);
      return done(); // deleted and finalized; nothing left to converge
    }
    const reporting = { ...this.deps, writeBack: this.memory.writeBack, expectations: this.memory.expectations, degradedAfterFailures: this.deps.settings.degradedAfterFailures };

    const parsed = parseGaim(object);
    // A Gaim in line for a seed slot that no longer seeds leaves it, rather than be woken for a slot it
    // would not take (it joins again at the back when it seeds again).
    if (!parsed.ok || parsed.gaim.metadata.deletionTimestamp !== undefined || parsed.gaim.spec.suspend) this.memory.seedSlots.forget(key);
    if (!parsed.ok) {
      if (object.metadata?.deletionTimestamp !== undefined && hasFinalizer(object)) {
        // An invalid Gaim being deleted: there is no valid spec to clean up by, so keep everything.
        await applyFinalizer(this.deps.client, object, false, this.deps.fieldManager, context.signal);
        return done();
      }
      return report(object as Gaim, { error: parsed.error }, reporting, context, { toFirestore: false });
    }
    const gaim = parsed.gaim;
    if (gaim.metadata.deletionTimestamp !== undefined) {
      if (!hasFinalizer(object)) return done();
      try {
        const waiting = await finalize(gaim, this.deps, context);
        return waiting === undefined ? done() : requeueAfter(waiting.waitMs);
      } catch (error: unknown) {
        return report(gaim, { error: asOperatorError(error, 'kubernetes', context.signal) }, reporting, context, { toFirestore: false });
      }
    }

    // The retry ledger lives in status: honour nextRetryAt across restarts, unless the spec changed
    // or someone asked for a retry now. First make sure the cache shows the status this operator wrote.
    if (!this.memory.expectations.satisfied(key, gaim.metadata.resourceVersion)) return requeueAfter(CACHE_LAG_RETRY_MS);
    const retryNow = gaim.metadata.annotations?.[RETRY_NOW];
    const retryNowRequested = retryNow !== undefined && retryNow !== gaim.status?.retryNowHandled;
    let hibernation = gaim.spec.suspend ? undefined : this.#hibernation(gaim);
    // A wake asked for is acted on now, as a retry-now is: not after a failed attempt's backoff.
    const wait = holdOff(ledgerOf(gaim), gaim.status?.observedGeneration !== gaim.metadata.generation, retryNowRequested || hibernation?.kind === 'waking', new Date());
    if (wait !== undefined) return requeueAfter(wait);

    let outcome: Outcome;
    try {
      const asleep = hibernation?.kind === 'asleep' ? await this.#asleep(gaim, object, hibernation, context) : undefined;
      // Asleep but for the last look, which found the queues in use: it stays awake.
      if (asleep === undefined && hibernation?.kind === 'asleep') hibernation = { kind: 'awake' };
      outcome = asleep ?? await this.#converge(gaim, object, context);
      if (hibernation !== undefined && hibernation.kind !== 'asleep') {
        outcome = { ...outcome, hibernation: awakeStatus(gaim, hibernation, this.deps.queues?.idleSince(key)) };
        // An idle Auto Gaim: look again when its idle time is up, or, held, a little later.
        if (hibernation.kind === 'awake' && hibernation.hibernateAt !== undefined) {
          // At most an hour: a timer cannot wait more than 2^31 ms (it would fire at once), and idleAfter may be 30 days.
          const wait = hibernation.held === undefined ? Math.min(MAX_WAIT_MS, Math.max(0, hibernation.hibernateAt.getTime() - Date.now())) : HELD_RECHECK_MS;
          outcome = { ...outcome, recheckAfterMs: Math.min(outcome.recheckAfterMs ?? Infinity, wait) };
        }
        // Mode On, held by something under way: not every end of it is an event on this Gaim.
        if (hibernation.kind === 'held') outcome = { ...outcome, recheckAfterMs: Math.min(outcome.recheckAfterMs ?? Infinity, HELD_RECHECK_MS) };
      }
    } catch (error: unknown) {
      // Woken, even if this attempt failed: the next one runs the stores too, and is not a second wake.
      outcome = { error: asOperatorError(error, 'kubernetes', context.signal), ...(hibernation?.kind === 'waking' ? { hibernation: awakeStatus(gaim, hibernation, undefined) } : {}) };
    }
    if (hibernation !== undefined) this.#countHibernation(gaim, hibernation, outcome, context);
    return report(gaim, outcome, reporting, context, { toFirestore: true });
  }

  /** Whether the stores should run (hibernation.ts), from the spec, the status, the idle clock and Firestore's wake request. */
  #hibernation(gaim: Gaim): HibernationDecision {
    const now = new Date();
    return decideHibernation({
      gaim, now,
      idleSince: this.deps.queues?.idleSince(objectKey(gaim)),
      wakeRequestedAt: this.deps.wakeRequests?.get(gaim.spec.gaimId),
      // Only a Gaim that may sleep asks what is under way (a scan of its namespace's backups, a schedule).
      busy: (gaim.spec.hibernation?.mode ?? 'Off') === 'Off' ? undefined : busy(gaim, this.deps.caches, this.deps.settings.rotationGraceSeconds, now),
    });
  }

  /**
   * Asleep, or going to sleep: the stores flushed and scaled to zero (sleep.ts); nothing seeded,
   * sampled or maintained. Scheduled backups still run: they snapshot the volumes as they stopped.
   */
  async #asleep(gaim: Gaim, object: KubeObject, decision: Extract<HibernationDecision, { kind: 'asleep' }>, context: ReconcileContext): Promise<Outcome | undefined> {
    // The moment of the decision: a Firestore wake request made while the stores flush is later than it.
    const decidedAt = new Date().toISOString();
    if (!hasFinalizer(object)) await applyFinalizer(this.deps.client, object, true, this.deps.fieldManager, context.signal);
    // A Gaim refused (a second one in the namespace, a share it may not use…) is refused asleep too.
    refuse({ gaim, observed: observe(gaim, this.deps.caches), nfs: this.deps.settings.nfs, storeRepositories: this.deps.settings.storeRepositories });
    this.memory.seedSlots.forget(objectKey(gaim)); // asleep, it seeds nothing: out of the line for a slot
    const going = gaim.status?.hibernatedAt === undefined;
    const slept = await sleep(gaim, going, this.deps, context);
    if (slept.inUse !== undefined) {
      // The last look found the queues in use: stay awake, the idle clock from scratch.
      this.deps.queues?.restartIdle(objectKey(gaim), new Date());
      context.log.info({ inUse: slept.inUse }, 'not hibernating: the queues are in use');
      return undefined;
    }
    if (going) this.deps.events.record(gaim, 'Normal', Reason.Hibernating, 'Hibernate', [`${decision.by}: the stores are scaled to zero, their volumes and data kept`, ...slept.flushed].join('; '));
    const backups = await settled<Partial<BackupsOutcome>>(() => tendBackups(gaim, this.deps, context), {}, 'kubernetes', context.signal);
    const since = gaim.status?.hibernatedAt ?? decidedAt;
    const hibernation: HibernationStatus = {
      state: slept.podsLeft > 0 ? 'hibernating' : 'asleep', shown: true, since,
      generation: gaim.status?.hibernatedGeneration ?? gaim.metadata.generation ?? 0,
      message: slept.podsLeft > 0 ? `${decision.by}; ${String(slept.podsLeft)} pod(s) still stopping` : decision.by,
      deferred: deferredChanges(gaim),
      wakeHandled: gaim.metadata.annotations?.[WAKE],
    };
    const error = joinedErrors([backups]);
    const recheckAfterMs = soonest([backups, ...(slept.podsLeft > 0 ? [{ errors: [], recheckAfterMs: POD_STOP_RECHECK_MS }] : [])]);
    return {
      hibernation,
      ...(backups.condition === undefined ? {} : { backups: { ...backups, condition: backups.condition } }),
      ...(recheckAfterMs === undefined ? {} : { recheckAfterMs }),
      ...(error === undefined ? {} : { error }),
    };
  }

  /** gaim_hibernated, and gaim_hibernation_transitions_total once per sleep and per wake. */
  #countHibernation(gaim: Gaim, decision: HibernationDecision, outcome: Outcome, context: ReconcileContext): void {
    const labels = { namespace: gaim.metadata.namespace, gaim: gaim.metadata.name };
    const asleep = outcome.hibernation?.state === 'asleep' || outcome.hibernation?.state === 'hibernating';
    if ((gaim.spec.hibernation?.mode ?? 'Off') === 'Off' && !asleep && decision.kind !== 'waking') this.deps.metrics.hibernated.remove(labels);
    else this.deps.metrics.hibernated.set(labels, asleep || (outcome.error !== undefined && gaim.status?.hibernatedAt !== undefined && decision.kind === 'asleep') ? 1 : 0);
    // The idle clock starts afresh at each sleep and wake: never from a sample of before.
    if (decision.kind === 'waking' || (decision.kind === 'asleep' && gaim.status?.hibernatedAt === undefined)) this.deps.queues?.restartIdle(objectKey(gaim), new Date());
    if (decision.kind === 'asleep' && gaim.status?.hibernatedAt === undefined && outcome.hibernation?.since !== undefined) {
      this.deps.metrics.hibernationTransitions.inc({ direction: 'hibernate' });
      context.log.info({ by: decision.by }, 'hibernated');
    }
    if (decision.kind === 'waking') {
      this.deps.metrics.hibernationTransitions.inc({ direction: 'wake' });
      this.deps.events.record(gaim, 'Normal', Reason.Waking, 'Wake', `waking: ${decision.by}; the stores start again`);
      context.log.info({ by: decision.by }, 'waking');
    }
  }

  /**
   * Everything the Gaim asks for. Converging steps throw an OperatorError for what stops the reconcile;
   * tending steps return their errors and the rest still run (step.ts).
   */
  async #converge(gaim: Gaim, object: KubeObject, context: ReconcileContext): Promise<Outcome> {
    if (!hasFinalizer(object)) await applyFinalizer(this.deps.client, object, true, this.deps.fieldManager, context.signal);
    if (gaim.spec.suspend) return { suspended: true };

    // Observe, then decide. The refusal chain is asked as each input becomes known (refusals.ts): on
    // the caches before any read; on the credentials, read once a restore has made its own; on the
    // sizes before any claim grows; on the classes of the claims to grow, read only then.
    const observed = observe(gaim, this.deps.caches);
    const policy = { gaim, observed, nfs: this.deps.settings.nfs, storeRepositories: this.deps.settings.storeRepositories };
    refuse(policy);
    const { sizes, provisioning } = await observeGaim(gaim, observed, this.deps, context.signal);
    // spec.restoreFrom: the claims and credentials come from the backup, before anything could make new ones.
    const restoring = await restore(gaim, sizes, { ...this.deps, lancedbRestoreClass: this.deps.settings.backups.lancedbRestoreClass }, context);
    if (restoring !== undefined && 'waiting' in restoring) {
      const waiting = { ready: false, reason: Reason.Restoring, message: restoring.waiting };
      return { stores: { mongodb: waiting, redis: waiting, storage: waiting }, recheckAfterMs: restoring.recheckAfterMs };
    }
    const restoredFrom = restoring?.restoredFrom;
    const credentials = await readCredentials(gaim, this.deps.client, context.signal);
    refuse({ ...policy, credentials });
    await guardSecrets(gaim, credentials, FINALIZER, this.deps.client, context.signal);
    await rebindStaticVolume(gaim, this.deps.caches, this.deps.client, context);
    refuse({ ...policy, credentials, sizes });
    const grow = planGrowth(gaim, observed, sizes);
    refuse({ ...policy, credentials, sizes, storageClasses: await classesToGrow(grow, this.deps.client, context.signal) });
    const form = { images: this.deps.settings.images, startupBaseSeconds: this.deps.settings.storeStartupBaseSeconds, operatorPods: this.deps.settings.operatorPodLabels };
    const applied = await applyPlan(plan(gaim, observed, credentials, sizes, this.deps.operatorNamespace, form),
      { ...this.deps, rollouts: this.memory.rollouts, recreations: this.memory.recreations }, context);
    const { created, waiting, recreating } = applied;
    await growClaims(gaim, grow, this.deps, context);
    await retainVolumes(gaim, observed, this.deps.client, context, this.memory.retained(objectKey(gaim)));

    // Tending: each step returns its errors and the others still run (step.ts).
    const { signal } = context;
    const startup = await this.memory.startup.check(gaim, observed, this.deps, context);
    const current = new Map([...credentials, ...created]);
    const verdicts = { provisioning, startup: startup.failed };
    const onCurrentForm = forTending(settleStores(observed.stores, verdicts), [...waiting.map((w) => w.name), ...recreating], gaim);
    const seeding = await seedStores(gaim, onCurrentForm, current, { ...this.deps, seedSlots: this.memory.seedSlots }, context);
    const rotation = await settled(() => rotateCredentials(gaim, onCurrentForm, current, this.deps, context), { waiting: [] }, 'kubernetes', signal);
    const version = await settled(() => tendFeatureCompatibility(gaim, onCurrentForm, current, this.deps, context), {}, 'mongodb', signal);
    const backups = await settled<Partial<BackupsOutcome>>(() => tendBackups(gaim, this.deps, context), {}, 'kubernetes', signal);
    const storageSeeded = observed.stores.storage.ready && seeding.seeded.storage !== undefined && !seeding.pending.includes('storage');
    const maintenance = await settled(() => tendMaintenance(gaim, storageSeeded, this.deps, context), {}, 'kubernetes', signal);
    const steps = [applied, startup, seeding, rotation, version, backups, maintenance];
    const error = joinedErrors(steps);
    const recheckAfterMs = soonest(steps);
    // A share without what LanceDB's commits need (hard links, atomic renames) is the volume's fault,
    // not the seed's: StorageReady says so, naming the operation (the seed Job's preflight found it).
    const filesystem = seeding.errors.find((e) => e.reason === Reason.FilesystemUnsupported)?.message;
    const stores = settleStores(observed.stores, { ...verdicts, filesystem });
    return {
      stores,
      claims: claimSizes(observed.claims),
      ...(version.record === undefined ? {} : { mongodbVersion: version.record }),
      ...(backups.condition === undefined ? {} : { backups: { ...backups, condition: backups.condition } }),
      ...(restoredFrom === undefined ? {} : { restoredFrom }),
      ...queueStatus(gaim, this.deps.queues),
      ...(maintenance.status === undefined ? {} : { maintenance: maintenance.status }),
      rolloutsWaiting: waiting.map((w) => Message.rolloutWaits(w.name, w.inFlight, this.deps.settings.maxConcurrentRollouts)),
      rotation: { ...(rotation.handled === undefined ? {} : { handled: rotation.handled }), ...(rotation.rotatedAt === undefined ? {} : { rotatedAt: rotation.rotatedAt }) },
      seeding: {
        seeded: seeding.seeded, pending: seeding.pending, failed: seeding.errors.map((e) => e.errorType),
        justSeeded: seeding.justSeeded, details: seeding.details, warnings: seeding.warnings,
      },
      ...(seeding.retrying ? { retrying: true } : {}),
      // A Pending claim and a seed Job without a pod change only in their events, and a grace period
      // ends with no event at all: look again.
      ...(recheckAfterMs === undefined ? {} : { recheckAfterMs }),
      ...(error === undefined ? {} : { error }),
    };
  }
}

/** The prober's latest figures and QueuesHealthy, when they are worth a status write (the prober's one decision). */
function queueStatus(gaim: Gaim, samples: QueueSamples | undefined): Pick<Outcome, 'queues'> {
  const update = samples?.statusUpdate(gaim, new Date());
  return update === undefined ? {} : { queues: { entries: update.entries, condition: update.condition } };
}

/** The hibernation status of a Gaim that runs: waking, held, or awake with its idle clock. */
function awakeStatus(gaim: Gaim, decision: Exclude<HibernationDecision, { kind: 'asleep' }>, idleSince: Date | undefined): HibernationStatus {
  const mode = gaim.spec.hibernation?.mode ?? 'Off';
  const base = { shown: mode !== 'Off', wakeHandled: gaim.metadata.annotations?.[WAKE], ...(mode === 'Auto' && idleSince !== undefined ? { idleSince: idleSince.toISOString() } : {}) };
  if (decision.kind === 'waking') return { ...base, state: 'waking', message: `${decision.by}; changes asked for while it slept are applied now` };
  if (decision.kind === 'held') return { ...base, state: 'held', message: decision.why };
  const message = mode === 'Auto'
    ? !gaim.spec.redis.enabled ? 'the stores run: mode Auto judges idleness by the task queues, and this Gaim has no Redis (use mode On)'
      : decision.hibernateAt === undefined ? 'the stores run; the queues are in use (or not sampled yet)'
      : decision.held !== undefined ? `the stores run: the queues are idle, but ${decision.held}` : `the stores run; idle queues hibernate it at ${decision.hibernateAt.toISOString()}`
    : 'the stores run';
  return { ...base, state: 'awake', message };
}

/** What was asked for while asleep, to be done on wake (and said so). */
function deferredChanges(gaim: Gaim): string[] {
  const changes: string[] = [];
  const since = gaim.status?.hibernatedGeneration;
  if (since !== undefined && (gaim.metadata.generation ?? 0) > since) changes.push(`spec changes since generation ${String(since)} (rollouts, growth) are applied on wake`);
  const rotate = gaim.metadata.annotations?.[ROTATE_CREDENTIALS];
  if (rotate !== undefined && rotate !== gaim.status?.rotateCredentialsHandled) changes.push('the credential rotation asked for runs on wake');
  return changes;
}

/** Throws the chain's first refusal for what is known so far. */
function refuse(input: RefusalInput): void {
  const refused = refusal(input);
  if (refused !== undefined) throw refused;
}
