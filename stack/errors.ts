/** A component of the local stack failed to start or stopped unexpectedly. */
export class StackError extends Error {
  override readonly name = 'StackError';

  constructor(
    readonly component: string,
    reason: string,
    readonly logTail = '',
    options?: ErrorOptions,
  ) {
    super(
      logTail === ''
        ? `stack: ${component} ${reason}`
        : `stack: ${component} ${reason}\n--- last lines of ${component}'s log ---\n${logTail}`,
      options,
    );
  }
}
