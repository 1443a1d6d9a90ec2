import { randomBytes } from 'node:crypto';
import { request } from 'node:https';
import { get as httpGet } from 'node:http';
import { connect } from 'node:net';
import { chmod, copyFile, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { Redis } from 'ioredis';
import { parse as parseYaml } from 'yaml';
import { MongoClient } from 'mongodb';
import { adminKubeconfig, generateCertificates, type Certificates } from './certs.js';
import { StackError } from './errors.js';
import { freePort } from './ports.js';
import { ManagedProcess } from './process.js';
import { KubeClient } from '../src/kube/client.js';
import type { KubeObject } from '../src/kube/objects.js';
import { Resources, type Resource } from '../src/kube/resources.js';
import { StackKubelet } from './kubelet.js';
import { HostPathProvisioner } from './provisioner.js';
import { StackResizer } from './resizer.js';
import { SNAPSHOT_CLASSES } from './snapshot-classes.js';
import { StackSnapshotter } from './snapshotter.js';
import { buildOperatorImage, type ImageEntry } from './image.js';
import { waitUntilReady } from './readiness.js';
import { GKE_STORAGE_CLASSES, storageClassObject } from './storage-classes.js';
import { StoreRuntimes } from './store-runtime.js';

export const repoRoot = resolve(fileURLToPath(new URL('..', import.meta.url)));

/** What a client of the stack needs, as environment variables (also written to env.sh). */
export interface StackEnv {
  readonly KUBECONFIG: string;
  readonly MONGODB_URL: string;
  readonly REDIS_URL: string;
  readonly FIRESTORE_EMULATOR_HOST: string;
  readonly GOOGLE_CLOUD_PROJECT: string;
  /** Root of the directories that back the stack's PersistentVolumes (under STACK_NODE_ROOT). */
  readonly STACK_VOLUMES: string;
  /**
   * The stack node's own filesystem: volumes and pods' directories, in the system's temporary
   * directory. Seed containers run as their own users (1000 by default) and must reach it, wherever
   * the checkout is (a clone under a 0700 temporary directory, say).
   */
  readonly STACK_NODE_ROOT: string;
  readonly STACK_DIR: string;
  /** How the stack runs pods: `processes` (each store pod its own store) or `kwok` (pods without processes). */
  readonly STACK_PODS: StackPods;
  /** processes: where each store Service's store listens (GAIM_STORE_ADDRESS_MAP for the operator). */
  readonly STORE_ADDRESS_MAP: string;
  /** kwok: the node selector and toleration that send seed Jobs to the node that runs them. */
  readonly GAIM_SEED_NODE_SELECTOR: string;
  readonly GAIM_SEED_TOLERATIONS: string;
}

/**
 * `processes` (tests, make dev): one node run by the stack's kubelet (kubelet.ts): seed pods really
 * run, each MongoDB and Redis pod is a store of its own, started from the pod's spec as the official
 * images start, so generated credentials are the ones that work. kwok's nodes are tainted.
 * `kwok` (the benchmark): pods become Ready on kwok's nodes without running anything; the operator
 * reaches one shared FerretDB and Redis through address overrides; seed pods run on a tainted node.
 */
export type StackPods = 'processes' | 'kwok';

const SEED_RUNNER_LABEL = 'stack.gaim.livingcontent.io/seed-runner';
const KWOK_TAINT = { key: 'kwok.x-k8s.io/node', value: 'fake' };

export interface StackOptions {
  /** Holds certificates, data, logs and volumes of this stack. */
  readonly runDir: string;
  readonly binDir?: string;
  /** Fake nodes kwok manages. */
  readonly nodes?: number;
  readonly timeoutMs?: number;
  readonly log?: (message: string) => void;
  /** What the seed runner executes for a seed pod: the sources through tsx (default), or the compiled
   * `dist/src/main.js`, as the image does (the benchmark: half the start-up cost per Job). */
  readonly seedEntry?: ImageEntry;
  /** How pods run (default `processes`). */
  readonly pods?: StackPods;
  /**
   * Where the drivers' snapshots and backups are kept (default: in the node's filesystem). Two stacks
   * given the same directory share them, as two GKE clusters of one project share its snapshots.
   */
  readonly snapshotsDir?: string;
}

/** The operator's image as the stack's kubelet runs it (GAIM_OPERATOR_IMAGE; the chart's image). */
export const STACK_OPERATOR_IMAGE = 'gaim-operator:dev';
/** Store image repositories operators in the stack allow: the defaults, and one no registry serves (test/day-two/images.test.ts). */
export const STACK_STORE_REPOSITORIES = ['mongo', 'docker.io/library/mongo', 'redis', 'docker.io/library/redis', 'registry.invalid/redis'] as const;

/** Static NFS shares operators in the stack allow (GAIM_NFS_SERVERS, GAIM_NFS_PATH_TEMPLATE). */
export const STACK_NFS_SERVERS = ['10.0.0.2', 'filestore.test'] as const;
export const STACK_NFS_PATH_TEMPLATE = '/vol1/gaims/{namespace}';

/** The node the stack's kubelet runs, in `processes` mode. */
export const STACK_NODE = 'stack-node';
export const FAKE_NODE_PREFIX = 'kwok-node-';
const PROJECT = 'gaim-local';
const CRD_RESOURCE: Resource = { group: 'apiextensions.k8s.io', version: 'v1', plural: 'customresourcedefinitions', kind: 'CustomResourceDefinition', namespaced: false };
const SERVICE_CIDR = '10.0.0.0/24';

export type Component = 'etcd' | 'kube-apiserver' | 'kube-controller-manager' | 'kube-scheduler' | 'kwok' | 'ferretdb'
  | 'redis-server' | 'firestore-emulator' | 'snapshot-controller';

/**
 * The control plane's Go processes collect garbage less often (GOGC=400; a GOGC in the environment
 * wins): the API server is the stack's largest CPU user (about a quarter of a whole integration run's
 * CPU), and the runs on two cores are CPU-bound. Two files on one stack, once each way: the API
 * server's CPU fell from 21.8 to 18.8 s. Memory grows instead, which the machines have to spare; the
 * API's behaviour does not change.
 */
const GO_CONTROL_PLANE: ReadonlySet<Component> = new Set(['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler']);

interface Ports {
  etcdClient: number;
  etcdPeer: number;
  apiserver: number;
  scheduler: number;
  kwok: number;
  snapshotController: number;
  ferretdb: number;
  redis: number;
  firestore: number;
}

/**
 * The local stack: etcd, kube-apiserver (RBAC), kube-controller-manager, kube-scheduler, kwok with
 * fake nodes, a hostPath provisioner, FerretDB, redis-server and the Firestore emulator, all on
 * 127.0.0.1 and free ports. Used by `make env`/`make dev` (through cli.ts) and by the integration
 * tests' global setup.
 */
export class Stack {
  readonly #processes = new Map<Component, ManagedProcess>();
  #provisioner: HostPathProvisioner | undefined;
  #resizer: StackResizer | undefined;
  #snapshotter: StackSnapshotter | undefined;
  #kubelet: StackKubelet | undefined;
  #stores: StoreRuntimes | undefined;
  #client: KubeClient | undefined;
  #env: StackEnv | undefined;
  readonly #bin: string;
  readonly #log: (message: string) => void;
  readonly #timeoutMs: number;

  private constructor(
    readonly runDir: string,
    private readonly options: StackOptions,
    private readonly ports: Ports,
    /** The stores' root password: FerretDB's setup user `root`, and Redis's requirepass. */
    private readonly storePassword: string,
  ) {
    this.#bin = options.binDir ?? join(repoRoot, 'bin');
    this.#log = options.log ?? (() => undefined);
    this.#timeoutMs = options.timeoutMs ?? 120_000;
  }

  /** Starts every component and waits until each is ready; on any failure stops what started. */
  static async start(options: StackOptions): Promise<Stack> {
    const runDir = resolve(options.runDir);
    await mkdir(join(runDir, 'logs'), { recursive: true });
    const ports = await allocatePorts();
    const stack = new Stack(runDir, options, ports, randomBytes(12).toString('base64url'));
    // Components and some clients' timers are unref'd; hold the event loop open until start-up ends.
    const keepAlive = setInterval(() => undefined, 1000);
    try {
      await stack.#startAll();
    } catch (error: unknown) {
      await stack.stop();
      throw error;
    } finally {
      clearInterval(keepAlive);
    }
    return stack;
  }

  get pods(): StackPods {
    return this.options.pods ?? 'processes';
  }

  get env(): StackEnv {
    if (this.#env === undefined) throw new Error('stack is not started');
    return this.#env;
  }

  kubeConfig(): KubeConfig {
    const kc = new KubeConfig();
    kc.loadFromFile(this.env.KUBECONFIG);
    return kc;
  }

  /** Shell exports for a second terminal: `. .run/env.sh`. */
  envScript(): string {
    const lines = Object.entries(this.env).map(([key, value]: [string, string]) => `export ${key}=${shellQuote(value)}`);
    return [
      `# gaim-operator local stack (${this.runDir})`,
      `export PATH=${shellQuote(this.#bin)}:"$PATH"`,
      ...lines,
      '# Firestore clients use the emulator: no probing for a GCE metadata server.',
      'export METADATA_SERVER_DETECTION=none',
      '',
    ].join('\n');
  }

  /** Pids of every running component, for `ps` checks and fault tests. */
  pids(): Record<string, number | undefined> {
    return Object.fromEntries([...this.#processes].map(([name, p]) => [name, p.exit === undefined ? p.pid : undefined]));
  }

  /** Stops one component (fault tests); `startComponent` brings it back on the same port and data. */
  async stopComponent(name: Component): Promise<void> {
    await this.#processes.get(name)?.stop();
  }

  async startComponent(name: Component): Promise<void> {
    if (this.#processes.get(name)?.exit === undefined && this.#processes.has(name)) return; // running
    const starters: Partial<Record<Component, () => Promise<void>>> = {
      'redis-server': () => this.#startRedis(),
      ferretdb: () => this.#startFerretDB(),
      'firestore-emulator': () => this.#startFirestore(),
      'kube-apiserver': () => this.#startApiServer(this.#certs()),
      etcd: () => this.#startEtcd(),
    };
    const start = starters[name];
    if (start === undefined) throw new Error(`stack: ${name} cannot be restarted`);
    await start();
  }

  async restartComponent(name: Component): Promise<void> {
    await this.stopComponent(name);
    await this.startComponent(name);
  }

  /**
   * Compacts etcd past every resourceVersion any client holds: first a write outside the API
   * server's keys (so the revision moves beyond the last one a client was told about), then a
   * compaction to it. Watches resumed from older versions then answer 410 Gone.
   */
  async compactEtcd(): Promise<number> {
    const base = `http://127.0.0.1:${this.ports.etcdClient}/v3/kv`;
    const b64 = (text: string) => Buffer.from(text).toString('base64');
    const put = await fetch(`${base}/put`, { method: 'POST', body: JSON.stringify({ key: b64('/stack-test/compaction-marker'), value: b64(String(Date.now())) }) });
    const revision = Number(((await put.json()) as { header: { revision: string } }).header.revision);
    const compacted = await fetch(`${base}/compaction`, { method: 'POST', body: JSON.stringify({ revision, physical: true }) });
    if (!compacted.ok) throw new Error(`etcd compaction failed: ${await compacted.text()}`);
    return revision;
  }

  /** Stops everything, newest first, and removes the node's filesystem (volumes) unless `keepData`. Safe to call twice. */
  async stop(options: { keepData?: boolean } = {}): Promise<void> {
    await this.#provisioner?.stop().catch(() => undefined);
    this.#provisioner = undefined;
    await this.#resizer?.stop().catch(() => undefined);
    this.#resizer = undefined;
    await this.#snapshotter?.stop().catch(() => undefined);
    this.#snapshotter = undefined;
    await this.#kubelet?.stop().catch(() => undefined);
    this.#kubelet = undefined;
    await this.#stores?.close().catch(() => undefined);
    await this.#client?.close().catch(() => undefined);
    this.#client = undefined;
    const running = [...this.#processes.values()].reverse();
    // A component a failed test left paused would not see its SIGTERM.
    for (const { pid } of running) if (pid !== undefined) try { process.kill(-pid, 'SIGCONT'); } catch { /* gone */ }
    // Clients of the API server first, then the API server, then etcd.
    const [kubeClients, rest] = partition(running, (p) => !['kube-apiserver', 'etcd'].includes(p.name));
    await Promise.all(kubeClients.map((p) => p.stop()));
    for (const p of rest) await p.stop();
    if (options.keepData !== true && this.#env !== undefined) await rm(this.#env.STACK_NODE_ROOT, { recursive: true, force: true, maxRetries: 5 });
  }

  // --- start-up -------------------------------------------------------------------------------

  #certsCache: Certificates | undefined;
  #certs(): Certificates {
    if (this.#certsCache === undefined) throw new Error('certificates not generated');
    return this.#certsCache;
  }

  async #startAll(): Promise<void> {
    const pkiDir = join(this.runDir, 'pki');
    await mkdir(pkiDir, { recursive: true });
    this.#log('generating certificates');
    this.#certsCache = await generateCertificates(pkiDir);
    const certs = this.#certsCache;
    const kubeconfigPath = join(this.runDir, 'kubeconfig');
    await writeFile(kubeconfigPath, adminKubeconfig(`https://127.0.0.1:${this.ports.apiserver}`, certs), { mode: 0o600 });
    const kwok = this.pods === 'kwok';
    const nodeRoot = await mkdtemp(join(tmpdir(), 'gaim-stack-'));
    await chmod(nodeRoot, 0o711);
    await symlink(nodeRoot, join(this.runDir, 'node')).catch(() => undefined); // to find it from the run directory
    this.#env = {
      KUBECONFIG: kubeconfigPath,
      MONGODB_URL: `mongodb://root:${this.storePassword}@127.0.0.1:${this.ports.ferretdb}/?authSource=admin`,
      REDIS_URL: `redis://:${this.storePassword}@127.0.0.1:${this.ports.redis}`,
      FIRESTORE_EMULATOR_HOST: `127.0.0.1:${this.ports.firestore}`,
      GOOGLE_CLOUD_PROJECT: PROJECT,
      STACK_VOLUMES: join(nodeRoot, 'volumes'),
      STACK_NODE_ROOT: nodeRoot,
      STACK_DIR: this.runDir,
      STACK_PODS: this.pods,
      STORE_ADDRESS_MAP: join(this.runDir, 'store-addresses.json'),
      GAIM_SEED_NODE_SELECTOR: kwok ? `${SEED_RUNNER_LABEL}=true` : '',
      GAIM_SEED_TOLERATIONS: kwok ? `${SEED_RUNNER_LABEL}=true:NoSchedule` : '',
    };
    await mkdir(this.env.STACK_VOLUMES, { recursive: true, mode: 0o755 });
    await writeFile(this.env.STORE_ADDRESS_MAP, '{}');

    // The stores do not depend on Kubernetes: start them while etcd and the API server come up.
    const stores = Promise.all([this.#startFerretDB(), this.#startRedis(), this.#startFirestore()]);
    const kube = (async () => {
      await this.#startEtcd();
      await this.#startApiServer(certs);
      await this.#installSnapshotCrds();
      await Promise.all([this.#startControllerManager(kubeconfigPath, certs), this.#startScheduler(kubeconfigPath),
        this.#startKwok(kubeconfigPath), this.#startSnapshotController(kubeconfigPath)]);
      await this.#bootstrapCluster();
    })();
    const results = await Promise.allSettled([kube, stores]);
    const failure = results.find((r) => r.status === 'rejected');
    if (failure !== undefined) throw failure.reason;
  }

  #spawn(name: Component, command: string, args: string[], env?: NodeJS.ProcessEnv): ManagedProcess {
    this.#log(`starting ${name}`);
    const spawnEnv = GO_CONTROL_PLANE.has(name) ? { GOGC: '400', ...(env ?? process.env) } : env;
    const managed = ManagedProcess.start({
      name,
      command,
      args,
      logFile: join(this.runDir, 'logs', `${name}.log`),
      cwd: this.runDir,
      ...(spawnEnv === undefined ? {} : { env: spawnEnv }),
    });
    this.#processes.set(name, managed);
    return managed;
  }

  #wait(name: Component, probe: () => Promise<boolean>, what = `${name} ready`): Promise<void> {
    const process = this.#processes.get(name);
    return waitUntilReady(name, probe, { timeoutMs: this.#timeoutMs, ...(process === undefined ? {} : { process }) })
      .then(() => this.#log(what));
  }

  async #startEtcd(): Promise<void> {
    const { etcdClient, etcdPeer } = this.ports;
    const client = `http://127.0.0.1:${etcdClient}`;
    this.#spawn('etcd', join(this.#bin, 'etcd'), [
      `--data-dir=${join(this.runDir, 'etcd')}`,
      `--listen-client-urls=${client}`,
      `--advertise-client-urls=${client}`,
      `--listen-peer-urls=http://127.0.0.1:${etcdPeer}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeer}`,
      `--initial-cluster=default=http://127.0.0.1:${etcdPeer}`,
      '--unsafe-no-fsync',
      '--quota-backend-bytes=4294967296',
      '--log-level=warn',
    ]);
    await this.#wait('etcd', async () => (await httpText(`${client}/health`)).includes('"health":"true"'));
  }

  async #startApiServer(certs: Certificates): Promise<void> {
    this.#spawn('kube-apiserver', join(this.#bin, 'kube-apiserver'), [
      `--etcd-servers=http://127.0.0.1:${this.ports.etcdClient}`,
      `--cert-dir=${join(this.runDir, 'pki')}`,
      `--tls-cert-file=${certs.servingCert}`,
      `--tls-private-key-file=${certs.servingKey}`,
      `--client-ca-file=${certs.caCert}`,
      `--secure-port=${this.ports.apiserver}`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      `--service-cluster-ip-range=${SERVICE_CIDR}`,
      '--allow-privileged=true',
      '--authorization-mode=RBAC',
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      `--service-account-key-file=${certs.serviceAccountPub}`,
      `--service-account-signing-key-file=${certs.serviceAccountKey}`,
      // 127.0.0.1 is not a valid endpoint for the `kubernetes` Service; nothing in the stack needs it.
      '--endpoint-reconciler-type=none',
      '--v=0',
    ]);
    await this.#wait('kube-apiserver', async () => (await this.#apiGet('/readyz')) === 'ok');
  }

  async #startControllerManager(kubeconfig: string, certs: Certificates): Promise<void> {
    this.#spawn('kube-controller-manager', join(this.#bin, 'kube-controller-manager'), [
      `--kubeconfig=${kubeconfig}`,
      '--leader-elect=false',
      `--root-ca-file=${certs.caCert}`,
      `--service-account-private-key-file=${certs.serviceAccountKey}`,
      `--service-cluster-ip-range=${SERVICE_CIDR}`,
      '--secure-port=0',
      '--controllers=*,-nodeipam',
      '--node-monitor-grace-period=2m',
      // Fake nodes never run pods' containers; keep the controllers' work loops quick for tests.
      '--concurrent-statefulset-syncs=10',
      '--concurrent-gc-syncs=20',
      '--kube-api-qps=200',
      '--kube-api-burst=400',
    ]);
    // The ServiceAccount controller creates `default` in every namespace: proof that the
    // controller-manager runs and reaches the API server.
    await this.#wait('kube-controller-manager', async () => {
      await this.#core().readNamespacedServiceAccount({ name: 'default', namespace: 'default' });
      return true;
    });
  }

  async #startScheduler(kubeconfig: string): Promise<void> {
    this.#spawn('kube-scheduler', join(this.#bin, 'kube-scheduler'), [
      `--kubeconfig=${kubeconfig}`,
      `--authentication-kubeconfig=${kubeconfig}`,
      `--authorization-kubeconfig=${kubeconfig}`,
      '--leader-elect=false',
      '--bind-address=127.0.0.1',
      `--secure-port=${this.ports.scheduler}`,
      '--kube-api-qps=200',
      '--kube-api-burst=400',
      // A StatefulSet's pod created a moment before its claim is bound is parked as unschedulable, and
      // the claim's binding does not always requeue it (kubernetes#110175): without this it waits up
      // to 5 minutes. The flag is the documented workaround; leftovers are flushed every 30 s.
      '--pod-max-in-unschedulable-pods-duration=5s',
    ]);
    await this.#wait('kube-scheduler', async () =>
      (await httpsText(`https://127.0.0.1:${this.ports.scheduler}/healthz`)) === 'ok');
  }

  /** The VolumeSnapshot and VolumeGroupSnapshot CRDs, as external-snapshotter ships them (hack/tools/install.sh snapshot). */
  async #installSnapshotCrds(): Promise<void> {
    const client = await KubeClient.create(this.kubeConfig(), { userAgent: 'gaim-stack' });
    try {
      const dir = join(this.#bin, 'snapshot-crds');
      const names: string[] = [];
      for (const file of (await readdir(dir)).filter((f) => f.endsWith('.yaml')).sort()) {
        const crd = parseYaml(await readFile(join(dir, file), 'utf8')) as KubeObject;
        names.push(crd.metadata?.name ?? '');
        await client.create(CRD_RESOURCE, crd).catch((error: unknown) => { if (!isConflictError(error)) throw error; });
      }
      await waitUntilReady('snapshot CRDs', async () => {
        const established = await Promise.all(names.map(async (name) => {
          const crd = await client.get<KubeObject & { status?: { conditions?: { type: string; status: string }[] } }>(CRD_RESOURCE, name);
          return crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True') === true;
        }));
        return established.every(Boolean);
      }, { timeoutMs: this.#timeoutMs });
      this.#log(`${names.length} snapshot CRDs established`);
    } finally {
      await client.close();
    }
  }

  async #startSnapshotController(kubeconfig: string): Promise<void> {
    this.#spawn('snapshot-controller', join(this.#bin, 'snapshot-controller'), [
      `--kubeconfig=${kubeconfig}`,
      '--leader-election=false',
      `--http-endpoint=127.0.0.1:${this.ports.snapshotController}`,
      '--worker-threads=10',
      '--kube-api-qps=100',
      '--kube-api-burst=200',
      // Retries of a failed snapshot: start at 1 s, as it does, but cap at 30 s, not 5 min (tests wait on them).
      '--retry-interval-max=30s',
    ]);
    await this.#wait('snapshot-controller', async () =>
      (await httpText(`http://127.0.0.1:${this.ports.snapshotController}/metrics`)).length > 0);
  }

  async #startKwok(kubeconfig: string): Promise<void> {
    this.#spawn('kwok', join(this.#bin, 'kwok'), [
      `--kubeconfig=${kubeconfig}`,
      // Only the fake nodes; the seed runner's node is looked after by the seed runner.
      '--manage-nodes-with-label-selector=type=kwok',
      '--cidr=10.0.0.1/24',
      '--node-ip=10.0.0.1',
      `--server-address=127.0.0.1:${this.ports.kwok}`,
      // Heartbeat through node Leases (renewed every 10 s): without them the node lifecycle
      // controller sees the fake nodes' status go stale, marks them NotReady and their pods with them.
      '--node-lease-duration-seconds=40',
    ]);
    await this.#wait('kwok', async () => (await httpText(`http://127.0.0.1:${this.ports.kwok}/healthz`)) === 'ok');
  }

  /**
   * Fake nodes (made Ready by kwok), GKE's StorageClasses and the provisioner that serves them, and
   * the stack's kubelet: the node where the operator's pods really run.
   */
  async #bootstrapCluster(): Promise<void> {
    const core = this.#core();
    const client = await KubeClient.create(this.kubeConfig(), { userAgent: 'gaim-stack' });
    this.#client = client;
    const processes = this.pods === 'processes';
    const nodes = this.options.nodes ?? 2;
    for (let i = 0; i < nodes; i++) {
      const name = `${FAKE_NODE_PREFIX}${i}`;
      await ignoreConflict(core.createNode({
        body: {
          metadata: {
            name,
            labels: { type: 'kwok', 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux' },
            annotations: { 'node.alpha.kubernetes.io/ttl': '0', 'kwok.x-k8s.io/node': 'fake' },
          },
          // With the stack's kubelet running the operator's pods, kwok's nodes take only pods that ask for them.
          spec: processes ? { taints: [{ ...KWOK_TAINT, effect: 'NoSchedule' }] } : {},
          status: {
            // Room for the benchmark's pods on two nodes: two store pods per Gaim, for the 2,000 Gaims of
            // its last step beside the 600 namespaces of the bare client's runs (5,200 pods; 2,500 a
            // node left 100 Gaims of that step Pending).
            capacity: { cpu: '4000', memory: '16Ti', pods: '3500' },
            allocatable: { cpu: '4000', memory: '16Ti', pods: '3500' },
          },
        },
      }));
    }
    for (const storageClass of GKE_STORAGE_CLASSES) {
      await client.create(Resources.storageClass, storageClassObject(storageClass)).catch((error: unknown) => { if (!isConflictError(error)) throw error; });
    }
    for (const snapshotClass of SNAPSHOT_CLASSES) {
      await client.create(Resources.volumeSnapshotClass, snapshotClass).catch((error: unknown) => { if (!isConflictError(error)) throw error; });
    }
    this.#snapshotter = new StackSnapshotter({ client, snapshotsDir: this.options.snapshotsDir ?? join(this.env.STACK_NODE_ROOT, 'snapshots'), onError: (message) => this.#log(message) });
    await this.#snapshotter.start();
    const snapshotter = this.#snapshotter;
    this.#provisioner = new HostPathProvisioner({ client, volumesDir: this.env.STACK_VOLUMES, snapshotDir: (handle) => snapshotter.snapshotDir(handle), onError: (message) => this.#log(message) });
    await this.#provisioner.start();
    this.#resizer = new StackResizer({ client, onError: (message) => this.#log(message) });
    await this.#resizer.start();
    if (processes) {
      // The stores run as their pods' users (uid 999): their binaries go where any user may reach them.
      const storeBin = join(this.env.STACK_NODE_ROOT, 'bin');
      await mkdir(storeBin, { recursive: true, mode: 0o755 });
      for (const tool of ['redis-server', 'ferretdb']) await copyFile(join(this.#bin, tool), join(storeBin, tool));
      this.#stores = new StoreRuntimes({ bin: storeBin, addressMapFile: this.env.STORE_ADDRESS_MAP });
    }
    this.#kubelet = new StackKubelet({
      client,
      nodeName: processes ? STACK_NODE : 'stack-seed-runner',
      ...(processes ? {} : { taint: { key: SEED_RUNNER_LABEL, value: 'true' } }),
      capacity: processes ? { cpu: '2000', memory: '8Ti', pods: '2500' } : { cpu: '16', memory: '32Gi', pods: '110' },
      volumesDir: this.env.STACK_VOLUMES,
      podsDir: join(this.env.STACK_NODE_ROOT, 'pods'),
      image: await buildOperatorImage(repoRoot, join(this.env.STACK_NODE_ROOT, 'image'), this.options.seedEntry ?? 'source'),
      entryScript: join(repoRoot, 'stack', 'container-entry.mjs'),
      nodeBinary: join(this.#bin, 'node'),
      ...(this.#stores === undefined ? {} : { stores: this.#stores }),
      log: (message) => this.#log(message),
    });
    await this.#kubelet.start();
    await this.#wait('kwok', async () => {
      const list = await core.listNode({ labelSelector: 'type=kwok' });
      return list.items.length === nodes && list.items.every((node) =>
        node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
    }, `${nodes} fake nodes Ready`);
  }

  /**
   * Holds a step of the resizes of a namespace's claims (`controller`: the CSI resizer's; `node`: the
   * kubelet's file-system step), as a slow driver would; releasing it does what waited.
   */
  holdResizes(step: 'controller' | 'node', namespace: string, held: boolean): void {
    if (step === 'controller') this.#resizer?.hold(namespace, held);
    else this.#kubelet?.holdExpansion(namespace, held);
  }

  /** Holds the provisioning of a namespace's claims (a slow driver), or releases it. */
  holdProvisioning(namespace: string, held: boolean): void {
    this.#provisioner?.hold(namespace, held);
  }

  /** Holds the snapshots of a namespace's claims (their driver does not answer), or releases them. */
  holdSnapshots(namespace: string, held: boolean): void {
    this.#snapshotter?.hold(namespace, held);
  }

  /**
   * Makes every store of a kind (or one namespace's) unreachable for the operator: `cut` refuses its
   * connections, `silence` accepts them and never answers (a hung store); its pods stay Ready. `heal`
   * makes it reachable again.
   */
  async partitionStores(kind: 'mongodb' | 'redis', mode: 'cut' | 'silence' | 'heal', namespace?: string): Promise<void> {
    if (this.#stores === undefined) throw new Error('stack: partitions need per-pod stores (pods: processes)');
    await this.#stores.partition(kind, mode, namespace);
  }

  /**
   * Freezes a component (SIGSTOP: its connections are accepted by the kernel and never answered), or
   * thaws it. The whole process group: a component runs under its tether, in a group of its own.
   */
  pauseComponent(name: Component, paused: boolean): void {
    const pid = this.#processes.get(name)?.pid;
    if (pid === undefined) throw new Error(`stack: ${name} is not running`);
    process.kill(-pid, paused ? 'SIGSTOP' : 'SIGCONT');
  }

  async #startFerretDB(): Promise<void> {
    const data = join(this.runDir, 'ferretdb');
    await mkdir(data, { recursive: true });
    this.#spawn('ferretdb', join(this.#bin, 'ferretdb'), [
      '--handler=sqlite',
      `--sqlite-url=file:${data}/`,
      `--listen-addr=127.0.0.1:${this.ports.ferretdb}`,
      `--state-dir=${data}`,
      '--telemetry=disable',
      '--debug-addr=-',
      '--log-level=warn',
      // Authentication on, as a real MongoDB with a root user: clients must log in.
      '--test-enable-new-auth',
      '--setup-database=admin',
      '--setup-username=root',
    ], { ...process.env, FERRETDB_SETUP_PASSWORD: this.storePassword });
    await this.#wait('ferretdb', async () => {
      const client = new MongoClient(this.env.MONGODB_URL, { serverSelectionTimeoutMS: 1000 });
      try {
        const reply = await client.db('admin').command({ ping: 1 });
        return reply['ok'] === 1;
      } finally {
        await client.close();
      }
    });
  }

  async #startRedis(): Promise<void> {
    const data = join(this.runDir, 'redis');
    await mkdir(data, { recursive: true });
    this.#spawn('redis-server', join(this.#bin, 'redis-server'), [
      '--bind', '127.0.0.1',
      '--port', String(this.ports.redis),
      '--save', '',
      '--appendonly', 'no',
      '--dir', data,
      '--requirepass', this.storePassword,
      // The operator's own user, as a Gaim's Redis pod defines it (the benchmark's Gaims use this server).
      '--user', 'gaim-operator', 'on', `>${this.storePassword}`, '~*', '&*', '+@all',
    ]);
    await this.#wait('redis-server', async () => {
      const client = new Redis(this.env.REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      client.on('error', () => undefined); // the probe's own rejection reports it
      try {
        await client.connect();
        await client.ping();
        return true;
      } finally {
        client.disconnect();
      }
    });
  }

  async #startFirestore(): Promise<void> {
    this.#spawn('firestore-emulator', join(this.#bin, 'node'), [
      '--import', 'tsx',
      join(repoRoot, 'stack', 'firestore-emulator.ts'),
      String(this.ports.firestore),
      this.runDir,
    ]);
    await this.#wait('firestore-emulator', () => tcpOpen(this.ports.firestore));
  }

  #core(): CoreV1Api {
    return this.kubeConfig().makeApiClient(CoreV1Api);
  }

  async #apiGet(path: string): Promise<string> {
    const certs = this.#certs();
    const [ca, cert, key] = await Promise.all([readFile(certs.caCert), readFile(certs.adminCert), readFile(certs.adminKey)]);
    return httpsText(`https://127.0.0.1:${this.ports.apiserver}${path}`, { ca, cert, key });
  }
}

async function allocatePorts(): Promise<Ports> {
  const taken = new Set<number>();
  const next = async (): Promise<number> => {
    for (;;) {
      const port = await freePort();
      if (!taken.has(port)) {
        taken.add(port);
        return port;
      }
    }
  };
  return {
    etcdClient: await next(), etcdPeer: await next(), apiserver: await next(), scheduler: await next(),
    kwok: await next(), snapshotController: await next(), ferretdb: await next(), redis: await next(), firestore: await next(),
  };
}

function httpText(url: string): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const req = httpGet(url, { timeout: 2000 }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk)).on('end', () => resolvePromise(body.trim()));
    });
    req.on('timeout', () => req.destroy(new Error('timeout'))).on('error', reject);
  });
}

function httpsText(url: string, tls: { ca?: Buffer; cert?: Buffer; key?: Buffer } = {}): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const req = request(url, { timeout: 2000, ...tls, rejectUnauthorized: tls.ca !== undefined }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk)).on('end', () => resolvePromise(body.trim()));
    });
    req.on('timeout', () => req.destroy(new Error('timeout'))).on('error', reject);
    req.end();
  });
}

function tcpOpen(port: number): Promise<boolean> {
  return new Promise((resolvePromise) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => { socket.destroy(); resolvePromise(true); });
    socket.once('error', () => resolvePromise(false));
  });
}

const isConflictError = (error: unknown) => (error as { status?: unknown } | null)?.status === 409;

async function ignoreConflict(call: Promise<unknown>): Promise<void> {
  try {
    await call;
  } catch (error: unknown) {
    if (!(typeof error === 'object' && error !== null && 'code' in error && error.code === 409)) throw error;
  }
}

function partition<T>(items: readonly T[], predicate: (item: T) => boolean): [T[], T[]] {
  return [items.filter(predicate), items.filter((item) => !predicate(item))];
}

/**
 * The settings an operator process needs to run against a local stack: its kubeconfig and Firestore
 * emulator, address overrides for the stack's FerretDB and Redis, and seed Jobs sent to the seed runner.
 */
export function operatorEnvFor(env: StackEnv): Record<string, string> {
  return {
    KUBECONFIG: env.KUBECONFIG,
    FIRESTORE_EMULATOR_HOST: env.FIRESTORE_EMULATOR_HOST,
    GOOGLE_CLOUD_PROJECT: env.GOOGLE_CLOUD_PROJECT,
    GAIM_OPERATOR_IMAGE: STACK_OPERATOR_IMAGE,
    GAIM_STORE_IMAGE_REPOSITORIES: STACK_STORE_REPOSITORIES.join(','),
    // The Filestore servers the stack stands in for, and where each namespace's shares may be
    // (config/samples/static-nfs.yaml, applied in namespace arthur, is allowed).
    GAIM_NFS_SERVERS: STACK_NFS_SERVERS.join(','),
    GAIM_NFS_PATH_TEMPLATE: STACK_NFS_PATH_TEMPLATE,
    ...(env.STACK_PODS === 'processes'
      // Each Gaim's own stores, found as the operator finds a Service in a cluster.
      ? { GAIM_STORE_ADDRESS_MAP: env.STORE_ADDRESS_MAP }
      : {
        GAIM_MONGODB_ADDRESS_OVERRIDE: new URL(env.MONGODB_URL).host,
        GAIM_REDIS_ADDRESS_OVERRIDE: new URL(env.REDIS_URL).host,
        GAIM_SEED_NODE_SELECTOR: env.GAIM_SEED_NODE_SELECTOR,
        GAIM_SEED_TOLERATIONS: env.GAIM_SEED_TOLERATIONS,
      }),
  };
}

function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

export { StackError };
