// Stands in for the kubelet on one node of the local stack, for the operator's seed Jobs only:
// kwok runs no containers, but `Seeded=True` must mean the LanceDB tables really exist. Pods bound to
// this node run their container's arguments as the operator's own command (`src/main.ts`), with the
// claim mounted at /data mapped to the directory that backs it (<volumes>/<namespace>/<claim>), and
// report the real outcome (exit code, termination message) in the pod's status.
import { spawn } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import { pino } from 'pino';
import { Informer } from '../../src/controller/informer.js';
import { KubeClient } from '../../src/kube/client.js';
import { isConflict, isNotFound } from '../../src/kube/errors.js';
import type { KubeObject } from '../../src/kube/objects.js';
import { Resources } from '../../src/kube/resources.js';

export const SEED_RUNNER_NODE = 'stack-seed-runner';
export const SEED_RUNNER_LABEL = 'stack.gaim.livingcontent.io/seed-runner';
/** What operators in the stack set as GAIM_SEED_NODE_SELECTOR and GAIM_SEED_TOLERATIONS: the node is
 * tainted, so no other pod lands on it, and only seed pods are sent there. */
export const SEED_NODE_SELECTOR = `${SEED_RUNNER_LABEL}=true`;
export const SEED_TOLERATIONS = `${SEED_RUNNER_LABEL}=true:NoSchedule`;

interface Pod extends KubeObject {
  spec?: {
    nodeName?: string;
    containers?: { name: string; image?: string; args?: string[]; volumeMounts?: { name: string; mountPath: string }[] }[];
    volumes?: { name: string; persistentVolumeClaim?: { claimName: string } }[];
  };
  status?: { phase?: string };
}

const now = () => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
const micro = () => new Date().toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');

/** Seed pods run at once, as a node's capacity would bound them: hundreds of Gaims applied together
 * must not start hundreds of processes on a 2-core machine. */
const PARALLEL_RUNS = 4;

export class SeedRunner {
  readonly #started = new Set<string>();
  #running = 0;
  readonly #waiting: (() => void)[] = [];
  readonly #stop = new AbortController();
  #client: KubeClient | undefined;
  #heartbeat: NodeJS.Timeout | undefined;
  #informerRun: Promise<void> | undefined;

  constructor(private readonly options: {
    kubeConfig: KubeConfig;
    volumesDir: string;
    repoRoot: string;
    nodeBinary: string;
    /** Node arguments before the Job's own: the operator's entry point, relative to repoRoot. */
    entry: readonly string[];
    log: (message: string) => void;
  }) {}

  async start(): Promise<void> {
    const client = await KubeClient.create(this.options.kubeConfig, { userAgent: 'stack-seed-runner' });
    this.#client = client;
    await client.create(Resources.node, {
      apiVersion: 'v1', kind: 'Node',
      metadata: { name: SEED_RUNNER_NODE, labels: { [SEED_RUNNER_LABEL]: 'true', 'kubernetes.io/hostname': SEED_RUNNER_NODE, 'kubernetes.io/os': 'linux' } },
      spec: { taints: [{ key: SEED_RUNNER_LABEL, value: 'true', effect: 'NoSchedule' }] },
    }).catch((error: unknown) => { if (!isConflict(error)) throw error; });
    await this.#beat();
    this.#heartbeat = setInterval(() => { void this.#beat().catch((e: unknown) => { this.options.log(`seed runner heartbeat failed: ${String(e)}`); }); }, 10_000);
    this.#heartbeat.unref();
    const informer = new Informer<Pod>({
      client,
      resource: Resources.pod,
      labelSelector: 'app.kubernetes.io/component=seed',
      inactivityMs: 300_000,
      watchTimeoutSeconds: 300,
      retry: { baseMs: 500, capMs: 5000, jitter: 0.2 },
      log: pino({ level: 'silent' }),
      onEvent: (event, pod) => { if (event !== 'delete') void this.#handle(pod); },
    });
    this.#informerRun = informer.run(this.#stop.signal);
    await informer.waitForSync(this.#stop.signal);
  }

  async stop(): Promise<void> {
    clearInterval(this.#heartbeat);
    this.#stop.abort();
    await this.#informerRun;
    await this.#client?.close();
  }

  /** Node Ready, and a renewed node Lease: what the node lifecycle controller checks. */
  async #beat(): Promise<void> {
    const client = this.#client;
    if (client === undefined) return;
    await client.mergePatch(Resources.node, SEED_RUNNER_NODE, undefined, {
      status: {
        capacity: { cpu: '16', memory: '32Gi', pods: '110' },
        allocatable: { cpu: '16', memory: '32Gi', pods: '110' },
        conditions: [{ type: 'Ready', status: 'True', reason: 'StackSeedRunnerReady', message: 'seed runner is running', lastHeartbeatTime: now(), lastTransitionTime: now() }],
        addresses: [{ type: 'InternalIP', address: '127.0.0.1' }],
      },
    }, undefined, 'status');
    const lease = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: SEED_RUNNER_NODE, namespace: 'kube-node-lease' }, spec: { holderIdentity: SEED_RUNNER_NODE, leaseDurationSeconds: 40, renewTime: micro() } };
    await client.apply(Resources.lease, lease, { fieldManager: 'stack-seed-runner' });
  }

  async #handle(pod: Pod): Promise<void> {
    const client = this.#client;
    const { name, namespace, uid, deletionTimestamp } = pod.metadata ?? {};
    if (client === undefined || name === undefined || namespace === undefined || uid === undefined) return;
    if (pod.spec?.nodeName !== SEED_RUNNER_NODE) return;
    if (deletionTimestamp !== undefined) {
      // As a kubelet would once the containers are gone: confirm the deletion.
      await client.delete(Resources.pod, name, namespace, { gracePeriodSeconds: 0 }).catch(() => undefined);
      return;
    }
    if (pod.status?.phase !== 'Pending' || this.#started.has(uid)) return;
    this.#started.add(uid);
    const container = pod.spec.containers?.[0];
    if (container === undefined) return;
    const startedAt = now();
    const statusPatch = (status: Record<string, unknown>) =>
      client.mergePatch(Resources.pod, name, namespace, { status }, undefined, 'status').catch((error: unknown) => {
        if (!isNotFound(error)) this.options.log(`seed runner cannot update pod ${namespace}/${name}: ${String(error)}`);
      });
    await statusPatch({
      phase: 'Running', startTime: startedAt, hostIP: '127.0.0.1', podIP: '127.0.0.1',
      conditions: ['PodScheduled', 'Initialized', 'ContainersReady', 'Ready'].map((type) => ({ type, status: 'True', lastTransitionTime: startedAt })),
      containerStatuses: [{ name: container.name, image: container.image ?? '', imageID: '', ready: true, started: true, restartCount: 0, state: { running: { startedAt } } }],
    });

    // The claim behind each mount becomes a directory; arguments that name a mount path point there.
    let args = container.args ?? [];
    for (const mount of container.volumeMounts ?? []) {
      const claim = pod.spec.volumes?.find((v) => v.name === mount.name)?.persistentVolumeClaim?.claimName;
      if (claim === undefined) continue;
      const dir = join(this.options.volumesDir, namespace, claim);
      await mkdir(dir, { recursive: true });
      args = args.map((arg) => arg.replace(new RegExp(`(^|=)${mount.mountPath}(?=/|$)`), `$1${dir}`));
    }
    const { code, output } = await this.#slot(() => this.#run(args));
    const finishedAt = now();
    await statusPatch({
      phase: code === 0 ? 'Succeeded' : 'Failed',
      conditions: ['Ready', 'ContainersReady'].map((type) => ({ type, status: 'False', reason: 'PodCompleted', lastTransitionTime: finishedAt })),
      containerStatuses: [{
        name: container.name, image: container.image ?? '', imageID: '', ready: false, started: false, restartCount: 0,
        state: { terminated: { exitCode: code, reason: code === 0 ? 'Completed' : 'Error', message: output.slice(-4000), startedAt, finishedAt } },
      }],
    });
    this.options.log(`seed runner: ${namespace}/${name} exited ${code}`);
  }

  async #slot<T>(work: () => Promise<T>): Promise<T> {
    // A finished run hands its slot straight to the next waiter, so the count never overshoots.
    if (this.#running >= PARALLEL_RUNS) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    else this.#running += 1;
    try {
      return await work();
    } finally {
      const next = this.#waiting.shift();
      if (next === undefined) this.#running -= 1;
      else next();
    }
  }

  #run(args: string[]): Promise<{ code: number; output: string }> {
    return new Promise((resolve) => {
      const child = spawn(this.options.nodeBinary, [...this.options.entry, ...args], {
        cwd: this.options.repoRoot,
        env: { PATH: process.env['PATH'], HOME: process.env['HOME'] },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk; });
      child.stdout.resume();
      const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
      child.once('close', (code) => {
        clearTimeout(timer);
        resolve({ code: code ?? 137, output: stderr.replace(/^gaim-operator seed-storage: /, '').trim() });
      });
    });
  }
}
