/** Exponential backoff settings: the first delay, the cap, and the jitter fraction. */
export interface BackoffPolicy {
  readonly baseMs: number;
  readonly capMs: number;
  /** Each delay is drawn from [d * (1 - jitter), d]; 0 disables jitter. */
  readonly jitter: number;
}

/**
 * The delay before retry number `attempt` (1 for the first retry): base * 2^(attempt-1), capped,
 * then reduced by up to `jitter` of itself so that many failing objects do not retry in lockstep.
 * `random` is injectable for tests.
 */
export function backoffDelay(policy: BackoffPolicy, attempt: number, random: () => number = Math.random): number {
  const exponent = Math.max(0, attempt - 1);
  // Past 2^40 the cap has long been reached; avoid Infinity from huge exponents.
  const uncapped = policy.baseMs * 2 ** Math.min(exponent, 40);
  const delay = Math.min(policy.capMs, uncapped);
  return Math.round(delay * (1 - policy.jitter * random()));
}
