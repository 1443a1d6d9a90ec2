// The one shape of what a step of the Gaim reconcile returns — CloudNativePG's sub-reconcilers return
// (Result, error) and the caller takes the first that is not zero. Here the steps come in two phases:
//
// - Converging (observe, refusals, restore, apply, grow): each either lets the reconcile go on or
//   stops it by throwing an OperatorError — Go's `return err` — and the reconcile reports that one.
// - Tending (start-up budgets, seeding, rotation, feature compatibility, backups, maintenance): each
//   returns what it achieved with the StepResult fields, and the others still run, so a rotation
//   that fails after a good seed keeps what was just seeded. A step that throws is `settled` into
//   its one error.
//
// Either way, when to look again is the soonest recheck any step asked for.
import { asOperatorError, OperatorError, type ErrorType } from '../../errors.js';

export interface StepResult {
  /** The errors it met (the other steps still ran). */
  readonly errors?: readonly OperatorError[];
  /** Look again after this long: something waits on an actor whose progress may show in no watched object. */
  readonly recheckAfterMs?: number;
}

/**
 * Runs a tending step: what it returns, or — when it throws — `fallback` (what it achieved when it
 * failed; nothing, usually) with the throw as its one error, of type `type` unless it says.
 */
export async function settled<T extends StepResult>(run: () => Promise<T>, fallback: T, type: ErrorType, signal: AbortSignal): Promise<T> {
  try {
    return await run();
  } catch (error: unknown) {
    return { ...fallback, errors: [asOperatorError(error, type, signal)] };
  }
}

/** The soonest recheck the steps asked for; undefined when none did. */
export function soonest(steps: readonly StepResult[]): number | undefined {
  const wanted = steps.map((s) => s.recheckAfterMs ?? Infinity);
  const first = Math.min(...wanted);
  return Number.isFinite(first) ? first : undefined;
}

/** The steps' errors as one: the first's type and reason, every message in order. */
export function joinedErrors(steps: readonly StepResult[]): OperatorError | undefined {
  const errors = steps.flatMap((s) => s.errors ?? []);
  const [first] = errors;
  if (first === undefined) return undefined;
  return new OperatorError(first.errorType, errors.map((e) => e.message).join('; '), { cause: first, reason: first.reason });
}
