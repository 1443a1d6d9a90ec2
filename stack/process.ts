import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const tether = fileURLToPath(new URL('./tether.sh', import.meta.url));

export interface ProcessSpec {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly logFile: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /**
   * How it is tied to the launcher's life: `tether` (tether.sh: polls the launcher, stops the
   * component with SIGTERM, then SIGKILL after 10 s) or `death-signal` (the kernel sends SIGTERM
   * when the launcher dies: no polling process, for the many per-pod stores).
   */
  readonly tie?: 'tether' | 'death-signal';
  /** Runs as this user, group and supplementary groups (setpriv; with `death-signal` only). */
  readonly user?: { readonly uid: number; readonly gid: number; readonly groups: readonly number[] };
  /** The umask the command starts with (an image's entrypoint may set one). */
  readonly umask?: string;
}

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/**
 * One running component of the stack: a child process in its own process group, its output in a
 * log file, stopped with SIGTERM and then SIGKILL. It runs under tether.sh (or with a parent-death
 * signal) so it also stops when the launcher dies without cleaning up.
 */
export class ManagedProcess {
  readonly exited: Promise<Exit>;
  #exit: Exit | undefined;
  readonly #child: ChildProcess;

  private constructor(readonly spec: ProcessSpec) {
    const out = openSync(spec.logFile, 'a');
    try {
      const user = spec.user === undefined ? [] : ['--reuid', String(spec.user.uid), '--regid', String(spec.user.gid), '--groups', spec.user.groups.join(',')];
      const program = spec.umask === undefined ? [spec.command, ...spec.args] : ['sh', '-c', `umask ${spec.umask} && exec "$0" "$@"`, spec.command, ...spec.args];
      const [command, args] = spec.tie === 'death-signal'
        ? ['setpriv', ['--pdeathsig', 'TERM', ...user, '--', ...program]]
        : [tether, [String(process.pid), ...program]];
      this.#child = spawn(command, args, {
        cwd: spec.cwd,
        env: spec.env ?? process.env,
        stdio: ['ignore', out, out],
        detached: true,
      });
    } finally {
      closeSync(out);
    }
    this.exited = new Promise((resolve) => {
      this.#child.once('exit', (code, signal) => {
        this.#exit = { code, signal };
        resolve(this.#exit);
      });
      this.#child.once('error', () => {
        this.#exit = { code: 127, signal: null };
        resolve(this.#exit);
      });
    });
    // The launcher must not wait on the component's handle to exit.
    this.#child.unref();
  }

  static start(spec: ProcessSpec): ManagedProcess {
    return new ManagedProcess(spec);
  }

  get name(): string {
    return this.spec.name;
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  /** Undefined while the process runs. */
  get exit(): Exit | undefined {
    return this.#exit;
  }

  tail(lines = 25): string {
    try {
      const text = readFileSync(this.spec.logFile, 'utf8').trimEnd();
      return text.split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }

  /** SIGTERM to the whole group, SIGKILL after the grace period. Safe to call twice. */
  async stop(graceMs = 10_000): Promise<void> {
    if (this.#exit !== undefined || this.#child.pid === undefined) return;
    const group = -this.#child.pid;
    // Waiting for the exit must keep this process alive: with the handle unreferenced and nothing else
    // running (a global setup that failed, stopping what it started), Node would exit mid-stop — with
    // code 0 under vitest, a failed run reported as passed.
    this.#child.ref();
    signalGroup(group, 'SIGTERM');
    const timer = new Promise<'timeout'>((resolve) => setTimeout(resolve, graceMs, 'timeout').unref());
    if ((await Promise.race([this.exited, timer])) === 'timeout') {
      signalGroup(group, 'SIGKILL');
      await this.exited;
    }
    // The tether has exited; make sure nothing of its group is left behind.
    signalGroup(group, 'SIGKILL');
  }
}

function signalGroup(group: number, signal: NodeJS.Signals): void {
  try {
    process.kill(group, signal);
  } catch {
    // Already gone.
  }
}
