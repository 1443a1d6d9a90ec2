// Stands in for the kubelet on one node of the local stack, for the pods the operator makes (kwok
// makes pods Ready without running anything; these must really run):
// - seed Job pods: each container of the operator's image, init containers first and in order, runs
//   the operator's command as the container's effective user and group (runAsUser/runAsGroup, the
//   pod's supplementary groups and fsGroup as a supplementary group), with the claim's directory
//   where the pod mounts it. A volume gets the pod's fsGroup as GKE's drivers allow it
//   (volume-ownership.ts): Persistent Disk (ext4, RWO) yes, Filestore (NFS) no. A container that runs as root gets root, limited to the capabilities its
//   securityContext keeps (setpriv), with no_new_privs when it forbids privilege escalation.
//   Exit codes and termination messages are reported as a kubelet does.
// - MongoDB and Redis pods (store-runtime.ts): a store process per pod, started as the official
//   images start, Ready when it answers as the pod's readiness probe asks.
// The node heartbeats through its Lease, like kwok's nodes.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pino } from 'pino';
import { isJobCommand, JOB_COMMANDS } from '../src/commands/names.js';
import { Informer } from '../src/controller/informer.js';
import type { KubeClient } from '../src/kube/client.js';
import { isConflict, isNotFound } from '../src/kube/errors.js';
import { Labels, MANAGED_BY } from '../src/kube/labels.js';
import type { KubeObject } from '../src/kube/objects.js';
import { Resources } from '../src/kube/resources.js';
import { microTime } from '../src/kube/time.js';
import type { OperatorImage } from './image.js';
import { newShare, recordEvent, stackVolumePath } from './provisioner.js';
import { backOffMessage, pullError } from './registry.js';
import { expandOnNode, type ResizingClaim } from './resizer.js';
import { applyFsGroup, fsGroupApplies } from './volume-ownership.js';
import type { StoreKind, StoreRuntimes } from './store-runtime.js';

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: {
    secretKeyRef?: { name: string; key: string };
    configMapKeyRef?: { name: string; key: string };
    fieldRef?: { fieldPath: string };
  };
}
interface SecurityContext {
  runAsUser?: number;
  runAsGroup?: number;
  allowPrivilegeEscalation?: boolean;
  capabilities?: { drop?: string[]; add?: string[] };
}
interface Container {
  name: string;
  image?: string;
  command?: string[];
  args?: string[];
  env?: EnvVar[];
  volumeMounts?: { name: string; mountPath: string }[];
  securityContext?: SecurityContext;
  ports?: { containerPort: number }[];
  readinessProbe?: { periodSeconds?: number; exec?: { command?: string[] } };
}
export interface Pod extends KubeObject {
  spec?: {
    nodeName?: string;
    subdomain?: string;
    initContainers?: Container[];
    containers?: Container[];
    volumes?: { name: string; persistentVolumeClaim?: { claimName: string }; emptyDir?: Record<string, unknown> }[];
    securityContext?: SecurityContext & { fsGroup?: number; fsGroupChangePolicy?: string; supplementalGroups?: number[] };
  };
  status?: { phase?: string };
}
interface Terminated { exitCode: number; reason: string; message: string; startedAt: string; finishedAt: string }

const now = () => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
const COMPONENT = 'app.kubernetes.io/component';
const RUNS_PODS_OF = `${Labels.managedBy} in (${MANAGED_BY},gaim-bench-baseline)`;

export interface KubeletOptions {
  readonly client: KubeClient;
  readonly nodeName: string;
  /** A tainted node takes only pods that tolerate the taint (the seed Jobs, when kwok runs the rest). */
  readonly taint?: { readonly key: string; readonly value: string };
  /** Room for pods: generous, the stack's pods request far more than they use. */
  readonly capacity: { readonly cpu: string; readonly memory: string; readonly pods: string };
  readonly volumesDir: string;
  /** Each pod's own directory (tmp, termination messages, store state) goes here. */
  readonly podsDir: string;
  /** The operator's image, readable by every container user (see image.ts). */
  readonly image: OperatorImage;
  /** container-entry.mjs: node reads it as root, before the container takes its user. */
  readonly entryScript: string;
  readonly nodeBinary: string;
  /** Runs MongoDB and Redis pods; without it, this node runs seed pods only. */
  readonly stores?: StoreRuntimes;
  readonly log: (message: string) => void;
}

/** The command modules a container of the operator's image loads: the one its args name, or all of them. */
export function preloadFor(command: string | undefined): readonly string[] {
  return isJobCommand(command) ? [command] : JOB_COMMANDS;
}

/** Seed pods run at once, as a node's capacity would bound them: many Gaims must not start many processes at once. */
const PARALLEL_RUNS = 4;
/** When the pod's readiness probe names no period: the kubelet's default. */
const DEFAULT_PROBE_PERIOD_MS = 10_000;

/** A kubelet's readiness probe: a pod is not Ready after this many failed probes in a row. */
const FAILURE_THRESHOLD = 3;

export class StackKubelet {
  readonly #started = new Set<string>();
  /** Pods deleted: a container of theirs still waiting for a slot never starts, a running one is killed. */
  readonly #gone = new Set<string>();
  readonly #processes = new Map<string, Set<ReturnType<typeof spawn>>>();
  readonly #stop = new AbortController();
  readonly #storeProbes = new Map<string, NodeJS.Timeout>();
  #running = 0;
  readonly #waiting: (() => void)[] = [];
  #heartbeat: NodeJS.Timeout | undefined;
  #informerRun: Promise<void> | undefined;
  #claimsRun: Promise<void> | undefined;
  #claims: Informer<ResizingClaim> | undefined;
  /** `namespace/claim` → the running store pod that mounts it: where NodeExpandVolume runs. */
  readonly #mounted = new Map<string, Pod>();
  readonly #expansionHeld = new Set<string>();

  constructor(private readonly options: KubeletOptions) {}

  async start(): Promise<void> {
    const { client, nodeName, taint } = this.options;
    await client.create(Resources.node, {
      apiVersion: 'v1', kind: 'Node',
      metadata: { name: nodeName, labels: { type: 'stack', 'kubernetes.io/hostname': nodeName, 'kubernetes.io/os': 'linux', ...(taint === undefined ? {} : { [taint.key]: taint.value }) } },
      spec: taint === undefined ? {} : { taints: [{ key: taint.key, value: taint.value, effect: 'NoSchedule' }] },
    }).catch((error: unknown) => { if (!isConflict(error)) throw error; });
    await this.#beat();
    this.#heartbeat = setInterval(() => { void this.#beat().catch((e: unknown) => { this.options.log(`kubelet heartbeat failed: ${String(e)}`); }); }, 10_000);
    this.#heartbeat.unref();
    const informer = new Informer<Pod>({
      client,
      resource: Resources.pod,
      // The operator's pods, and the benchmark's bare client's (the same objects under its own manager).
      labelSelector: RUNS_PODS_OF,
      inactivityMs: 300_000,
      watchTimeoutSeconds: 300,
      retry: { baseMs: 500, capMs: 5000, jitter: 0.2 },
      log: pino({ level: 'silent' }),
      onEvent: (event, pod) => { void this.#handle(pod, event === 'delete'); },
    });
    this.#informerRun = informer.run(this.#stop.signal);
    await informer.waitForSync(this.#stop.signal);
    if (this.options.stores !== undefined) {
      // The volume manager's part in a resize: grow the file system of a mounted volume that the
      // resizer grew (NodeResizePending), then record the claim's new capacity.
      this.#claims = new Informer<ResizingClaim>({
        client, resource: Resources.persistentVolumeClaim, inactivityMs: 300_000, watchTimeoutSeconds: 300,
        retry: { baseMs: 500, capMs: 5000, jitter: 0.2 }, log: pino({ level: 'silent' }),
        onEvent: (event, claim) => { if (event !== 'delete') void this.#expandIfPending(claim); },
      });
      this.#claimsRun = this.#claims.run(this.#stop.signal);
      await this.#claims.waitForSync(this.#stop.signal);
    }
  }

  /** Holds the file-system step of a namespace's resizes, or releases it (and does the ones that waited). */
  holdExpansion(namespace: string, held: boolean): void {
    if (held) {
      this.#expansionHeld.add(namespace);
      return;
    }
    this.#expansionHeld.delete(namespace);
    for (const key of this.#mounted.keys()) {
      const claim = this.#claims?.get(key);
      if (claim?.metadata?.namespace === namespace) void this.#expandIfPending(claim);
    }
  }

  async #expandIfPending(claim: ResizingClaim): Promise<void> {
    const key = `${claim.metadata?.namespace ?? ''}/${claim.metadata?.name ?? ''}`;
    const pod = this.#mounted.get(key);
    if (pod === undefined || this.#expansionHeld.has(claim.metadata?.namespace ?? '') || claim.status?.allocatedResourceStatuses?.['storage'] !== 'NodeResizePending') return;
    await expandOnNode(this.options.client, claim, pod, this.options.nodeName, this.options.log)
      .catch((error: unknown) => { this.options.log(`kubelet: cannot expand ${key}: ${String(error)}`); });
  }

  async stop(): Promise<void> {
    clearInterval(this.#heartbeat);
    for (const timer of this.#storeProbes.values()) clearTimeout(timer);
    this.#stop.abort();
    await this.#informerRun;
    await this.#claimsRun;
    // Containers still running (the seed Jobs of Gaims not converged yet, at the end of a benchmark)
    // would go on writing under the node's directory while the stack removes it.
    await killAll([...this.#processes.values()].flatMap((children) => [...children]));
    await this.options.stores?.stopAll();
  }

  /** Node Ready, and a renewed node Lease: what the node lifecycle controller checks. */
  async #beat(): Promise<void> {
    const { client, nodeName, capacity } = this.options;
    await client.mergePatch(Resources.node, nodeName, undefined, {
      status: {
        capacity, allocatable: capacity,
        conditions: [{ type: 'Ready', status: 'True', reason: 'StackKubeletReady', message: 'the stack kubelet is running', lastHeartbeatTime: now(), lastTransitionTime: now() }],
        addresses: [{ type: 'InternalIP', address: '127.0.0.1' }],
      },
    }, undefined, 'status');
    const lease = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: nodeName, namespace: 'kube-node-lease' }, spec: { holderIdentity: nodeName, leaseDurationSeconds: 40, renewTime: microTime() } };
    await client.apply(Resources.lease, lease, { fieldManager: 'stack-kubelet' });
  }

  async #handle(pod: Pod, deleted: boolean): Promise<void> {
    const { name, namespace, uid, deletionTimestamp } = pod.metadata ?? {};
    if (name === undefined || namespace === undefined || uid === undefined) return;
    if (pod.spec?.nodeName !== this.options.nodeName) return;
    if (deleted || deletionTimestamp !== undefined) {
      this.#gone.add(uid);
      for (const child of this.#processes.get(uid) ?? []) child.kill('SIGKILL');
      await this.#stopStore(uid);
      // As a kubelet does once the containers are gone: confirm the deletion.
      if (!deleted) await this.options.client.delete(Resources.pod, name, namespace, { gracePeriodSeconds: 0 }).catch(() => undefined);
      return;
    }
    if (pod.status?.phase !== 'Pending' || this.#started.has(uid)) return;
    this.#started.add(uid);
    const component = pod.metadata?.labels?.[COMPONENT];
    try {
      if (component === 'seed' || component === 'maintenance') await this.#runToCompletion(pod);
      else if ((component === 'mongodb' || component === 'redis') && this.options.stores !== undefined) {
        if (!(await this.#pulled(pod))) return;
        await this.#runStore(pod, component);
      }
      else await this.#patchStatus(pod, { phase: 'Failed', reason: 'Unsupported', message: `the stack's kubelet runs no ${component ?? 'such'} pods` });
    } catch (error: unknown) {
      this.options.log(`kubelet: pod ${namespace}/${name}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  // --- seed pods ----------------------------------------------------------------------------------

  async #runToCompletion(pod: Pod): Promise<void> {
    const startedAt = now();
    const dirs = await this.#volumes(pod);
    const init = pod.spec?.initContainers ?? [];
    const main = pod.spec?.containers ?? [];
    await this.#patchStatus(pod, {
      phase: 'Pending', startTime: startedAt, hostIP: '127.0.0.1', podIP: '127.0.0.1',
      conditions: [{ type: 'PodScheduled', status: 'True', lastTransitionTime: startedAt }],
      ...(init.length === 0 ? {} : { initContainerStatuses: init.map((c) => waitingStatus(c)) }),
      containerStatuses: main.map((c) => waitingStatus(c)),
    });
    const initDone: Record<string, unknown>[] = [];
    for (const container of init) {
      const result = await this.#slot(() => this.#runContainer(pod, container, dirs));
      initDone.push(terminatedStatus(container, result));
      if (result.exitCode !== 0) {
        await this.#patchStatus(pod, { phase: 'Failed', initContainerStatuses: [...initDone, ...init.slice(initDone.length).map((c) => waitingStatus(c))], containerStatuses: main.map((c) => waitingStatus(c)) });
        this.options.log(`kubelet: ${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''} init container ${container.name} exited ${result.exitCode}`);
        return;
      }
    }
    const running = now();
    await this.#patchStatus(pod, {
      phase: 'Running',
      conditions: ['PodScheduled', 'Initialized', 'ContainersReady', 'Ready'].map((type) => ({ type, status: 'True', lastTransitionTime: running })),
      ...(init.length === 0 ? {} : { initContainerStatuses: initDone }),
      containerStatuses: main.map((c) => ({ name: c.name, image: c.image ?? '', imageID: '', ready: true, started: true, restartCount: 0, state: { running: { startedAt: running } } })),
    });
    const results = [];
    for (const container of main) results.push({ container, result: await this.#slot(() => this.#runContainer(pod, container, dirs)) });
    const failed = results.some((r) => r.result.exitCode !== 0);
    const finishedAt = now();
    await this.#patchStatus(pod, {
      phase: failed ? 'Failed' : 'Succeeded',
      conditions: ['Ready', 'ContainersReady'].map((type) => ({ type, status: 'False', reason: 'PodCompleted', lastTransitionTime: finishedAt })),
      containerStatuses: results.map(({ container, result }) => terminatedStatus(container, result)),
    });
    this.options.log(`kubelet: ${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''} ${failed ? 'failed' : 'succeeded'}`);
  }

  /** Runs one container of the operator's image to its end, as its user, with the pod's volumes. */
  async #runContainer(pod: Pod, container: Container, dirs: Map<string, string>): Promise<Terminated> {
    const startedAt = now();
    const podUid = pod.metadata?.uid ?? '';
    if (this.#gone.has(podUid)) return { exitCode: 137, reason: 'Error', message: 'the pod was deleted', startedAt, finishedAt: now() };
    const podDir = await this.#podDir(pod);
    const env = await this.#env(pod, container);
    const args = mapMounts(expand(container.args ?? [], env), container, dirs);
    const user = effectiveUser(pod, container);
    const messagePath = join(podDir, `${container.name}.termination-log`);
    await writeFile(messagePath, '');
    await chmod(messagePath, 0o666);
    const { image, entryScript } = this.options;
    const { code, entry } = image;
    const ext = entry === 'compiled' ? 'js' : 'ts';
    const spec = {
      ...user,
      // What the command loads, loaded while still root (see container-entry.mjs): only its own module
      // (main imports each command's lazily), as LanceDB's native library alone costs a fifth of a
      // second of CPU, and a hundred Gaims start two hundred of these containers.
      preload: preloadFor(args[0]).map((command) => join(code, 'commands', `${command}.${ext}`)),
      main: join(code, `main.${ext}`),
      args,
    };
    const specFile = join(podDir, `${container.name}.spec.json`);
    await writeFile(specFile, JSON.stringify(spec));
    const node = [this.options.nodeBinary, ...(entry === 'compiled' ? [] : ['--import', 'tsx']), entryScript, specFile];
    const command = user.uid === 0 ? [...rootLimits(container.securityContext), ...node] : node;
    const { exitCode, output } = await run(command, {
      cwd: image.root,
      env: { PATH: process.env['PATH'] ?? '', HOME: podDir, TMPDIR: join(podDir, 'tmp'), TERMINATION_MESSAGE_PATH: messagePath, ...env },
    }, (child) => {
      if (this.#stop.signal.aborted) child.kill('SIGKILL'); // started as the kubelet stopped
      const children = this.#processes.get(podUid) ?? new Set();
      children.add(child);
      this.#processes.set(podUid, children);
      return () => { children.delete(child); if (children.size === 0) this.#processes.delete(podUid); };
    });
    // The kubelet's rule: the termination message file; FallbackToLogsOnError: the log's tail when it is empty.
    const written = (await readFile(messagePath, 'utf8').catch(() => '')).trim();
    const message = written !== '' ? written : exitCode !== 0 ? output.slice(-4000) : '';
    return { exitCode, reason: exitCode === 0 ? 'Completed' : 'Error', message, startedAt, finishedAt: now() };
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

  // --- store pods ---------------------------------------------------------------------------------

  /**
   * Pulls the store container's image, as a kubelet would: an image the stack's registry cannot
   * serve (registry.ts) leaves the pod Pending, its container waiting in ErrImagePull and then
   * ImagePullBackOff, never Ready, with the kubelet's events — until the pod is deleted.
   */
  async #pulled(pod: Pod): Promise<boolean> {
    const container = pod.spec?.containers?.[0];
    const image = container?.image ?? '';
    const error = pullError(image);
    if (container === undefined || error === undefined) return true;
    const at = now();
    const waiting = (reason: string, message: string) => this.#patchStatus(pod, {
      phase: 'Pending', startTime: at, hostIP: '127.0.0.1', podIP: '127.0.0.1',
      conditions: [{ type: 'PodScheduled', status: 'True', lastTransitionTime: at }, { type: 'Initialized', status: 'True', lastTransitionTime: at },
        ...['ContainersReady', 'Ready'].map((type) => ({ type, status: 'False', reason: 'ContainersNotReady', message: `containers with unready status: [${container.name}]`, lastTransitionTime: at }))],
      containerStatuses: [{ name: container.name, image, imageID: '', ready: false, started: false, restartCount: 0, state: { waiting: { reason, message } } }],
    });
    const regarding = { ...pod, apiVersion: 'v1', kind: 'Pod' };
    const event = (type: 'Normal' | 'Warning', reason: string, note: string) =>
      recordEvent(this.options.client, regarding, { type, reason, note, controller: 'kubelet', action: 'Pull' }, this.options.log);
    await event('Normal', 'Pulling', `Pulling image "${image}"`);
    await waiting('ErrImagePull', error);
    await event('Warning', 'Failed', `Failed to pull image "${image}": ${error}`);
    await new Promise((resolve) => setTimeout(resolve, 1000).unref());
    if (this.#gone.has(pod.metadata?.uid ?? '')) return false;
    await waiting('ImagePullBackOff', backOffMessage(image));
    await event('Normal', 'BackOff', backOffMessage(image));
    return false;
  }

  async #runStore(pod: Pod, kind: StoreKind): Promise<void> {
    const stores = this.options.stores;
    const container = pod.spec?.containers?.[0];
    const uid = pod.metadata?.uid ?? '';
    if (stores === undefined || container === undefined) return;
    const dirs = await this.#volumes(pod);
    const env = await this.#env(pod, container);
    const dataMount = container.volumeMounts?.find((m) => m.name === 'data');
    const dataDir = dataMount === undefined ? undefined : dirs.get(dataMount.name);
    if (dataDir === undefined) throw new Error('a store pod without a data volume');
    const port = container.ports?.[0]?.containerPort ?? (kind === 'mongodb' ? 27017 : 6379);
    const startedAt = now();
    await this.#patchStatus(pod, {
      phase: 'Running', startTime: startedAt, hostIP: '127.0.0.1', podIP: '127.0.0.1',
      conditions: ['PodScheduled', 'Initialized'].map((type) => ({ type, status: 'True', lastTransitionTime: startedAt }))
        .concat(['ContainersReady', 'Ready'].map((type) => ({ type, status: 'False', lastTransitionTime: startedAt }))),
      containerStatuses: [{ name: container.name, image: container.image ?? '', imageID: '', ready: false, started: true, restartCount: 0, state: { running: { startedAt } } }],
    });
    await stores.start(uid, {
      kind,
      namespace: pod.metadata?.namespace ?? '',
      serviceAddress: `${pod.spec?.subdomain ?? ''}.${pod.metadata?.namespace ?? ''}.svc.cluster.local:${port}`,
      env,
      args: mapMounts(expand(container.args ?? [], env), container, dirs),
      dataDir,
      podDir: await this.#podDir(pod),
      probePassword: env['REDISCLI_AUTH'],
      ...probeUser(container),
      user: effectiveUser(pod, container),
    });
    const claims = (pod.spec?.volumes ?? []).flatMap((v) => (v.persistentVolumeClaim === undefined ? [] : [`${pod.metadata?.namespace ?? ''}/${v.persistentVolumeClaim.claimName}`]));
    for (const key of claims) {
      this.#mounted.set(key, pod);
      const claim = this.#claims?.get(key);
      if (claim !== undefined) void this.#expandIfPending(claim);
    }
    this.#probe(pod, container, startedAt, false);
  }

  /**
   * The readiness probe: Ready when the store answers; not Ready after FAILURE_THRESHOLD failures in
   * a row, as a kubelet decides (one slow answer on a busy machine does not flap the pod).
   */
  #probe(pod: Pod, container: Container, startedAt: string, wasReady: boolean, failures = 0): void {
    const uid = pod.metadata?.uid ?? '';
    const timer = setTimeout(() => {
      void (async () => {
        const answered = await (this.options.stores?.ready(uid) ?? Promise.resolve(false));
        if (!this.#storeProbes.has(uid)) return; // stopped meanwhile
        const failed = answered ? 0 : failures + 1;
        const ready = answered || (wasReady && failed < FAILURE_THRESHOLD);
        if (ready !== wasReady) {
          const at = now();
          await this.#patchStatus(pod, {
            conditions: ['PodScheduled', 'Initialized'].map((type) => ({ type, status: 'True', lastTransitionTime: startedAt }))
              .concat(['ContainersReady', 'Ready'].map((type) => ({ type, status: ready ? 'True' : 'False', lastTransitionTime: at }))),
            containerStatuses: [{ name: container.name, image: container.image ?? '', imageID: '', ready, started: true, restartCount: 0, state: { running: { startedAt } } }],
          });
        }
        this.#probe(pod, container, startedAt, ready, failed);
      })();
    }, wasReady ? (container.readinessProbe?.periodSeconds ?? DEFAULT_PROBE_PERIOD_MS / 1000) * 1000 : 300);
    timer.unref();
    this.#storeProbes.set(uid, timer);
  }

  async #stopStore(uid: string): Promise<void> {
    for (const [key, pod] of this.#mounted) if (pod.metadata?.uid === uid) this.#mounted.delete(key);
    clearTimeout(this.#storeProbes.get(uid));
    this.#storeProbes.delete(uid);
    await this.options.stores?.stop(uid);
  }

  // --- what a pod's spec resolves to --------------------------------------------------------------

  /** Each volume the pod has, as a host directory: claims through their PersistentVolume, emptyDirs of the pod's own. */
  async #volumes(pod: Pod): Promise<Map<string, string>> {
    const dirs = new Map<string, string>();
    const namespace = pod.metadata?.namespace ?? '';
    for (const volume of pod.spec?.volumes ?? []) {
      if (volume.persistentVolumeClaim !== undefined) {
        const claim = await this.options.client.get<KubeObject & { spec?: { volumeName?: string } }>(Resources.persistentVolumeClaim, volume.persistentVolumeClaim.claimName, namespace);
        const pv = await this.options.client.get<KubeObject & { spec?: { accessModes?: string[]; hostPath?: { path: string }; csi?: { fsType?: string; volumeAttributes?: Record<string, string> }; nfs?: { server: string; path: string } } }>(Resources.persistentVolume, claim.spec?.volumeName ?? '');
        const path = stackVolumePath(pv);
        if (path !== undefined) {
          const fsGroup = pod.spec?.securityContext?.fsGroup;
          if (fsGroup !== undefined && fsGroupApplies({ fsType: pv.spec?.csi?.fsType, accessModes: pv.spec?.accessModes })) {
            await applyFsGroup(path, fsGroup, pod.spec?.securityContext?.fsGroupChangePolicy === 'OnRootMismatch' ? 'OnRootMismatch' : 'Always');
          }
          dirs.set(volume.name, path);
        } else if (pv.spec?.nfs !== undefined) {
          // The stack is also the Filestore server: an export is a directory, new ones as Filestore makes them.
          const dir = join(this.options.volumesDir, 'nfs', pv.spec.nfs.server, pv.spec.nfs.path);
          await newShare(dir).catch(async () => { await mkdir(dir, { recursive: true }); });
          dirs.set(volume.name, dir);
        }
      } else if (volume.emptyDir !== undefined) {
        const dir = join(await this.#podDir(pod), 'volumes', volume.name);
        await mkdir(dir, { recursive: true });
        await chmod(dir, 0o777);
        dirs.set(volume.name, dir);
      }
    }
    return dirs;
  }

  async #podDir(pod: Pod): Promise<string> {
    const dir = join(this.options.podsDir, pod.metadata?.uid ?? randomBytes(4).toString('hex'));
    await mkdir(join(dir, 'tmp'), { recursive: true });
    await chmod(dir, 0o755);
    await chmod(join(dir, 'tmp'), 0o1777);
    return dir;
  }

  /** The container's env as the kubelet resolves it: values, Secret and ConfigMap keys, the pod's own fields. */
  async #env(pod: Pod, container: Container): Promise<Record<string, string>> {
    const namespace = pod.metadata?.namespace ?? '';
    const env: Record<string, string> = {};
    for (const variable of container.env ?? []) {
      const from = variable.valueFrom;
      if (variable.value !== undefined) env[variable.name] = expand([variable.value], env)[0] ?? '';
      else if (from?.secretKeyRef !== undefined) {
        const secret = await this.options.client.get<KubeObject & { data?: Record<string, string> }>(Resources.secret, from.secretKeyRef.name, namespace);
        const value = secret.data?.[from.secretKeyRef.key];
        if (value !== undefined) env[variable.name] = Buffer.from(value, 'base64').toString('utf8');
      } else if (from?.configMapKeyRef !== undefined) {
        const map = await this.options.client.get<KubeObject & { data?: Record<string, string> }>(Resources.configMap, from.configMapKeyRef.name, namespace);
        const value = map.data?.[from.configMapKeyRef.key];
        if (value !== undefined) env[variable.name] = value;
      } else if (from?.fieldRef?.fieldPath === 'metadata.name') env[variable.name] = pod.metadata?.name ?? '';
      else if (from?.fieldRef?.fieldPath === 'metadata.namespace') env[variable.name] = namespace;
    }
    return env;
  }

  async #patchStatus(pod: Pod, status: Record<string, unknown>): Promise<void> {
    const { name, namespace } = pod.metadata ?? {};
    await this.options.client.mergePatch(Resources.pod, name ?? '', namespace, { status }, undefined, 'status').catch((error: unknown) => {
      if (!isNotFound(error)) this.options.log(`kubelet cannot update pod ${namespace ?? ''}/${name ?? ''}: ${String(error)}`);
    });
  }
}

/** Kills container processes not closed yet (the kubelet tracks each until it closes) and returns once each has. */
export async function killAll(children: readonly ChildProcess[]): Promise<void> {
  await Promise.all(children.map(async (child) => {
    const closed = new Promise<void>((resolve) => { child.once('close', () => { resolve(); }); });
    child.kill('SIGKILL');
    await closed;
  }));
}

/** The user a container runs as: its securityContext, else the pod's; groups: the pod's supplementary groups and fsGroup. */
export function effectiveUser(pod: Pod, container: Container): { uid: number; gid: number; groups: number[] } {
  const podContext = pod.spec?.securityContext ?? {};
  const uid = container.securityContext?.runAsUser ?? podContext.runAsUser ?? 0;
  const gid = container.securityContext?.runAsGroup ?? podContext.runAsGroup ?? uid;
  const groups = [gid, ...(podContext.supplementalGroups ?? []), ...(podContext.fsGroup === undefined ? [] : [podContext.fsGroup])];
  return { uid, gid, groups: [...new Set(groups)] };
}

/** A root container keeps only the capabilities its securityContext leaves it (setpriv), and no_new_privs when asked. */
function rootLimits(context: SecurityContext | undefined): string[] {
  const drop = context?.capabilities?.drop ?? [];
  const add = (context?.capabilities?.add ?? []).map((c) => `+${c.toLowerCase()}`);
  if (!drop.includes('ALL') && context?.allowPrivilegeEscalation !== false) return [];
  return ['setpriv', ...(drop.includes('ALL') ? [`--bounding-set=-all${add.length === 0 ? '' : `,${add.join(',')}`}`] : []),
    ...(context?.allowPrivilegeEscalation === false ? ['--no-new-privs'] : []), '--'];
}

/** The kubelet's $(VAR) expansion: defined variables are replaced, $$ escapes, others stay as written. */
export function expand(values: readonly string[], env: Readonly<Record<string, string>>): string[] {
  return values.map((value) => value.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (match: string, name: string | undefined) =>
    (match === '$$' ? '$' : name !== undefined && name in env ? (env[name] ?? '') : match)));
}

/**
 * Arguments that name a mount path (`/data`, `--root=/data/x`) point at the volume's directory
 * instead: in one pass, by the longest mount path that matches (a host directory may itself start
 * with another mount's path, such as /tmp).
 */
export function mapMounts(args: readonly string[], container: Pick<Container, 'volumeMounts'>, dirs: ReadonlyMap<string, string>): string[] {
  const mounts = (container.volumeMounts ?? [])
    .flatMap((m) => { const dir = dirs.get(m.name); return dir === undefined ? [] : [{ path: m.mountPath.replace(/\/+$/, ''), dir }]; })
    .sort((a, b) => b.path.length - a.path.length);
  return args.map((arg) => {
    const equals = arg.indexOf('=');
    const [prefix, value] = arg.startsWith('-') && equals > 0 ? [arg.slice(0, equals + 1), arg.slice(equals + 1)] : ['', arg];
    const mount = mounts.find((m) => value === m.path || value.startsWith(`${m.path}/`));
    return mount === undefined ? arg : `${prefix}${mount.dir}${value.slice(mount.path.length)}`;
  });
}

const waitingStatus = (c: Container) => ({ name: c.name, image: c.image ?? '', imageID: '', ready: false, started: false, restartCount: 0, state: { waiting: { reason: 'PodInitializing' } } });
const terminatedStatus = (c: Container, t: Terminated) => ({ name: c.name, image: c.image ?? '', imageID: '', ready: false, started: false, restartCount: 0, state: { terminated: t } });

function run(command: readonly string[], options: { cwd: string; env: NodeJS.ProcessEnv }, track: (child: ReturnType<typeof spawn>) => () => void): Promise<{ exitCode: number; output: string }> {
  return new Promise((resolve) => {
    const [file = '', ...args] = command;
    const child = spawn(file, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    const untrack = track(child);
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk; });
    child.stdout.resume();
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.once('error', (error) => { stderr += error.message; });
    child.once('close', (code) => {
      clearTimeout(timer);
      untrack();
      resolve({ exitCode: code ?? 137, output: stderr.trim() });
    });
  });
}


/** The user the readiness probe's redis-cli logs in as (`--user NAME` in its command), if any. */
function probeUser(container: Container): { probeUser?: string } {
  const words = (container.readinessProbe?.exec?.command ?? []).join(' ').split(/\s+/);
  const at = words.indexOf('--user');
  const user = at === -1 ? undefined : words[at + 1];
  return user === undefined ? {} : { probeUser: user };
}
