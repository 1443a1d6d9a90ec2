import { Message } from '../messages.js';
import { FirestoreUnavailableError } from './errors.js';

/**
 * Remembers that Firestore is unreachable, so that during an outage each reconcile fails its
 * Firestore steps at once instead of waiting out a deadline per call and per Gaim. After
 * `coolDownMs` one call is let through to probe; a success closes the breaker again.
 */
export class FirestoreBreaker {
  #openUntil = 0;

  constructor(private readonly coolDownMs = 5000) {}

  /** Runs `call` unless the breaker is open; opens it when the call finds Firestore unavailable. */
  async run<T>(call: () => Promise<T>): Promise<T> {
    if (Date.now() < this.#openUntil) throw new FirestoreUnavailableError(Message.firestoreUnreachable);
    try {
      const result = await call();
      this.#openUntil = 0;
      return result;
    } catch (error: unknown) {
      if (error instanceof FirestoreUnavailableError) this.#openUntil = Date.now() + this.coolDownMs;
      throw error;
    }
  }
}
