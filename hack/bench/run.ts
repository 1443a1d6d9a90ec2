// `make bench`: the operator's figures on a local stack of its own (kwok nodes make pods Ready, the
// seed runner runs seed Jobs with the compiled entry point, as the image would). Prints a table and
// writes bench/results/latest.{json,md} and convergence.png. Knobs, for a quick trial:
// BENCH_SIZES (default 100,500), BENCH_MEMORY_AT (1000), BENCH_SAMPLES (200).
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { Firestore } from '@google-cloud/firestore';
import { KubeClient } from '../../src/kube/client.js';
import type { KubeObject } from '../../src/kube/objects.js';
import { Resources } from '../../src/kube/resources.js';
import { metricValue } from '../../test/support/operator-process.js';
import { freePort } from '../../test/stack/ports.js';
import { operatorEnvFor, repoRoot, Stack, type StackEnv } from '../../test/stack/stack.js';
import { BASELINE_MANAGER, baselineGaim, convergeBare, type BaselineContext } from './baseline.js';
import { apiServerWrites, diffCounts, eventWritersSince, firestoreUpdateTimes, percentile, pool, processMemory, Watch } from './observe.js';
import { writeReport, type BenchResult } from './report.js';

const numbers = (value: string | undefined, fallback: number[]) => (value === undefined || value === '' ? fallback : value.split(',').map(Number));
const SIZES = numbers(process.env['BENCH_SIZES'], [100, 500]);
const MEMORY_AT = numbers(process.env['BENCH_MEMORY_AT'], [1000])[0] ?? 1000;
const SAMPLES = numbers(process.env['BENCH_SAMPLES'], [200])[0] ?? 200;
const WORKERS = 4;
/** Requests in flight while applying Gaims "at once", as kubectl apply of many files would. */
const APPLY_PARALLEL = 16;
const RESYNC_SECONDS = 120;

const say = (message: string) => { console.log(`[bench] ${message}`); };
const run = promisify(execFile);
const keepAlive = setInterval(() => undefined, 60_000);
const startedAt = Date.now();

type GaimObject = KubeObject & { spec: { gaimId: string }; status?: { syncStatus?: string; observedGeneration?: number; conditions?: { type: string; status: string }[] } };
const isSynced = (g: GaimObject) => g.status?.syncStatus === 'Synced' && g.status.observedGeneration === g.metadata?.generation
  && g.status.conditions?.find((c) => c.type === 'Ready')?.status === 'True';

const runDir = join(repoRoot, '.run', 'bench');
await rm(runDir, { recursive: true, force: true });
say('starting a local stack of its own');
// kwok mode: 1,000 Gaims' pods become Ready without 2,000 store processes, and the operator reaches
// one shared FerretDB and Redis through address overrides (credentials pre-created: those stores'
// own). Per-pod stores would measure the stack, not the operator.
const stack = await Stack.start({ runDir, seedEntry: 'compiled', pods: 'kwok', log: () => undefined });
const env: StackEnv = stack.env;
let operator: ChildProcess | undefined;
try {
  await run(join(repoRoot, 'bin', 'kubectl'), ['apply', '--server-side', '-f', join(repoRoot, 'crds')], { env: { ...process.env, KUBECONFIG: env.KUBECONFIG } });
  const client = await KubeClient.create(stack.kubeConfig(), { userAgent: 'gaim-bench' });
  process.env['METADATA_SERVER_DETECTION'] = 'none'; // no probing for a GCE metadata server
  const firestore = new Firestore({ projectId: env.GOOGLE_CLOUD_PROJECT, host: env.FIRESTORE_EMULATOR_HOST, ssl: false });

  const gaims = new Watch<GaimObject>(client, Resources.gaim);
  const operatorSets = new Watch<KubeObject & { status?: { readyReplicas?: number } }>(client, Resources.statefulSet, 'app.kubernetes.io/managed-by=gaim-operator');
  const baselineSelector = `app.kubernetes.io/managed-by=${BASELINE_MANAGER}`;
  const watches: BaselineContext['watches'] = {
    statefulSets: new Watch(client, Resources.statefulSet, baselineSelector),
    claims: new Watch(client, Resources.persistentVolumeClaim, baselineSelector),
    jobs: new Watch(client, Resources.job, baselineSelector),
  };
  for (const watch of [gaims, operatorSets, ...Object.values(watches)]) await watch.start();

  // The operator, compiled, as it runs in the image, and with a pod's credentials: a service account
  // token and the cluster CA in a directory, found through KUBERNETES_SERVICE_HOST (its in-cluster path).
  const serviceAccount = await podCredentials(client, stack, join(runDir, 'serviceaccount'));
  const [metricsPort, healthPort] = [await freePort(), await freePort()];
  const logFile = join(runDir, 'operator.log');
  const out = openSync(logFile, 'a');
  // Under the stack's tether, so the operator dies with this process even when it is killed.
  operator = spawn(join(repoRoot, 'test', 'stack', 'tether.sh'), [String(process.pid), join(repoRoot, 'bin', 'node'), join(repoRoot, 'dist', 'src', 'main.js'), 'run'], {
    cwd: repoRoot, stdio: ['ignore', out, out],
    env: {
      PATH: process.env['PATH'], HOME: process.env['HOME'], ...operatorEnvFor(env), ...serviceAccount, POD_NAMESPACE: 'gaim-system',
      GAIM_LEADER_ELECT: 'false', GAIM_WORKERS: String(WORKERS), GAIM_RESYNC_SECONDS: String(RESYNC_SECONDS),
      GAIM_BIND_ADDRESS: '127.0.0.1', GAIM_METRICS_PORT: String(metricsPort), GAIM_HEALTH_PORT: String(healthPort), GAIM_CLUSTER_NAME: 'bench',
    },
  });
  closeSync(out);
  const tetherPid = operator.pid ?? 0;
  const metrics = async () => (await fetch(`http://127.0.0.1:${String(metricsPort)}/metrics`)).text();
  for (;;) {
    const ready = await fetch(`http://127.0.0.1:${String(healthPort)}/readyz`).then((r) => r.ok, () => false);
    if (ready) break;
    if (operator.exitCode !== null) throw new Error(`the operator exited (${String(operator.exitCode)}); see ${logFile}`);
    await sleep(200);
  }
  await sleep(2000);
  const pid = Number((await readFile(`/proc/${String(tetherPid)}/task/${String(tetherPid)}/children`, 'utf8')).trim().split(/\s+/)[0]);
  const idle = { ...(await processMemory(pid)), heapBytes: metricValue(await metrics(), 'nodejs_heap_size_used_bytes') ?? NaN };
  say(`operator ready; idle RSS ${mib(idle.rssBytes)} MiB`);

  const mongo = new URL(env.MONGODB_URL);
  const redis = new URL(env.REDIS_URL);
  /** The credentials a platform team pre-creates (the stack's stores know only their own). */
  const createSecrets = async (ns: string, name: string, managedBy: string) => {
    const labels = { 'app.kubernetes.io/managed-by': managedBy, 'gaim.livingcontent.io/gaim': name };
    await client.create(Resources.secret, { apiVersion: 'v1', kind: 'Secret', metadata: { name: `${name}-mongodb-credentials`, namespace: ns, labels },
      stringData: { 'root-username': decodeURIComponent(mongo.username), 'root-password': decodeURIComponent(mongo.password), 'app-username': `${name}-app`, 'app-password': 'app-password' } });
    await client.create(Resources.secret, { apiVersion: 'v1', kind: 'Secret', metadata: { name: `${name}-redis-credentials`, namespace: ns, labels },
      stringData: { password: decodeURIComponent(redis.password), 'operator-password': decodeURIComponent(redis.password) } });
  };
  const manifest = (ns: string, name: string): KubeObject => ({
    apiVersion: 'gaim.livingcontent.io/v1alpha1', kind: 'Gaim', metadata: { name, namespace: ns },
    spec: { gaimId: crypto.randomUUID(), displayName: `Bench ${ns}`, environments: ['stage'], lancedb: { storage: { storageClassName: 'enterprise-multishare-rwx', size: '100Gi' } } },
  });
  const namespaces = async (prefix: string, count: number) => {
    const names = Array.from({ length: count }, (_, i) => `${prefix}-${String(i)}`);
    await pool(names, APPLY_PARALLEL, async (name) => {
      await client.create(Resources.namespace, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
    });
    return names;
  };
  const operatorRequests = async () => {
    const text = await metrics();
    const count = (verbs: string[]) => verbs.reduce((n, verb) => n + (metricValue(text, 'rest_client_requests_total', { verb }) ?? 0)
      - (metricValue(text, 'rest_client_requests_total', { verb, resource: 'leases' }) ?? 0), 0);
    return { reads: count(['GET', 'LIST', 'WATCH']), writes: count(['CREATE', 'APPLY', 'UPDATE', 'PATCH', 'DELETE']) };
  };

  /** Applies `count` Gaims at once and waits until every one is Synced in its CR and in Firestore. */
  const convergeWithOperator = async (prefix: string, count: number) => {
    const nss = await namespaces(prefix, count);
    const ids = new Map<string, string>();
    const before = await operatorRequests();
    const t0 = performance.now();
    await pool(nss, APPLY_PARALLEL, async (ns) => {
      await createSecrets(ns, 'bench', 'gaim-operator');
      const gaim = manifest(ns, 'bench');
      ids.set(ns, (gaim as GaimObject).spec.gaimId);
      await client.create(Resources.gaim, gaim);
    });
    const waitingCr = new Set(nss);
    const waitingFs = new Set(nss);
    while (waitingCr.size > 0 || waitingFs.size > 0) {
      for (const g of gaims.list()) if (isSynced(g)) waitingCr.delete(g.metadata?.namespace ?? '');
      const check = [...waitingFs].filter((ns) => !waitingCr.has(ns)).slice(0, 300);
      if (check.length > 0) {
        const snapshots = await firestore.getAll(...check.map((ns) => firestore.doc(`gaims/${ids.get(ns) ?? ''}`)));
        snapshots.forEach((s, i) => { if (s.get('sync_status') === 'synced') waitingFs.delete(check[i] ?? ''); });
      }
      if (performance.now() - t0 > 20 * 60_000) throw new Error(`${prefix}: ${String(waitingCr.size)} Gaims not Synced after 20 minutes`);
      await sleep(250);
    }
    const seconds = (performance.now() - t0) / 1000;
    const after = await operatorRequests();
    return { seconds, readsPerGaim: (after.reads - before.reads) / count, writesPerGaim: (after.writes - before.writes) / count, namespaces: nss, ids };
  };

  const convergeBaseline = async (prefix: string, count: number) => {
    const nss = await namespaces(prefix, count);
    const ctx: BaselineContext = {
      client, firestore, mongodbUrl: env.MONGODB_URL, redisUrl: env.REDIS_URL, watches,
      seedPlacement: {
        image: 'gaim-operator:dev', storageUid: 1000, storageGid: 1000, prepareShares: true,
        nodeSelector: Object.fromEntries([env.GAIM_SEED_NODE_SELECTOR.split('=') as [string, string]]),
        tolerations: [{ key: env.GAIM_SEED_TOLERATIONS.split('=')[0] ?? '', operator: 'Equal', value: 'true', effect: 'NoSchedule' }],
      },
    };
    const t0 = performance.now();
    // Applied at once like the Gaims, then worked through by as many workers as the operator has.
    await pool(nss, APPLY_PARALLEL, async (ns) => { await createSecrets(ns, 'bench', BASELINE_MANAGER); });
    await pool(nss, WORKERS, async (ns) => { await convergeBare(baselineGaim(manifest(ns, 'bench')), ctx); });
    return (performance.now() - t0) / 1000;
  };

  const convergence: BenchResult['convergence'][number][] = [];
  const allIds: string[] = [];
  let latencyPool: { ns: string; id: string }[] = [];
  for (const [i, n] of SIZES.entries()) {
    say(`convergence, N=${String(n)}: operator`);
    const op = await convergeWithOperator(`op${String(i)}`, n);
    allIds.push(...op.ids.values());
    latencyPool = op.namespaces.map((ns) => ({ ns, id: op.ids.get(ns) ?? '' }));
    say(`  operator: ${op.seconds.toFixed(1)} s; bare client next`);
    const bare = await convergeBaseline(`bare${String(i)}`, n);
    convergence.push({ n, operatorSeconds: op.seconds, bareClientSeconds: bare, ratio: op.seconds / bare, readsPerGaim: op.readsPerGaim, writesPerGaim: op.writesPerGaim });
    say(`  bare client: ${bare.toFixed(1)} s; ratio ${(op.seconds / bare).toFixed(2)}`);
  }

  const already = SIZES.reduce((a, b) => a + b, 0);
  if (MEMORY_AT > already) {
    say(`memory: converging ${String(MEMORY_AT - already)} more Gaims to reach ${String(MEMORY_AT)}`);
    const extra = await convergeWithOperator('mem', MEMORY_AT - already);
    allIds.push(...extra.ids.values());
  }
  await sleep(10_000); // let the last events and timers settle
  const memoryText = await metrics();
  const memory = { gaims: Math.max(MEMORY_AT, already), idleRssBytes: idle.rssBytes, idleHeapBytes: idle.heapBytes,
    rssBytes: (await processMemory(pid)).rssBytes, heapBytes: metricValue(memoryText, 'nodejs_heap_size_used_bytes') ?? NaN,
    heapTotalBytes: metricValue(memoryText, 'nodejs_heap_size_total_bytes') ?? NaN, externalBytes: metricValue(memoryText, 'nodejs_external_memory_bytes') ?? NaN };
  say(`memory at ${String(memory.gaims)} Gaims: RSS ${mib(memory.rssBytes)} MiB, heap ${mib(memory.heapBytes)} MiB`);

  // Quiet steady state: the next periodic resync reconciles every Gaim; count what it writes.
  say(`quiet steady state: waiting for a full resync of ${String(memory.gaims)} unchanged Gaims (every ${String(RESYNC_SECONDS)} s)`);
  const reconciles = async () => metricValue(await metrics(), 'controller_runtime_reconcile_total') ?? 0;
  const windowStart = new Date(Date.now() - 1000); // events carry second-resolution times
  const apiBefore = await apiServerWrites(client);
  const fsBefore = await firestoreUpdateTimes(firestore, allIds, ['stage']);
  const reconcilesBefore = await reconciles();
  const resyncDeadline = Date.now() + (RESYNC_SECONDS + 180) * 1000;
  while ((await reconciles()) - reconcilesBefore < memory.gaims && Date.now() < resyncDeadline) await sleep(1000);
  await sleep(3000);
  const resynced = (await reconciles()) - reconcilesBefore;
  const apiAfter = await apiServerWrites(client);
  const fsAfter = await firestoreUpdateTimes(firestore, allIds, ['stage']);
  const firestoreWrites = [...fsAfter].filter(([path, time]) => fsBefore.get(path) !== time).length;
  const byResource = diffCounts(apiBefore.byResource, apiAfter.byResource);
  // Events are written by the whole control plane; only the operator's own count against it.
  const eventWriters = await eventWritersSince(client, windowStart);
  const operatorEvents = eventWriters['gaim-operator'] ?? 0;
  const apiWrites = Object.entries(byResource).filter(([resource]) => resource !== 'events').reduce((n, [, v]) => n + v, 0) + operatorEvents;
  const quiet = { gaims: memory.gaims, reconciles: resynced, apiWrites, apiWritesByResource: byResource, eventWriters,
    firestoreDocumentsWritten: firestoreWrites, firestoreDocuments: fsAfter.size };
  say(`  ${String(resynced)} reconciles: ${String(apiWrites)} API writes by the operator (all writes by resource: ${JSON.stringify(byResource)}; events by reporter: ${JSON.stringify(eventWriters)}), ${String(firestoreWrites)} Firestore documents written`);

  // Reaction latency: a Redis pod of a Synced Gaim is deleted; its StatefulSet is ready again at T0
  // (seen on this side's watch); the Gaim is Synced again, and Firestore says synced, some time after.
  say(`reaction latency: ${String(SAMPLES)} samples`);
  const samples: { cr: number; firestore: number; both: number }[] = [];
  let missed = 0;
  const sample = async ({ ns, id }: { ns: string; id: string }) => {
    const stsKey = `${ns}/bench-redis`;
    let sawNotReady = false;
    let t0: number | undefined;
    let crAt: number | undefined;
    let fsAt: number | undefined;
    let crFlipped = false;
    let fsFlipped = false;
    const stopSts = operatorSets.listen((_e, s, at) => {
      if (`${s.metadata?.namespace ?? ''}/${s.metadata?.name ?? ''}` !== stsKey) return;
      const ready = (s.status?.readyReplicas ?? 0) >= 1;
      if (!ready) sawNotReady = true;
      else if (sawNotReady && t0 === undefined) t0 = at;
    });
    const stopGaim = gaims.listen((_e, g, at) => {
      if (g.metadata?.namespace !== ns) return;
      if (!isSynced(g)) crFlipped = true;
      else if (crFlipped && t0 !== undefined && crAt === undefined) crAt = at;
    });
    const stopDoc = firestore.doc(`gaims/${id}`).onSnapshot((snapshot) => {
      const at = performance.now();
      if (snapshot.get('sync_status') !== 'synced') fsFlipped = true;
      else if (fsFlipped && t0 !== undefined && fsAt === undefined) fsAt = at;
    });
    try {
      await client.delete(Resources.pod, 'bench-redis-0', ns);
      const deadline = Date.now() + 30_000;
      while ((crAt === undefined || fsAt === undefined) && Date.now() < deadline) await sleep(20);
    } finally {
      stopSts();
      stopGaim();
      stopDoc();
    }
    if (t0 === undefined || crAt === undefined || fsAt === undefined) {
      missed += 1;
      return;
    }
    samples.push({ cr: crAt - t0, firestore: fsAt - t0, both: Math.max(crAt, fsAt) - t0 });
  };
  // Five at a time, each on its own Gaim: a busy but not flooded operator. A sample is missed when the
  // operator saw the pod come back before it had marked the Gaim not ready: no flip, nothing to time.
  for (let next = 0; samples.length < SAMPLES && next < 3 * SAMPLES; next += 5) {
    const picks = Array.from({ length: 5 }, (_, i) => latencyPool[(next + i) % Math.max(1, latencyPool.length)]).filter((p) => p !== undefined);
    await pool(picks, 5, sample);
  }
  const stats = (values: number[]) => {
    const sorted = [...values].sort((a, b) => a - b);
    return { p50: percentile(sorted, 50), p95: percentile(sorted, 95), p99: percentile(sorted, 99), max: sorted.at(-1) ?? NaN };
  };
  // The same 1,000 Gaims once the bursts are over: V8 gives back heap it reserved at a peak only
  // when it is idle for a while, so the steady state of a converged cluster reads differently.
  await sleep(60_000);
  const settledText = await metrics();
  const settled = { rssBytes: (await processMemory(pid)).rssBytes, heapBytes: metricValue(settledText, 'nodejs_heap_size_used_bytes') ?? NaN,
    heapTotalBytes: metricValue(settledText, 'nodejs_heap_size_total_bytes') ?? NaN };
  say(`memory after a quiet minute: RSS ${mib(settled.rssBytes)} MiB, heap ${mib(settled.heapBytes)} of ${mib(settled.heapTotalBytes)} MiB`);
  const latency = { samples: samples.length, missed, crMs: stats(samples.map((s) => s.cr)), firestoreMs: stats(samples.map((s) => s.firestore)), bothMs: stats(samples.map((s) => s.both)) };

  const result: BenchResult = {
    when: new Date().toISOString(), machine: { cpus: (await import('node:os')).availableParallelism(), node: process.version },
    workers: WORKERS, convergence, latency, quiet, memory: { ...memory, settled }, durationSeconds: (Date.now() - startedAt) / 1000,
  };
  await mkdir(join(repoRoot, 'bench', 'results'), { recursive: true });
  console.log(await writeReport(result, join(repoRoot, 'bench', 'results')));
  for (const watch of [gaims, operatorSets, ...Object.values(watches)]) await watch.stop();
  await firestore.terminate();
  await client.close();
} catch (error: unknown) {
  console.error(`[bench] failed: ${error instanceof Error ? error.stack ?? error.message : String(error)}`);
  process.exitCode = 1;
} finally {
  operator?.kill('SIGTERM');
  await sleep(1000);
  await stack.stop();
  clearInterval(keepAlive);
  // Watches and clients of a failed run may still hold the event loop; the stack is down, so leave.
  process.exit();
}

function mib(bytes: number): string {
  return (bytes / 1024 / 1024).toFixed(0);
}

/** A cluster-admin ServiceAccount's token and the CA, laid out as the kubelet mounts them; the pod's environment. */
async function podCredentials(client: KubeClient, stack: Stack, dir: string): Promise<Record<string, string>> {
  const ns = 'kube-system';
  await client.create({ group: '', version: 'v1', plural: 'serviceaccounts', kind: 'ServiceAccount', namespaced: true }, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'gaim-bench', namespace: ns } });
  await client.create({ group: 'rbac.authorization.k8s.io', version: 'v1', plural: 'clusterrolebindings', kind: 'ClusterRoleBinding', namespaced: false }, {
    apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'gaim-bench' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
    subjects: [{ kind: 'ServiceAccount', name: 'gaim-bench', namespace: ns }],
  });
  const request = await client.request<{ status: { token: string } }>('CREATE', 'serviceaccounts', 'POST',
    `/api/v1/namespaces/${ns}/serviceaccounts/gaim-bench/token`, { body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 3 * 3600 } } });
  const cluster = stack.kubeConfig().getCurrentCluster();
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'token'), request.status.token);
  await copyFile(cluster?.caFile ?? '', join(dir, 'ca.crt'));
  const server = new URL(cluster?.server ?? '');
  return { KUBECONFIG: '', KUBERNETES_SERVICE_HOST: server.hostname, KUBERNETES_SERVICE_PORT: server.port, GAIM_SERVICE_ACCOUNT_DIR: dir };
}
