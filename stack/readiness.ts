import { setTimeout as sleep } from 'node:timers/promises';
import { StackError } from './errors.js';
import type { ManagedProcess } from './process.js';

export interface WaitOptions {
  readonly timeoutMs: number;
  readonly intervalMs?: number;
  /** The process whose death ends the wait early, and whose log tail explains a failure. */
  readonly process?: ManagedProcess;
  readonly signal?: AbortSignal;
}

/**
 * Polls `probe` until it returns true. Fails with a StackError naming the component, the last
 * probe error and the tail of the component's log, as soon as the process exits or the deadline
 * passes.
 */
export async function waitUntilReady(
  component: string,
  probe: () => Promise<boolean>,
  { timeoutMs, intervalMs = 200, process, signal }: WaitOptions,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = 'not ready';
  for (;;) {
    signal?.throwIfAborted();
    if (process?.exit !== undefined) {
      const { code, signal: killedBy } = process.exit;
      throw new StackError(component, `exited during start-up (${killedBy ?? `code ${code}`})`, process.tail());
    }
    try {
      // A probe that never settles (a client waiting on a dead socket) must not stall the wait, and
      // its timer keeps the event loop alive while everything else the launcher holds is unref'd.
      if (await withTimeout(probe(), 5000)) return;
    } catch (error: unknown) {
      lastError = error instanceof Error ? error.message : String(error);
    }
    if (Date.now() > deadline) {
      throw new StackError(component, `was not ready within ${timeoutMs / 1000}s (${lastError})`, process?.tail() ?? '');
    }
    await sleep(intervalMs);
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => { reject(new Error(`probe did not answer within ${ms / 1000}s`)); }, ms);
  });
  return Promise.race([promise, timeout]).finally(() => { clearTimeout(timer); });
}
