// How many seed Jobs run at once, cluster-wide. A burst of new Gaims (an Argo CD sync of a thousand,
// a restore of a cluster) would otherwise create as many seed Jobs in the same second; their pods
// then wait for node capacity, and the Jobs' activeDeadlineSeconds counts from their creation, so the
// ones at the back of the queue pass it before they run and fail, to be retried at the back again.
// Here a seed Job is created only with one of GAIM_MAX_CONCURRENT_SEEDS slots; the count comes from
// the Job cache (seed Jobs not finished, including those of an operator before a restart) plus the
// slots this process granted that the cache does not show yet. A Gaim refused a slot waits in line
// and is woken, first come first served, when a seed Job ends. Only the leader reconciles: one count.
// A Gaim that stops asking (suspended, failed validation, seeded by an earlier Job after all) would
// hold its place for ever, and be woken for slots it does not take: the reconciler takes it out of the
// line when it sees that. A Gaim whose reconcile ends early for a while (a retry backoff, a cache that
// lags) keeps its place; as a backstop, a waiting Gaim asks again at least every SLOT_RECHECK_MS, so
// one that has not asked for LINE_EXPIRY_MS has left the line.
// Waiting Gaims recheck seldom because they need not poll: they are woken. At 15 s, 500 Gaims in
// line were 12,000 rechecks in 15 minutes that kept every worker busy, and the Gaim woken for a free
// slot queued behind them (make bench, N=500: 11 s average queue wait).
import type { CacheChange, Caches } from '../../controller/caches.js';
import type { KubeObject } from '../../kube/objects.js';
import { Resources } from '../../kube/resources.js';
import { SEED_HASH_LABEL } from '../../resources/seed-job.js';

type JobView = KubeObject & { status?: { conditions?: { type: string; status: string }[] } };

/** How often a Gaim waiting in line asks again (it is woken when a slot frees; this keeps its place). */
export const SLOT_RECHECK_MS = 60_000;
/** Four rechecks missed: the Gaim has left the line. */
export const LINE_EXPIRY_MS = 4 * SLOT_RECHECK_MS;

const isSeedJob = (job: KubeObject) => job.metadata?.labels?.[SEED_HASH_LABEL] !== undefined;
const hasEnded = (job: JobView) => (job.status?.conditions ?? []).some((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');

export class SeedSlots {
  /** Jobs this process created (namespace/name) that the cache has not shown yet. */
  readonly #granted = new Set<string>();
  /** Gaims refused a slot, in the order they first asked, with when they last asked. */
  readonly #waiting = new Map<string, number>();

  constructor(
    readonly max: number,
    private readonly caches: Pick<Caches, 'get' | 'list'>,
    private readonly now: () => number = Date.now,
  ) {}

  /** Seed Jobs running now, or created and not yet in the cache. */
  inFlight(): number {
    let running = 0;
    for (const job of this.caches.list<JobView>(Resources.job)) if (isSeedJob(job) && !hasEnded(job)) running += 1;
    for (const key of this.#granted) {
      if (this.caches.get(Resources.job, key) === undefined) running += 1;
      else this.#granted.delete(key); // counted above from the cache from now on
    }
    return running;
  }

  /**
   * A slot for Gaim `gaim` to create seed Job `job` (namespace/name): granted when fewer than max run
   * and no Gaim that asked earlier still waits, else the Gaim joins the line.
   */
  tryAcquire(gaim: string, job: string): { granted: boolean; inFlight: number } {
    const inFlight = this.inFlight();
    const free = this.max - inFlight;
    const line = this.#line();
    const ahead = line.indexOf(gaim);
    const turn = ahead === -1 ? line.length : ahead;
    if (turn >= free) {
      this.#waiting.set(gaim, this.now());
      return { granted: false, inFlight };
    }
    this.#waiting.delete(gaim);
    this.#granted.add(job);
    return { granted: true, inFlight };
  }

  /** The Job could not be created after all: its slot is free again. */
  release(job: string): void {
    this.#granted.delete(job);
  }

  /** The Gaim is gone or no longer seeds (suspended, invalid, being deleted, seeded): it leaves the line. */
  forget(gaim: string): void {
    this.#waiting.delete(gaim);
  }

  /** Gaims in line and seed Jobs this process started. */
  get size(): number {
    return this.#waiting.size + this.#granted.size;
  }

  /** The Gaims to wake for a change: when a seed Job ended or went, the first in line, as many as slots are free. */
  wakeFor({ event, resource, object, old }: CacheChange): string[] {
    if (resource !== Resources.job || !isSeedJob(object) || this.#waiting.size === 0) return [];
    const ended = event === 'delete' ? !hasEnded(object) : hasEnded(object) && (old === undefined || !hasEnded(old));
    if (!ended) return [];
    const free = this.max - this.inFlight();
    return free <= 0 ? [] : this.#line().slice(0, free);
  }

  /** For tests and the status message: who waits, in order. */
  waiting(): string[] {
    return this.#line();
  }

  /** The line in order, once those that stopped asking have left it. */
  #line(): string[] {
    const oldest = this.now() - LINE_EXPIRY_MS;
    for (const [gaim, asked] of this.#waiting) if (asked < oldest) this.#waiting.delete(gaim);
    return [...this.#waiting.keys()];
  }
}

