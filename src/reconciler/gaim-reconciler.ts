import type { Firestore } from '@google-cloud/firestore';
import type { Gaim, GaimStatus } from '../api/v1alpha1/gaim.js';
import type { Settings } from '../config/settings.js';
import { parseGaim } from '../api/v1alpha1/validate.js';
import type { Caches } from '../controller/manager.js';
import { backoffDelay, type BackoffPolicy } from '../controller/backoff.js';
import { asOperatorError, done, requeueAfter, type ReconcileContext, type ReconcileResult, type Reconciler } from '../controller/result.js';
import { OperatorError } from '../errors.js';
import type { AppRegistry } from '../firestore/app-registry.js';
import type { FirestoreBreaker } from '../firestore/breaker.js';
import type { KubeClient } from '../kube/client.js';
import { isConflict, isNotFound, KubeApiError } from '../kube/errors.js';
import type { EventRecorder } from '../kube/events.js';
import { Labels } from '../kube/labels.js';
import { objectKey, type KubeObject } from '../kube/objects.js';
import { Resources, type Resource } from '../kube/resources.js';
import { needsApply, withAppliedHash } from '../resources/compare.js';
import { serviceHost } from '../resources/connections.js';
import { desiredObjects, desiredSecrets, type CurrentSizes } from '../resources/desired.js';
import { objectNames } from '../resources/meta.js';
import { MONGODB_PORT } from '../resources/mongodb.js';
import { claimReadiness, statefulSetReadiness } from '../resources/readiness.js';
import { REDIS_PORT } from '../resources/redis.js';
import { syncToFirestore, type SyncOutcome, type SyncReport } from '../status/firestore-sync.js';
import { buildStatus, sameStatus, type StatusInput, type StoresReadiness } from '../status/gaim-status.js';
import { afterFailure, afterSuccess, holdOff, RETRY_NOW, type Ledger } from '../status/retry-ledger.js';
import { Message, Reason } from '../status/reasons.js';
import { applyFinalizer, FINALIZER, hasFinalizer } from './finalizer.js';
import { seedStores } from './seed.js';

export interface GaimReconcilerDeps {
  readonly caches: Caches;
  readonly client: KubeClient;
  readonly firestore: Firestore;
  readonly settings: Pick<Settings, 'overrides' | 'seedJob'>;
  readonly backoff: BackoffPolicy;
  /** This cluster's name in Firestore's per-environment entries. */
  readonly clusterName: string;
  /** Grows with each change of leader; fences Firestore writes of a stale leader. */
  readonly leaderEpoch: () => number;
  /** Shared with the app registry: one outage, noticed once. */
  readonly breaker: FirestoreBreaker;
  readonly events: EventRecorder;
  readonly registry: AppRegistry;
  readonly fieldManager: string;
  /** Where the operator runs: its pods may reach the stores through the NetworkPolicy. */
  readonly operatorNamespace: string;
}

/** A key → resource pair for reading an owned object from the cache. */
const namespaced = (gaim: Gaim, name: string) => `${gaim.metadata.namespace}/${name}`;

/**
 * The Gaim reconcile: validate, finalizer, plan (pure), apply what differs, observe readiness,
 * report status. Reads come from the informer caches; the only API calls are writes, and only when
 * something differs, so reconciling an unchanged Gaim makes no API call at all.
 */
interface Outcome {
  readonly error?: OperatorError;
  readonly stores?: StoresReadiness;
  readonly endpoints?: NonNullable<GaimStatus['endpoints']>;
  readonly seeding?: NonNullable<StatusInput['seeding']>;
  readonly suspended?: boolean;
}

type FirestoreState = NonNullable<StatusInput['firestore']>;

const ledgerOf = (gaim: Pick<Gaim, 'status'>): Ledger => ({
  retryCount: gaim.status?.retryCount ?? 0,
  ...(gaim.status?.lastRetryAt === undefined ? {} : { lastRetryAt: gaim.status.lastRetryAt }),
  ...(gaim.status?.nextRetryAt === undefined ? {} : { nextRetryAt: gaim.status.nextRetryAt }),
});

const normalizePath = (path: string | undefined) => (path ?? '').replace(/\/+$/, '');

export class GaimReconciler implements Reconciler {
  /** What was last written to Firestore per Gaim: an unchanged Gaim costs no Firestore call. */
  readonly #written = new Map<string, string>();
  readonly #firestoreFailures = new Map<string, number>();

  constructor(private readonly deps: GaimReconcilerDeps) {}

  async reconcile(key: string, context: ReconcileContext): Promise<ReconcileResult> {
    const object = this.deps.caches.get<KubeObject>(Resources.gaim, key);
    if (object === undefined) {
      this.#written.delete(key);
      this.#firestoreFailures.delete(key);
      return done(); // deleted and finalized; nothing left to converge
    }

    const parsed = parseGaim(object);
    if (!parsed.ok) {
      if (object.metadata?.deletionTimestamp !== undefined && hasFinalizer(object)) {
        // An invalid Gaim being deleted: there is no valid spec to clean up by, so keep everything.
        await applyFinalizer(this.deps.client, object, false, this.deps.fieldManager, context.signal);
        return done();
      }
      return this.#report(object as Gaim, { error: parsed.error }, context, false);
    }
    const gaim = parsed.gaim;
    if (gaim.metadata.deletionTimestamp !== undefined) {
      try {
        return await this.#finalize(gaim, context);
      } catch (error: unknown) {
        return this.#report(gaim, { error: asOperatorError(error) }, context, false);
      }
    }

    // The retry ledger lives in status: honour nextRetryAt across restarts, unless the spec changed
    // or someone asked for a retry now.
    const retryNow = gaim.metadata.annotations?.[RETRY_NOW];
    const retryNowRequested = retryNow !== undefined && retryNow !== gaim.status?.retryNowHandled;
    const wait = holdOff(ledgerOf(gaim), gaim.status?.observedGeneration !== gaim.metadata.generation, retryNowRequested, new Date());
    if (wait !== undefined) return requeueAfter(wait);

    try {
      return await this.#report(gaim, await this.#converge(gaim, object, context), context, true);
    } catch (error: unknown) {
      return this.#report(gaim, { error: asOperatorError(error) }, context, true);
    }
  }

  /** Everything the Gaim asks for, up to seeding. Throws an OperatorError for what stops it. */
  async #converge(gaim: Gaim, object: KubeObject, context: ReconcileContext): Promise<Outcome> {
    if (!hasFinalizer(object)) await applyFinalizer(this.deps.client, object, true, this.deps.fieldManager, context.signal);
    if (gaim.spec.suspend) return { suspended: true };

    const owner = this.#namespaceOwner(gaim);
    if (owner !== gaim.metadata.name) {
      throw new OperatorError('conflict', `namespace ${gaim.metadata.namespace} already has Gaim ${owner}: one Gaim per namespace`);
    }
    this.#checkNfsShareIsFree(gaim);

    let sizes;
    try {
      sizes = await this.deps.registry.sizes(gaim.spec.tier);
    } catch (error: unknown) {
      throw error instanceof OperatorError ? error : new OperatorError('firestore', Message.readRegistry, { cause: error });
    }

    const desired = desiredObjects(gaim, sizes, this.#currentSizes(gaim), this.deps.operatorNamespace);
    await this.#ensureSecrets(gaim, context);
    for (const target of desired) await this.#apply(target, context);
    await this.#pruneDisabled(gaim, context);

    const stores = this.#readiness(gaim);
    const seeding = await seedStores(gaim, stores, this.deps, context);
    const first = seeding.errors[0];
    return {
      stores,
      endpoints: this.#endpoints(gaim),
      seeding: { seeded: seeding.seeded, pending: seeding.pending, failed: seeding.errors.map((e) => e.errorType) },
      ...(first === undefined ? {} : { error: new OperatorError(first.errorType, seeding.errors.map((e) => e.message).join('; '), { cause: first }) }),
    };
  }

  /**
   * Records the outcome: the retry ledger, Firestore (which may itself refuse, as a conflict), and
   * the CR status — each written only when it changed — and tells the engine when to come back.
   */
  async #report(gaim: Gaim, outcome: Outcome, context: ReconcileContext, toFirestore: boolean): Promise<ReconcileResult> {
    const now = new Date();
    let error = outcome.error;
    const retryNow = gaim.metadata.annotations?.[RETRY_NOW];
    const compute = () => {
      const failure = error === undefined ? undefined : afterFailure(ledgerOf(gaim), error.terminal, now, this.deps.backoff);
      return { failure, ledger: failure?.ledger ?? afterSuccess() };
    };
    let { failure, ledger } = compute();

    const input = (firestore: FirestoreState | undefined): StatusInput => ({
      gaim,
      now,
      ledger,
      ...(retryNow === undefined ? {} : { retryNowHandled: retryNow }),
      ...(outcome.stores === undefined ? {} : { stores: outcome.stores }),
      ...(outcome.endpoints === undefined ? {} : { endpoints: outcome.endpoints }),
      ...(outcome.seeding === undefined ? {} : { seeding: outcome.seeding }),
      ...(outcome.suspended === true ? { suspended: true } : {}),
      ...(error === undefined ? {} : { error: { type: error.errorType, message: error.message, reason: reasonFor(error) } }),
      ...(firestore === undefined ? {} : { firestore }),
    });

    let firestoreState: FirestoreState | undefined;
    let firestoreRetryMs: number | undefined;
    if (toFirestore && outcome.suspended !== true) {
      const planned = buildStatus(input(undefined));
      try {
        const written = await this.#syncFirestore(gaim, planned, ledger);
        firestoreState = { ok: true, message: written === 'stale' ? 'an entry was written by a newer generation or leader; left as it is' : `gaims/${gaim.spec.gaimId} is up to date` };
        this.#firestoreFailures.delete(objectKey(gaim));
      } catch (syncError: unknown) {
        const operatorError = asOperatorError(syncError, 'firestore');
        if (operatorError.errorType === 'conflict') {
          // Two Gaims claim one gaimId: the Gaim fails, terminally, and nothing is written.
          error = operatorError;
          ({ failure, ledger } = compute());
          firestoreState = { ok: false, message: operatorError.message };
        } else {
          // An outage must not hold up Kubernetes: report it, and retry just the write with backoff.
          const attempts = (this.#firestoreFailures.get(objectKey(gaim)) ?? 0) + 1;
          this.#firestoreFailures.set(objectKey(gaim), attempts);
          firestoreRetryMs = backoffDelay(this.deps.backoff, attempts);
          firestoreState = { ok: false, message: operatorError.message };
          context.log.warn({ error: operatorError.message, retryInMs: firestoreRetryMs }, 'cannot write Firestore; will retry');
        }
      }
    }
    if (error !== undefined) {
      context.log.warn({ errorType: error.errorType, error: error.message, retryCount: ledger.retryCount, nextRetryAt: ledger.nextRetryAt }, 'reconcile failed');
    }

    try {
      await this.#writeStatus(gaim, input(firestoreState), context);
    } catch (statusError: unknown) {
      context.log.warn({ err: statusError }, Message.writeStatus);
      if (error === undefined) throw statusError;
    }
    if (error !== undefined) return { kind: 'error', error, ...(failure?.delayMs === undefined ? {} : { retryAfterMs: failure.delayMs }) };
    if (firestoreRetryMs !== undefined) return requeueAfter(firestoreRetryMs);
    return done();
  }

  /** Writes Firestore unless this exact report was the last one written for the Gaim. */
  async #syncFirestore(gaim: Gaim, status: GaimStatus, ledger: Ledger): Promise<SyncOutcome> {
    const report: SyncReport = {
      syncStatus: status.syncStatus ?? 'Progressing',
      errorType: status.errorType,
      ledger,
      generation: gaim.metadata.generation ?? 0,
      cluster: this.deps.clusterName,
      leaderEpoch: this.deps.leaderEpoch(),
    };
    const key = objectKey(gaim);
    const fingerprint = JSON.stringify(report);
    if (this.#written.get(key) === fingerprint) return 'unchanged';
    const outcome = await this.deps.breaker.run(() => syncToFirestore(this.deps.firestore, gaim, report));
    this.#written.set(key, fingerprint);
    return outcome;
  }

  /** A static NFS share backs one Gaim only: another Gaim's volume on the same server and path is a conflict. */
  #checkNfsShareIsFree(gaim: Gaim): void {
    const nfs = gaim.spec.lancedb.storage.nfs;
    if (nfs === undefined) return;
    const mine = objectNames(gaim).lancedbVolume;
    for (const volume of this.deps.caches.list<KubeObject & { spec?: { nfs?: { server?: string; path?: string } } }>(Resources.persistentVolume)) {
      const other = volume.spec?.nfs;
      if (volume.metadata?.name === mine || other?.server !== nfs.server || normalizePath(other.path) !== normalizePath(nfs.path)) continue;
      const owner = `${volume.metadata?.labels?.[Labels.gaimNamespace] ?? '?'}/${volume.metadata?.labels?.[Labels.gaim] ?? '?'}`;
      throw new OperatorError('conflict', `the NFS share ${nfs.server}:${nfs.path} already backs Gaim ${owner}; one share per Gaim`);
    }
  }

  /** The oldest Gaim of a namespace owns it; later ones are refused and touch nothing. */
  #namespaceOwner(gaim: Gaim): string {
    const siblings = this.deps.caches.list<KubeObject>(Resources.gaim, gaim.metadata.namespace)
      .filter((g) => g.metadata?.deletionTimestamp === undefined || g.metadata.name === gaim.metadata.name);
    siblings.sort((a, b) => (a.metadata?.creationTimestamp ?? '').localeCompare(b.metadata?.creationTimestamp ?? '')
      || (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));
    return siblings[0]?.metadata?.name ?? gaim.metadata.name;
  }

  #currentSizes(gaim: Gaim): CurrentSizes {
    const names = objectNames(gaim);
    const claimTemplateSize = (name: string) => {
      const sts = this.deps.caches.get<KubeObject & { spec?: { volumeClaimTemplates?: { spec?: { resources?: { requests?: Record<string, string> } } }[] } }>(
        Resources.statefulSet, namespaced(gaim, name));
      return sts?.spec?.volumeClaimTemplates?.[0]?.spec?.resources?.requests?.['storage'];
    };
    const claim = this.deps.caches.get<KubeObject & { spec?: { resources?: { requests?: Record<string, string> } } }>(
      Resources.persistentVolumeClaim, namespaced(gaim, names.lancedbClaim));
    const sizes: { -readonly [K in keyof CurrentSizes]: CurrentSizes[K] } = {};
    const mongodbClaim = claimTemplateSize(names.mongodb);
    const redisClaim = claimTemplateSize(names.redis);
    const lancedbClaim = claim?.spec?.resources?.requests?.['storage'];
    if (mongodbClaim !== undefined) sizes.mongodbClaim = mongodbClaim;
    if (redisClaim !== undefined) sizes.redisClaim = redisClaim;
    if (lancedbClaim !== undefined) sizes.lancedbClaim = lancedbClaim;
    return sizes;
  }

  /** Credentials are created once, when missing; an existing Secret is never changed. */
  async #ensureSecrets(gaim: Gaim, context: ReconcileContext): Promise<void> {
    for (const secret of desiredSecrets(gaim)) {
      const name = secret.metadata?.name ?? '';
      if (this.deps.caches.get(Resources.secret, namespaced(gaim, name)) !== undefined) continue;
      try {
        await this.deps.client.create(Resources.secret, secret, context.signal);
        context.log.info({ secret: name }, 'created credentials');
      } catch (error: unknown) {
        if (isConflict(error)) continue; // created a moment ago; the cache has not caught up
        throw new OperatorError('kubernetes', `${Message.createSecret(name)}: ${errorMessage(error)}`, { cause: error });
      }
    }
  }

  async #apply(desired: KubeObject, context: ReconcileContext): Promise<void> {
    const resource = resourceOf(desired);
    const observed = this.deps.caches.get<KubeObject>(resource, objectKey(desired));
    if (!needsApply(desired, observed)) return;
    try {
      await this.deps.client.apply(resource, withAppliedHash(desired), { fieldManager: this.deps.fieldManager, signal: context.signal });
      context.log.info({ kind: desired.kind, name: desired.metadata?.name, created: observed === undefined }, 'applied');
    } catch (error: unknown) {
      throw new OperatorError('kubernetes', `${Message.applyObject(desired.kind ?? '', desired.metadata?.name ?? '')}: ${errorMessage(error)}`, { cause: error });
    }
  }

  /** A store switched off loses its workload (StatefulSet, Service); its claims and Secret stay. */
  async #pruneDisabled(gaim: Gaim, context: ReconcileContext): Promise<void> {
    const names = objectNames(gaim);
    const off = [...(gaim.spec.mongodb.enabled ? [] : [names.mongodb]), ...(gaim.spec.redis.enabled ? [] : [names.redis])];
    for (const name of off) {
      for (const resource of [Resources.statefulSet, Resources.service]) {
        if (this.deps.caches.get(resource, namespaced(gaim, name)) === undefined) continue;
        await this.#delete(resource, name, gaim.metadata.namespace, context);
      }
    }
  }

  #readiness(gaim: Gaim): StoresReadiness {
    const names = objectNames(gaim);
    const sts = (name: string) => statefulSetReadiness(this.deps.caches.get(Resources.statefulSet, namespaced(gaim, name)));
    return {
      mongodb: gaim.spec.mongodb.enabled ? sts(names.mongodb) : 'disabled',
      redis: gaim.spec.redis.enabled ? sts(names.redis) : 'disabled',
      storage: claimReadiness(this.deps.caches.get(Resources.persistentVolumeClaim, namespaced(gaim, names.lancedbClaim))),
    };
  }

  #endpoints(gaim: Gaim): NonNullable<GaimStatus['endpoints']> {
    const names = objectNames(gaim);
    return {
      ...(gaim.spec.mongodb.enabled ? { mongodb: `${serviceHost(gaim, names.mongodb)}:${MONGODB_PORT}` } : {}),
      ...(gaim.spec.redis.enabled ? { redis: `${serviceHost(gaim, names.redis)}:${REDIS_PORT}` } : {}),
      lancedbClaim: names.lancedbClaim,
    };
  }

  async #writeStatus(gaim: Gaim, input: StatusInput, context: ReconcileContext): Promise<void> {
    const status = buildStatus(input);
    if (sameStatus(gaim.status, status)) return;
    await this.deps.client.apply(Resources.gaim, {
      apiVersion: gaim.apiVersion,
      kind: gaim.kind,
      metadata: { name: gaim.metadata.name, namespace: gaim.metadata.namespace },
      status,
    }, { fieldManager: this.deps.fieldManager, subresource: 'status', signal: context.signal });
    // Events mark transitions, not every retry.
    const before = gaim.status;
    if (status.syncStatus !== before?.syncStatus || status.errorType !== before?.errorType) {
      context.log.info({ from: before?.syncStatus ?? null, to: status.syncStatus, errorType: status.errorType ?? null }, 'sync status changed');
      if (status.syncStatus === 'Synced') this.deps.events.record(gaim, 'Normal', Reason.Synced, 'Reconcile', 'all stores are ready and seeded');
      else if (status.syncStatus === 'Failed') this.deps.events.record(gaim, 'Warning', input.error?.reason ?? Reason.Failed, 'Reconcile', status.message ?? '');
    }
  }

  /**
   * Deletion: workloads go with the Gaim (garbage collection through owner references). With
   * deletionPolicy Retain, claims, volumes and Secrets lose their owner references first so the
   * collector cannot take them; with Delete, they are deleted too. Then the finalizer goes.
   */
  async #finalize(gaim: Gaim, context: ReconcileContext): Promise<ReconcileResult> {
    const object = this.deps.caches.get<KubeObject>(Resources.gaim, namespaced(gaim, gaim.metadata.name));
    if (object === undefined || !hasFinalizer(object)) return done();
    const names = objectNames(gaim);
    const ns = gaim.metadata.namespace;
    const claims = this.deps.caches.list<KubeObject>(Resources.persistentVolumeClaim, ns)
      .filter((c) => c.metadata?.labels?.[Labels.gaim] === gaim.metadata.name);
    const secrets = [names.mongodbSecret, names.redisSecret]
      .map((name) => this.deps.caches.get<KubeObject>(Resources.secret, namespaced(gaim, name)))
      .filter((s): s is KubeObject => s !== undefined);
    const volume = this.deps.caches.get<KubeObject>(Resources.persistentVolume, names.lancedbVolume);

    if (gaim.spec.deletionPolicy === 'Retain') {
      for (const [resource, kept] of [...claims.map((c) => [Resources.persistentVolumeClaim, c] as const), ...secrets.map((s) => [Resources.secret, s] as const)]) {
        if ((kept.metadata?.ownerReferences ?? []).length === 0) continue;
        try {
          await this.deps.client.mergePatch(resource, kept.metadata?.name ?? '', ns, { metadata: { ownerReferences: null } }, context.signal);
        } catch (error: unknown) {
          if (!isNotFound(error)) throw new OperatorError('kubernetes', `${Message.releaseObject(resource.kind, kept.metadata?.name ?? '')}: ${errorMessage(error)}`, { cause: error });
        }
      }
      context.log.info({ claims: claims.length, secrets: secrets.length, volume: volume !== undefined }, 'deletionPolicy Retain: kept claims, volumes and secrets');
    } else {
      for (const name of [names.mongodb, names.redis]) await this.#delete(Resources.statefulSet, name, ns, context);
      for (const claim of claims) await this.#delete(Resources.persistentVolumeClaim, claim.metadata?.name ?? '', ns, context);
      for (const secret of secrets) await this.#delete(Resources.secret, secret.metadata?.name ?? '', ns, context);
      if (volume !== undefined) await this.#delete(Resources.persistentVolume, names.lancedbVolume, undefined, context);
      context.log.info({ claims: claims.length, secrets: secrets.length }, 'deletionPolicy Delete: deleted claims, volumes and secrets');
    }
    await applyFinalizer(this.deps.client, object, false, this.deps.fieldManager, context.signal);
    context.log.info({ finalizer: FINALIZER }, 'finalized');
    return done();
  }

  async #delete(resource: Resource, name: string, namespace: string | undefined, context: ReconcileContext): Promise<void> {
    try {
      await this.deps.client.delete(resource, name, namespace, { propagationPolicy: 'Background', signal: context.signal });
    } catch (error: unknown) {
      if (!isNotFound(error)) throw new OperatorError('kubernetes', `${Message.deleteObject(resource.kind, name)}: ${errorMessage(error)}`, { cause: error });
    }
  }
}

const RESOURCES_BY_KIND: Readonly<Record<string, Resource>> = Object.fromEntries(
  Object.values(Resources).map((r) => [r.kind, r]),
);

function resourceOf(object: KubeObject): Resource {
  const resource = RESOURCES_BY_KIND[object.kind ?? ''];
  if (resource === undefined) throw new Error(`no resource for kind ${object.kind ?? '(none)'}`);
  return resource;
}

function reasonFor(error: OperatorError): string {
  switch (error.errorType) {
    case 'conflict': return Reason.NamespaceConflict;
    case 'validation': return Reason.InvalidSpec;
    case 'firestore': return Reason.RegistryUnavailable;
    default: return Reason.ApplyFailed;
  }
}

function errorMessage(error: unknown): string {
  return error instanceof KubeApiError || error instanceof Error ? error.message : String(error);
}

