import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { freePort } from '../../stack/ports.js';
import { repoRoot } from '../../stack/stack.js';
import { stackEnv } from './stack.js';

// Tests read an operator's metrics with the reader the benchmarks use too (stack/: make bench needs nothing from test/).
export { metricValue } from '../../stack/metrics.js';

export interface Record {
  readonly event: string;
  readonly at: number;
  readonly key?: string;
  readonly [field: string]: unknown;
}

/**
 * How a script runs: the operator itself from dist/ (the global setup compiles it, as the image
 * runs it: no per-process TypeScript transpiling, the suite's largest CPU cost when it started an
 * operator a hundred times under tsx), test scripts under tsx.
 */
function entry(script: string): string[] {
  return script === 'src/main.ts' ? [join(repoRoot, 'dist', 'src', 'main.js')] : ['--import', 'tsx', join(repoRoot, script)];
}

/** An operator run as its own process (test/engine/recording-operator.ts or src/main.ts). */
export class OperatorProcess {
  readonly records: Record[] = [];
  readonly stderr: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly #child: ChildProcess;

  private constructor(script: string, args: string[], env: NodeJS.ProcessEnv, readonly healthPort: number, readonly metricsPort: number) {
    this.#child = spawn(join(repoRoot, 'bin', 'node'), [...entry(script), ...args], {
      cwd: repoRoot,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    if (this.#child.stdout !== null) {
      createInterface(this.#child.stdout).on('line', (line) => {
        try {
          this.records.push(JSON.parse(line) as Record);
        } catch {
          this.stderr.push(line);
        }
      });
    }
    if (this.#child.stderr !== null) createInterface(this.#child.stderr).on('line', (line) => this.stderr.push(line));
    this.exited = new Promise((resolve) => this.#child.once('exit', (code, signal) => { resolve({ code, signal }); }));
  }

  static async start(options: { script?: string; args?: string[]; env?: NodeJS.ProcessEnv } = {}): Promise<OperatorProcess> {
    const [healthPort, metricsPort] = [await freePort(), await freePort()];
    const stack = stackEnv();
    const env: NodeJS.ProcessEnv = {
      PATH: process.env['PATH'],
      HOME: process.env['HOME'],
      KUBECONFIG: stack.KUBECONFIG,
      FIRESTORE_EMULATOR_HOST: stack.FIRESTORE_EMULATOR_HOST,
      GOOGLE_CLOUD_PROJECT: stack.GOOGLE_CLOUD_PROJECT,
      GAIM_BIND_ADDRESS: '127.0.0.1',
      GAIM_HEALTH_PORT: String(healthPort),
      GAIM_METRICS_PORT: String(metricsPort),
      GAIM_LOG_LEVEL: 'info',
      ...options.env,
    };
    return new OperatorProcess(options.script ?? 'test/engine/recording-operator.ts', options.args ?? [], env, healthPort, metricsPort);
  }

  /** How the process ended, or undefined while it runs. */
  get exit(): { code: number | null; signal: NodeJS.Signals | null } | undefined {
    const { exitCode: code, signalCode: signal } = this.#child;
    return code === null && signal === null ? undefined : { code, signal };
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  kill(signal: NodeJS.Signals): void {
    this.#child.kill(signal);
  }

  starts(key?: string): Record[] {
    return this.records.filter((r) => r.event === 'start' && (key === undefined || r.key === key));
  }

  async metrics(): Promise<string> {
    return (await fetch(`http://127.0.0.1:${this.metricsPort}/metrics`)).text();
  }

  async readyz(): Promise<number> {
    try {
      return (await fetch(`http://127.0.0.1:${this.healthPort}/readyz`)).status;
    } catch {
      return 0;
    }
  }

  /** Stops the process if it still runs (SIGKILL after 10 s). */
  async stop(): Promise<void> {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return;
    this.#child.kill('SIGTERM');
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), 10_000);
    await this.exited;
    clearTimeout(timer);
  }
}
