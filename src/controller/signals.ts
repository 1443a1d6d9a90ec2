/**
 * Whether the signal has aborted. A function call, not a property read, so that the compiler does
 * not narrow `signal.aborted` to false for the rest of a loop: other code aborts it meanwhile.
 */
export function isAborted(signal: AbortSignal): boolean {
  return signal.aborted;
}
