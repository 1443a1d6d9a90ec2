/** How long to wait for the cache to show a status the operator wrote before trusting the cache again. */
const PATIENCE_MS = 10_000;

/**
 * Read-your-writes for the Gaim's status (client-go's "expectations"). The reconcile reads the Gaim
 * from the informer cache, which can lag the operator's own status write by a moment, and a status
 * write's echo does not wake the Gaim (status-only updates are filtered). A reconcile in that moment
 * would decide from the status before the write: it would retry before nextRetryAt (the ledger), or
 * find "nothing changed" against the old status and leave the written one standing — a store that is
 * Ready again stays reported not ready (RedisReady False) until some later event.
 *
 * After a write, the Gaim waits until its cache has shown the version the write made (the
 * resourceVersion the API server answered with): the cache's watch delivers every version in order,
 * so once it has passed that one, what it holds includes the write or something later. A reconcile
 * put off meanwhile is woken by that version's arrival. The wait is at most PATIENCE_MS (a relist
 * may skip versions).
 */
export class StatusExpectations {
  readonly #pending = new Map<string, { written: string; until: number; deferred: boolean }>();

  /**
   * The operator wrote the Gaim's status and the API server answered with version `written`; `read`
   * is the version the write was computed from (the same when the write changed nothing).
   */
  expect(key: string, written: string | undefined, read: string | undefined): void {
    if (written === undefined || written === read) {
      this.#pending.delete(key);
      return;
    }
    this.#pending.set(key, { written, until: Date.now() + PATIENCE_MS, deferred: false });
  }

  /**
   * The cache shows this version of the Gaim. True when a reconcile was put off waiting for it (the
   * caller then wakes the Gaim).
   */
  observed(key: string, version: string | undefined): boolean {
    const pending = this.#pending.get(key);
    if (pending === undefined || pending.written !== version) return false;
    this.#pending.delete(key);
    return pending.deferred;
  }

  /**
   * Whether a reconcile can trust the cache, which holds `cachedVersion`: no write of the Gaim waits
   * to be seen, the cache holds it (its echo may have come before the write's answer), or waiting
   * longer is pointless. Otherwise the reconcile is put off, and the write's echo wakes it.
   */
  satisfied(key: string, cachedVersion: string | undefined): boolean {
    const pending = this.#pending.get(key);
    if (pending === undefined) return true;
    if (pending.written === cachedVersion || Date.now() > pending.until) {
      this.#pending.delete(key);
      return true;
    }
    pending.deferred = true;
    return false;
  }

  forget(key: string): void {
    this.#pending.delete(key);
  }

  get size(): number {
    return this.#pending.size;
  }
}
