// What the plugin's commands need from the process: where lines go, how wide the terminal is, the
// environment, and the signal that ends a watch (Ctrl-C). The entry point fills it in.

export interface PluginIo {
  out(line: string): void;
  err(line: string): void;
  /** The terminal's width when stdout is one, else undefined (a pipe: render for 100 columns). */
  readonly columns: number | undefined;
  /** Whether stdout is a terminal: a watch then redraws in place instead of appending. */
  readonly isTty: boolean;
  readonly env: NodeJS.ProcessEnv;
  /** Aborts on SIGINT or SIGTERM. */
  readonly signal: AbortSignal;
}

export const USER_AGENT = 'kubectl-gaim';
/** A workstation's link may be slow, but a command that hangs is worse than one that says why. */
export const REQUEST_TIMEOUT_MS = 15_000;
