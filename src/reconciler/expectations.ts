import type { Ledger } from '../status/retry-ledger.js';

/** How long to wait for the cache to show a status the operator wrote before trusting the cache again. */
const PATIENCE_MS = 10_000;

const canonical = (ledger: Ledger) => JSON.stringify([ledger.retryCount, ledger.lastRetryAt ?? null, ledger.nextRetryAt ?? null]);

/**
 * Read-your-writes for the retry ledger (client-go's "expectations"). The ledger lives in status and
 * is read from the informer cache, which can lag the operator's own status write by a moment; a
 * reconcile in that moment would see the old ledger and retry before nextRetryAt (or start a seed
 * Job again). After a write, the Gaim waits until the cache shows it, for at most PATIENCE_MS.
 */
export class LedgerExpectations {
  readonly #pending = new Map<string, { ledger: string; until: number }>();

  /** The operator wrote this ledger for the Gaim. */
  expect(key: string, ledger: Ledger): void {
    this.#pending.set(key, { ledger: canonical(ledger), until: Date.now() + PATIENCE_MS });
  }

  /** Whether the cached ledger can be trusted: it shows the last write, or waiting longer is pointless. */
  satisfied(key: string, cached: Ledger): boolean {
    const pending = this.#pending.get(key);
    if (pending === undefined) return true;
    if (pending.ledger === canonical(cached) || Date.now() > pending.until) {
      this.#pending.delete(key);
      return true;
    }
    return false;
  }

  forget(key: string): void {
    this.#pending.delete(key);
  }
}
