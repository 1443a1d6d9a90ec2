import { OperatorError } from '../errors.js';

/**
 * Remembers that Firestore is unreachable, so that during an outage each reconcile fails its
 * Firestore steps at once instead of waiting out a deadline per call and per Gaim. After
 * `coolDownMs` one call is let through to probe; a success closes the breaker again.
 */
export class FirestoreBreaker {
  #openUntil = 0;

  constructor(private readonly coolDownMs = 5000) {}

  /** Throws a `firestore` error while the breaker is open. */
  check(): void {
    if (Date.now() < this.#openUntil) {
      throw new OperatorError('firestore', 'Firestore is unreachable (waiting before the next attempt)');
    }
  }

  /** Runs `call` unless the breaker is open; opens it when the call fails with a `firestore` error. */
  async run<T>(call: () => Promise<T>): Promise<T> {
    this.check();
    try {
      const result = await call();
      this.#openUntil = 0;
      return result;
    } catch (error: unknown) {
      if (error instanceof OperatorError && error.errorType === 'firestore' && /no answer within|UNAVAILABLE|ECONNREFUSED|unreachable/i.test(error.message)) {
        this.#openUntil = Date.now() + this.coolDownMs;
      }
      throw error;
    }
  }
}
