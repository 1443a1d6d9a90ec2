import { setTimeout as sleep } from 'node:timers/promises';
import type { Settings } from '../config/settings.js';
import type { KubeClient } from '../kube/client.js';
import { isConflict, isNotFound } from '../kube/errors.js';
import type { KubeObject } from '../kube/objects.js';
import { resourcePath, Resources } from '../kube/resources.js';
import { microTime } from '../kube/time.js';
import type { Logger } from '../observability/logger.js';
import { isAborted } from './signals.js';

/** The lease part of the operator's settings (whether to elect at all is the manager's business). */
export type LeaseSettings = Omit<Settings['leaderElection'], 'enabled'>;

interface Lease extends KubeObject {
  spec?: {
    holderIdentity?: string | null;
    leaseDurationSeconds?: number;
    acquireTime?: string | null;
    renewTime?: string | null;
    leaseTransitions?: number;
  };
}

/**
 * Leader election on a coordination.k8s.io Lease, with client-go's semantics: a candidate takes the
 * lease only when its holder has not renewed it for a full lease duration as observed on the
 * candidate's own clock (no trust in other machines' clocks); the leader renews every retry period
 * and steps down when it could not renew for `renewDeadlineMs`, which is shorter than the lease
 * duration, so it stops working before anyone else may start. Writes use the Lease's
 * resourceVersion, so two candidates can never both win.
 */
export class LeaderElector {
  #observed: { holder: string; renewTime: string; at: number } | undefined;
  #lease: Lease | undefined;

  constructor(
    private readonly client: KubeClient,
    private readonly settings: LeaseSettings,
    private readonly log: Logger,
    private readonly onLeaderChange: (leading: boolean, epoch: number) => void = () => undefined,
  ) {}

  /**
   * Campaigns until leader, then runs `lead` with a signal that aborts when leadership is lost or
   * `signal` aborts. Resolves after `lead` returns; the lease is released if it is still held.
   */
  async run(signal: AbortSignal, lead: (leading: AbortSignal) => Promise<void>): Promise<void> {
    while (!signal.aborted && !(await this.#tryAcquireOrRenew())) {
      await sleep(this.settings.retryPeriodMs, undefined, { signal }).catch(() => undefined);
    }
    if (signal.aborted) return;
    this.log.info({ lease: `${this.settings.namespace}/${this.settings.name}`, identity: this.settings.identity }, 'became leader');
    this.onLeaderChange(true, this.#lease?.spec?.leaseTransitions ?? 0);
    const leading = new AbortController();
    const stopLeading = () => { leading.abort(new Error('leadership ended')); };
    signal.addEventListener('abort', stopLeading, { once: true });
    const renewing = this.#renewLoop(leading.signal).then((lost) => {
      if (lost) {
        this.log.error({ lease: this.settings.name }, 'lost leadership: could not renew the lease in time');
        stopLeading();
      }
    });
    try {
      await lead(leading.signal);
    } finally {
      stopLeading();
      await renewing;
      this.onLeaderChange(false, this.#lease?.spec?.leaseTransitions ?? 0);
      await this.#release();
    }
  }

  /** Renews until the signal aborts (returns false) or renewal fails past the deadline (returns true). */
  async #renewLoop(signal: AbortSignal): Promise<boolean> {
    let lastRenew = Date.now();
    while (!signal.aborted) {
      await sleep(this.settings.retryPeriodMs, undefined, { signal }).catch(() => undefined);
      if (isAborted(signal)) return false;
      const renewed = await this.#tryAcquireOrRenew(AbortSignal.timeout(Math.max(1000, this.settings.renewDeadlineMs - (Date.now() - lastRenew))))
        .catch(() => false);
      if (renewed) lastRenew = Date.now();
      else if (Date.now() - lastRenew >= this.settings.renewDeadlineMs) return true;
    }
    return false;
  }

  async #tryAcquireOrRenew(signal?: AbortSignal): Promise<boolean> {
    const { namespace, name, identity, leaseDurationMs } = this.settings;
    const now = new Date();
    const spec = (current?: Lease['spec']): NonNullable<Lease['spec']> => ({
      holderIdentity: identity,
      leaseDurationSeconds: Math.ceil(leaseDurationMs / 1000),
      acquireTime: current?.holderIdentity === identity ? (current.acquireTime ?? microTime(now)) : microTime(now),
      renewTime: microTime(now),
      leaseTransitions: (current?.leaseTransitions ?? 0) + (current?.holderIdentity === identity ? 0 : 1),
    });
    try {
      let current: Lease;
      try {
        current = await this.client.get<Lease>(Resources.lease, name, namespace, signal);
      } catch (error: unknown) {
        if (!isNotFound(error)) throw error;
        this.#lease = await this.client.create<Lease>(Resources.lease, {
          apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name, namespace }, spec: { ...spec(), leaseTransitions: 0 },
        }, signal).catch((created: unknown) => {
          // Not found on create: the namespace itself is missing (run out of cluster, without the
          // chart). No retry creates it; say which setting names it, once.
          throw isNotFound(created) ? new LeaseNamespaceMissing(namespace) : created;
        });
        return true;
      }
      const holder = current.spec?.holderIdentity ?? '';
      const renewTime = current.spec?.renewTime ?? '';
      if (this.#observed?.holder !== holder || this.#observed.renewTime !== renewTime) {
        this.#observed = { holder, renewTime, at: Date.now() };
      }
      const heldByOther = holder !== '' && holder !== identity;
      const expired = Date.now() > this.#observed.at + (current.spec?.leaseDurationSeconds ?? 0) * 1000;
      if (heldByOther && !expired) return false;
      this.#lease = await this.#replace({ ...current, spec: spec(current.spec) }, signal);
      return true;
    } catch (error: unknown) {
      if (error instanceof LeaseNamespaceMissing) throw error;
      if (!isConflict(error)) this.log.warn({ err: error }, 'cannot acquire or renew the leader lease');
      return false;
    }
  }

  #replace(lease: Lease, signal?: AbortSignal): Promise<Lease> {
    // An update with the read resourceVersion: the API server refuses it (409) if anyone wrote in between.
    return this.client.request<Lease>('UPDATE', 'leases', 'PUT',
      resourcePath(Resources.lease, this.settings.namespace, this.settings.name), { body: lease, ...(signal === undefined ? {} : { signal }) });
  }

  /** Hands the lease back so a standby can take over at once instead of waiting for it to expire. */
  async #release(): Promise<void> {
    const lease = this.#lease;
    if (lease?.spec?.holderIdentity !== this.settings.identity) return;
    try {
      await this.#replace({ ...lease, spec: { ...lease.spec, holderIdentity: null, leaseDurationSeconds: 1, renewTime: microTime() } }, AbortSignal.timeout(5000));
      this.log.info({ lease: this.settings.name }, 'released the leader lease');
    } catch (error: unknown) {
      this.log.warn({ err: error }, 'cannot release the leader lease; it expires on its own');
    }
  }
}

/** The leader Lease's namespace does not exist: a setting to fix, not a fault to retry. */
export class LeaseNamespaceMissing extends Error {
  override name = 'LeaseNamespaceMissing';
  constructor(readonly namespace: string) {
    super(`the leader Lease's namespace "${namespace}" does not exist: set GAIM_LEASE_NAMESPACE (or POD_NAMESPACE) to an existing namespace, or GAIM_LEADER_ELECT=false to run without election`);
  }
}
