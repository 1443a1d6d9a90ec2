import type { QueueMetrics } from '../observability/metrics.js';
import { backoffDelay, type BackoffPolicy } from './backoff.js';
import { TokenBucket } from './rate-limiter.js';

export interface WorkQueueOptions {
  readonly backoff: BackoffPolicy;
  /** Global limit on rate-limited re-adds (retries), shared by all keys. */
  readonly retryQps: number;
  readonly retryBurst: number;
  readonly metrics?: QueueMetrics;
  readonly random?: () => number;
}

/**
 * The work queue of a controller, with client-go's guarantees:
 * - a key is handed to at most one worker at a time;
 * - adding a key that is already waiting does nothing (events collapse);
 * - a key added while a worker holds it is handed out again once that worker is done;
 * - retries are delayed by per-key exponential backoff with jitter and a cap, and by a global
 *   token bucket; `forget` resets a key's backoff.
 * And with controller-runtime's priority queue's: a key added at low priority (every object at
 * start and at each periodic resync) is handed out only when no key of normal priority waits, so a
 * real change (a store that went down, a spec edit) is not queued behind a thousand resyncs; a
 * waiting low key added again at normal priority moves up. Strict, as there: low keys wait for as
 * long as normal ones keep coming (normal work is events and requeues, which run dry).
 */
export type Priority = 'normal' | 'low';

export class WorkQueue {
  readonly #normal: string[] = [];
  readonly #low: string[] = [];
  /**
   * Keys waiting to be processed (in a queue, or re-added while processing): when added, and at
   * which priority. A key moved up stays behind in #low too; it is skipped there.
   */
  readonly #dirty = new Map<string, { readonly at: number; priority: Priority }>();
  readonly #processing = new Map<string, number>();
  readonly #failures = new Map<string, number>();
  readonly #timers = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  readonly #waiters: ((key: string | undefined) => void)[] = [];
  readonly #bucket: TokenBucket;
  #shuttingDown = false;

  constructor(private readonly options: WorkQueueOptions) {
    this.#bucket = new TokenBucket(options.retryQps, options.retryBurst);
  }

  /** Keys waiting to be handed out (not those re-added while a worker holds them). */
  get length(): number {
    return this.#dirty.size - [...this.#processing.keys()].filter((k) => this.#dirty.has(k)).length;
  }

  add(key: string, priority: Priority = 'normal'): void {
    if (this.#shuttingDown) return;
    const dirty = this.#dirty.get(key);
    if (dirty !== undefined) {
      if (dirty.priority === 'low' && priority === 'normal') {
        dirty.priority = 'normal';
        if (!this.#processing.has(key)) this.#normal.push(key);
      }
      return;
    }
    this.options.metrics?.added();
    this.#dirty.set(key, { at: performance.now(), priority });
    if (this.#processing.has(key)) return; // handed out again by done()
    this.#push(key);
  }

  /** Adds the key after `delayMs`; an earlier pending add-after for the same key wins. */
  addAfter(key: string, delayMs: number): void {
    if (this.#shuttingDown) return;
    if (delayMs <= 0) {
      this.add(key);
      return;
    }
    const at = Date.now() + delayMs;
    const pending = this.#timers.get(key);
    if (pending !== undefined) {
      if (pending.at <= at) return;
      clearTimeout(pending.timer);
    }
    const timer = setTimeout(() => {
      this.#timers.delete(key);
      this.options.metrics?.delayed(this.#timers.size);
      this.add(key);
    }, delayMs);
    timer.unref();
    this.#timers.set(key, { at, timer });
    this.options.metrics?.delayed(this.#timers.size);
  }

  /** Re-adds the key after its backoff (and the global bucket's delay); returns that delay. */
  addRateLimited(key: string): number {
    const attempt = (this.#failures.get(key) ?? 0) + 1;
    this.#failures.set(key, attempt);
    this.options.metrics?.retried();
    const delay = Math.max(backoffDelay(this.options.backoff, attempt, this.options.random), this.#bucket.reserve());
    this.addAfter(key, delay);
    return delay;
  }

  /** Retries since the key last succeeded. */
  failures(key: string): number {
    return this.#failures.get(key) ?? 0;
  }

  /** The key succeeded (or failed terminally): its next failure starts backoff from the beginning. */
  forget(key: string): void {
    this.#failures.delete(key);
  }

  /** The next key to work on; undefined once the queue is shut down. */
  get(): Promise<string | undefined> {
    const key = this.#next();
    if (key !== undefined) return Promise.resolve(this.#take(key));
    if (this.#shuttingDown) return Promise.resolve(undefined);
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** The worker is finished with the key; if it was re-added meanwhile it is queued again. */
  done(key: string): void {
    const started = this.#processing.get(key);
    this.#processing.delete(key);
    if (started !== undefined) this.options.metrics?.worked((performance.now() - started) / 1000);
    if (this.#dirty.has(key)) this.#push(key);
  }

  /** No new work is accepted; waiting workers get undefined. Keys already handed out finish normally. */
  shutDown(): void {
    this.#shuttingDown = true;
    for (const { timer } of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
    this.options.metrics?.delayed(0);
    for (const waiter of this.#waiters.splice(0)) waiter(undefined);
  }

  #push(key: string): void {
    const waiter = this.#waiters.shift();
    if (waiter !== undefined) {
      waiter(this.#take(key));
      return;
    }
    (this.#dirty.get(key)?.priority === 'low' ? this.#low : this.#normal).push(key);
    this.options.metrics?.depth(this.length);
  }

  /** The first waiting key of normal priority, else of low; entries left behind by a move up are skipped. */
  #next(): string | undefined {
    for (const queue of [this.#normal, this.#low]) {
      for (let key = queue.shift(); key !== undefined; key = queue.shift()) {
        if (this.#dirty.has(key) && !this.#processing.has(key)) return key;
      }
    }
    return undefined;
  }

  #take(key: string): string {
    const added = this.#dirty.get(key);
    this.#dirty.delete(key);
    this.#processing.set(key, performance.now());
    if (added !== undefined) this.options.metrics?.waited((performance.now() - added.at) / 1000);
    this.options.metrics?.depth(this.length);
    return key;
  }
}
