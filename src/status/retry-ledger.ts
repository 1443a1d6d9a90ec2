import { backoffDelay, type BackoffPolicy } from '../controller/backoff.js';

/** The retry ledger kept in status (and mirrored to Firestore), so it survives restarts and leader changes. */
export interface Ledger {
  readonly retryCount: number;
  readonly lastRetryAt?: string;
  readonly nextRetryAt?: string;
}

/** Annotation that asks for an immediate retry; any new value counts, status echoes the one handled. */
export const RETRY_NOW = 'gaim.livingcontent.io/retry-now';

/** Milliseconds kept: the gaps between retries are what the ledger is for. */
const iso = (date: Date) => date.toISOString();

export const afterSuccess = (): Ledger => ({ retryCount: 0 });

/**
 * A retry is under way and has not finished (a new seed Job runs): nothing failed again yet, but
 * nothing succeeded either, so the count stays; no next attempt is scheduled while it runs.
 */
export function duringRetry(previous: Ledger): Ledger {
  return { retryCount: previous.retryCount, ...(previous.lastRetryAt === undefined ? {} : { lastRetryAt: previous.lastRetryAt }) };
}

/**
 * A failed attempt: the count rises and the next attempt is scheduled with exponential backoff,
 * jitter and a cap. A terminal failure (validation, conflict) schedules nothing and does not count:
 * only a change to the spec can fix it.
 */
export function afterFailure(previous: Ledger, terminal: boolean, now: Date, policy: BackoffPolicy, random?: () => number): { ledger: Ledger; delayMs: number | undefined } {
  if (terminal) {
    return { ledger: { retryCount: previous.retryCount, ...(previous.lastRetryAt === undefined ? {} : { lastRetryAt: previous.lastRetryAt }) }, delayMs: undefined };
  }
  const retryCount = previous.retryCount + 1;
  const delayMs = backoffDelay(policy, retryCount, random);
  return { ledger: { retryCount, lastRetryAt: iso(now), nextRetryAt: iso(new Date(now.getTime() + delayMs)) }, delayMs };
}

/**
 * How long to hold off before the next attempt: the time left until nextRetryAt, unless the spec
 * changed since the failure or someone asked for a retry now. Undefined: go ahead.
 */
export function holdOff(ledger: Ledger, specChanged: boolean, retryNowRequested: boolean, now: Date): number | undefined {
  if (specChanged || retryNowRequested || ledger.nextRetryAt === undefined) return undefined;
  const wait = Date.parse(ledger.nextRetryAt) - now.getTime();
  return wait > 0 ? wait : undefined;
}
