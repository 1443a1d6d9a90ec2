// `make bench`: the operator's figures on a local stack of its own (kwok nodes make pods Ready, the
// seed runner runs seed Jobs with the compiled entry point, as the image would). Prints a table and
// writes bench/results/latest.{json,md}, convergence.png and memory.png. Knobs, for a quick trial:
// BENCH_SIZES (default 100,500), BENCH_MEMORY_AT (1000), BENCH_SCALE_AT (2000; 0 skips the last
// step), BENCH_SAMPLES (200), BENCH_MAX_CONCURRENT_SEEDS (the operator's default). The operator
// runs with the chart's NODE_OPTIONS (operator.nodeOptions) and the image entry point's node flags.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { Firestore } from '@google-cloud/firestore';
import { KubeClient } from '../../src/kube/client.js';
import type { KubeObject } from '../../src/kube/objects.js';
import { Resources } from '../../src/kube/resources.js';
import { metricValue } from '../../stack/metrics.js';
import { freePort } from '../../stack/ports.js';
import { operatorEnvFor, repoRoot, Stack, type StackEnv } from '../../stack/stack.js';
import { BASELINE_MANAGER, baselineGaim, convergeBare, type BaselineContext } from './baseline.js';
import { apiServerWrites, binaryResidentBytes, diffCounts, eventWritersSince, firestoreUpdateTimes, percentile, pool, processMemory, Watch } from './observe.js';
import { writeReport, type BenchResult } from './report.js';
import { podCredentials } from './credentials.js';
import { chartNodeOptions, imageNodeArgs } from './node-flags.js';
import { MemorySampler } from './memory.js';

const numbers = (value: string | undefined, fallback: number[]) => (value === undefined || value === '' ? fallback : value.split(',').map(Number));
const SIZES = numbers(process.env['BENCH_SIZES'], [100, 500]);
const MEMORY_AT = numbers(process.env['BENCH_MEMORY_AT'], [1000])[0] ?? 1000;
const SAMPLES = numbers(process.env['BENCH_SAMPLES'], [200])[0] ?? 200;
const SCALE_AT = numbers(process.env['BENCH_SCALE_AT'], [2000])[0] ?? 2000;
// The operator's seeding concurrency (GAIM_MAX_CONCURRENT_SEEDS); unset, the operator's default.
// On this machine the seed pods run on the operator's own two cores, unlike a cluster's nodes, and
// the bare client never has more than its 4 Gaims' seeds in flight.
const MAX_CONCURRENT_SEEDS = process.env['BENCH_MAX_CONCURRENT_SEEDS'];
/** The V8 flags the chart gives the operator: the benchmark measures what the cluster runs. */
const NODE_OPTIONS = await chartNodeOptions();
const NODE_ARGS = await imageNodeArgs();
const WORKERS = 4;
/** Requests in flight while applying Gaims "at once", as kubectl apply of many files would. */
const APPLY_PARALLEL = 16;
const RESYNC_SECONDS = 120;

const say = (message: string) => { console.log(`[bench] ${message}`); };
const run = promisify(execFile);
const keepAlive = setInterval(() => undefined, 60_000);
const startedAt = Date.now();
// The commit is read at the start: `make bench` built dist/ from this tree before the run, and an
// edit made while it runs does not change what it measures.
const commit = await gitCommit();

type GaimObject = KubeObject & { spec: { gaimId: string }; status?: { syncStatus?: string; observedGeneration?: number; conditions?: { type: string; status: string; reason?: string; message?: string }[] } };
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
  const serviceAccount = await podCredentials(client, stack, join(runDir, 'serviceaccount'), 'gaim-bench');
  const logFile = join(runDir, 'operator.log');
  const sampler = new MemorySampler();
  const startOperator = async () => {
    const [metricsPort, healthPort] = [await freePort(), await freePort()];
    const out = openSync(logFile, 'a');
    // Under the stack's tether, so the operator dies with this process even when it is killed.
    const child = spawn(join(repoRoot, 'stack', 'tether.sh'), [String(process.pid), join(repoRoot, 'bin', 'node'), ...NODE_ARGS, join(repoRoot, 'dist', 'src', 'main.js'), 'run'], {
      cwd: repoRoot, stdio: ['ignore', out, out],
      env: {
        PATH: process.env['PATH'], HOME: process.env['HOME'], ...operatorEnvFor(env), ...serviceAccount, POD_NAMESPACE: 'gaim-system', NODE_OPTIONS,
        GAIM_LEADER_ELECT: 'false', GAIM_WORKERS: String(WORKERS), GAIM_RESYNC_SECONDS: String(RESYNC_SECONDS),
        GAIM_BIND_ADDRESS: '127.0.0.1', GAIM_METRICS_PORT: String(metricsPort), GAIM_HEALTH_PORT: String(healthPort), GAIM_CLUSTER_NAME: 'bench',
        ...(MAX_CONCURRENT_SEEDS === undefined ? {} : { GAIM_MAX_CONCURRENT_SEEDS: MAX_CONCURRENT_SEEDS }),
      },
    });
    closeSync(out);
    for (;;) {
      const ready = await fetch(`http://127.0.0.1:${String(healthPort)}/readyz`).then((r) => r.ok, () => false);
      if (ready) break;
      if (child.exitCode !== null) throw new Error(`the operator exited (${String(child.exitCode)}); see ${logFile}`);
      await sleep(200);
    }
    const tetherPid = child.pid ?? 0;
    const pid = Number((await readFile(`/proc/${String(tetherPid)}/task/${String(tetherPid)}/children`, 'utf8')).trim().split(/\s+/)[0]);
    sampler.follow(pid, metricsPort);
    return { child, pid, metricsPort };
  };
  sampler.start();
  sampler.phase('start-up');
  let current = await startOperator();
  operator = current.child;
  const metrics = async () => (await fetch(`http://127.0.0.1:${String(current.metricsPort)}/metrics`)).text();
  sampler.phase('idle');
  await sleep(15_000);
  const idle = { ...(await processMemory(current.pid)), heapBytes: metricValue(await metrics(), 'nodejs_heap_size_used_bytes') ?? NaN };
  say(`operator ready; idle RSS ${mib(idle.rssBytes)} MiB (NODE_OPTIONS=${NODE_OPTIONS}; node ${NODE_ARGS.join(' ')})`);

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
      if (performance.now() - t0 > 20 * 60_000) throw new Error(`${prefix}: ${String(waitingCr.size)} Gaims not Synced after 20 minutes; ${waitingOn(waitingCr)}`);
      await sleep(250);
    }
    const seconds = (performance.now() - t0) / 1000;
    const after = await operatorRequests();
    return { seconds, readsPerGaim: (after.reads - before.reads) / count, writesPerGaim: (after.writes - before.writes) / count, namespaces: nss, ids };
  };

  /**
   * What the Gaims still waiting wait on: counted by syncStatus, their Ready condition's reason, and
   * the first other condition not True (with "seed slot" when that is the line for a seed Job slot).
   */
  const waitingOn = (namespaces: ReadonlySet<string>) => {
    const reasons = new Map<string, number>();
    for (const g of gaims.list()) {
      if (!namespaces.has(g.metadata?.namespace ?? '')) continue;
      const ready = g.status?.conditions?.find((c) => c.type === 'Ready');
      const blocking = g.status?.conditions?.find((c) => c.type !== 'Ready' && c.status !== 'True');
      const why = blocking === undefined ? '' : ` ${blocking.type}/${blocking.reason ?? ''}${(blocking.message ?? '').includes('seed slot') ? ' (seed slot)' : ''}`;
      const reason = `${g.status?.syncStatus ?? 'no status'}/${ready?.reason ?? 'no Ready'}${why}`;
      reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
    }
    return `by status/Ready reason: ${JSON.stringify(Object.fromEntries([...reasons].sort((a, b) => b[1] - a[1])))}`;
  };

  const convergeBaseline = async (prefix: string, count: number) => {
    const nss = await namespaces(prefix, count);
    const ctx: BaselineContext = {
      client, firestore, mongodbUrl: env.MONGODB_URL, redisUrl: env.REDIS_URL, watches,
      seedPlacement: {
        image: 'gaim-operator:dev', storageUid: 1000, storageGid: 1000, prepareShares: true, imagePullSecrets: [], seedDeadlineSeconds: 900,
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
    sampler.phase(`converge +${String(n)}`);
    const op = await convergeWithOperator(`op${String(i)}`, n);
    allIds.push(...op.ids.values());
    latencyPool = op.namespaces.map((ns) => ({ ns, id: op.ids.get(ns) ?? '' }));
    say(`  operator: ${op.seconds.toFixed(1)} s; bare client next`);
    sampler.phase(`bare client ${String(n)}`);
    const bare = await convergeBaseline(`bare${String(i)}`, n);
    convergence.push({ n, operatorSeconds: op.seconds, bareClientSeconds: bare, ratio: op.seconds / bare, readsPerGaim: op.readsPerGaim, writesPerGaim: op.writesPerGaim });
    say(`  bare client: ${bare.toFixed(1)} s; ratio ${(op.seconds / bare).toFixed(2)}`);
  }

  const already = SIZES.reduce((a, b) => a + b, 0);
  if (MEMORY_AT > already) {
    say(`memory: converging ${String(MEMORY_AT - already)} more Gaims to reach ${String(MEMORY_AT)}`);
    sampler.phase(`converge to ${String(MEMORY_AT)}`);
    const extra = await convergeWithOperator('mem', MEMORY_AT - already);
    allIds.push(...extra.ids.values());
  }
  // The queue prober's first sample of each Gaim (within GAIM_QUEUE_SAMPLE_SECONDS of its Redis
  // being ready) writes QueuesHealthy once; those belong to converging, not to the quiet resync.
  const sampledDeadline = Date.now() + 120_000;
  const unsampled = () => gaims.list().filter((g) => !((g.status as { conditions?: { type: string }[] } | undefined)?.conditions ?? []).some((c) => c.type === 'QueuesHealthy')).length;
  while (unsampled() > 0 && Date.now() < sampledDeadline) await sleep(1000);
  if (unsampled() > 0) say(`  ${String(unsampled())} Gaims have no queue sample after 120 s; the quiet resync counts their first`);
  await sleep(10_000); // let the last events and timers settle
  const memoryText = await metrics();
  const memory = { gaims: Math.max(MEMORY_AT, already), idleRssBytes: idle.rssBytes, idleHeapBytes: idle.heapBytes,
    rssBytes: (await processMemory(current.pid)).rssBytes, heapBytes: metricValue(memoryText, 'nodejs_heap_size_used_bytes') ?? NaN,
    heapTotalBytes: metricValue(memoryText, 'nodejs_heap_size_total_bytes') ?? NaN, externalBytes: metricValue(memoryText, 'nodejs_external_memory_bytes') ?? NaN };
  say(`memory at ${String(memory.gaims)} Gaims: RSS ${mib(memory.rssBytes)} MiB, heap ${mib(memory.heapBytes)} MiB`);

  // Quiet steady state: the next periodic resync reconciles every Gaim; count what it writes.
  sampler.phase('quiet resync');
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
  sampler.phase('latency');
  say(`reaction latency: ${String(SAMPLES)} samples, and as many of the floor`);
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
  // The floor, under the same load at the same moments: this side's own client writes a Gaim's status
  // (a field the operator does not read: it ignores status-only changes) and sees it on its watch — an
  // API write and a watch delivery, what any reaction of anyone's costs at the least.
  const floor: number[] = [];
  const floorSample = async ({ ns }: { ns: string }) => {
    const token = `bench-floor-${crypto.randomUUID()}`;
    let seenAt: number | undefined;
    const stop = gaims.listen((_e, g, at) => { if (g.metadata?.namespace === ns && (g.status as { message?: string } | undefined)?.message === token) seenAt ??= at; });
    try {
      const t0 = performance.now();
      await client.mergePatch(Resources.gaim, 'bench', ns, { status: { message: token } }, undefined, 'status');
      const deadline = Date.now() + 10_000;
      while (seenAt === undefined && Date.now() < deadline) await sleep(5);
      if (seenAt !== undefined) floor.push(seenAt - t0);
    } finally {
      stop();
    }
  };
  // Five at a time, each on its own Gaim: a busy but not flooded operator, then five of the floor. A
  // sample is missed when the operator's cache saw the pod come back before its reconcile of the not-
  // ready state ran: level-triggered, it then finds nothing to report, and there is no flip to time.
  for (let next = 0; samples.length < SAMPLES && next < 3 * SAMPLES; next += 5) {
    const picks = Array.from({ length: 5 }, (_, i) => latencyPool[(next + i) % Math.max(1, latencyPool.length)]).filter((p) => p !== undefined);
    await pool(picks, 5, sample);
    if (floor.length < SAMPLES) await pool(picks, 5, floorSample);
  }
  const stats = (values: number[]) => {
    const sorted = [...values].sort((a, b) => a - b);
    return { p50: percentile(sorted, 50), p95: percentile(sorted, 95), p99: percentile(sorted, 99), max: sorted.at(-1) ?? NaN };
  };
  // The same 1,000 Gaims once the bursts are over: V8 gives back heap it reserved at a peak only
  // when it is idle for a while, so the steady state of a converged cluster reads differently.
  sampler.phase('quiet minute');
  await sleep(60_000);
  // RSS is read before the benchmark's own /metrics scrape, as every other figure is: rendering
  // the series of 1,000 Gaims is work of its own, and its cost is given beside the quiet figure.
  const quietRss = (await processMemory(current.pid)).rssBytes;
  const settledText = await metrics();
  const settled = { rssBytes: quietRss, heapBytes: metricValue(settledText, 'nodejs_heap_size_used_bytes') ?? NaN,
    heapTotalBytes: metricValue(settledText, 'nodejs_heap_size_total_bytes') ?? NaN, binaryBytes: await binaryResidentBytes(current.pid),
    afterScrapeRssBytes: (await processMemory(current.pid)).rssBytes, scrapeBytes: settledText.length };
  say(`memory after a quiet minute: RSS ${mib(settled.rssBytes)} MiB (${mib(settled.afterScrapeRssBytes)} MiB right after a /metrics scrape of ${String(Math.round(settled.scrapeBytes / 1024))} KiB), heap ${mib(settled.heapBytes)} of ${mib(settled.heapTotalBytes)} MiB, node's binary ${mib(settled.binaryBytes)} MiB`);
  const floorStats = stats(floor);
  const latency = {
    samples: samples.length, missed, crMs: stats(samples.map((s) => s.cr)), firestoreMs: stats(samples.map((s) => s.firestore)), bothMs: stats(samples.map((s) => s.both)),
    floorSamples: floor.length, floorMs: floorStats, p99Ratio: stats(samples.map((s) => s.both)).p99 / floorStats.p99,
  };
  say(`  operator p99 ${latency.bothMs.p99.toFixed(0)} ms; floor p99 ${floorStats.p99.toFixed(0)} ms; ratio ${latency.p99Ratio.toFixed(2)}`);

  // A cold start: the operator restarted with every Gaim there, each reconciled at once — the peak.
  const gaimCount = memory.gaims;
  const coldStart = async (label: string) => {
    sampler.phase(`cold start ${label}`);
    current.child.kill('SIGTERM');
    await new Promise((resolve) => { current.child.once('exit', resolve); });
    const t0 = performance.now();
    current = await startOperator();
    operator = current.child;
    for (;;) {
      const text = await metrics();
      const done = metricValue(text, 'controller_runtime_reconcile_total', { controller: 'gaim' }) ?? 0;
      if (done >= gaimCount && (metricValue(text, 'workqueue_depth', { name: 'gaim' }) ?? 1) === 0) break;
      if (performance.now() - t0 > 20 * 60_000) throw new Error('the cold start did not reconcile every Gaim in 20 minutes');
      await sleep(1000);
    }
    const seconds = (performance.now() - t0) / 1000;
    await sleep(10_000);
    say(`  cold start ${label}: every Gaim reconciled in ${seconds.toFixed(1)} s`);
    return seconds;
  };
  const coldStartSeconds = await coldStart(`(${String(gaimCount)} Gaims)`);
  sampler.phase(`quiet after cold start`);
  await sleep(60_000);
  const coldQuiet = (await processMemory(current.pid)).rssBytes;

  // Growth per Gaim: the same again at SCALE_AT.
  let scale: { gaims: number; convergeSeconds: number; quietRssBytes: number; failed?: string } | undefined;
  if (SCALE_AT > gaimCount) {
    say(`memory: converging ${String(SCALE_AT - gaimCount)} more Gaims to reach ${String(SCALE_AT)}`);
    sampler.phase(`converge to ${String(SCALE_AT)}`);
    // The last step: if it does not converge, the figures before it still stand, and the report says
    // what the Gaims waited on rather than the whole run being lost.
    const more = await convergeWithOperator('scale', SCALE_AT - gaimCount).then((r) => ({ seconds: r.seconds, failed: undefined }),
      (error: unknown) => ({ seconds: NaN, failed: error instanceof Error ? error.message : String(error) }));
    if (more.failed !== undefined) say(`  the ${String(SCALE_AT)} step did not converge: ${more.failed}`);
    sampler.phase(`quiet at ${String(SCALE_AT)}`);
    await sleep(60_000);
    scale = { gaims: SCALE_AT, convergeSeconds: more.seconds, quietRssBytes: (await processMemory(current.pid)).rssBytes, ...(more.failed === undefined ? {} : { failed: more.failed }) };
    say(`  at ${String(SCALE_AT)} Gaims: quiet RSS ${mib(scale.quietRssBytes)} MiB`);
  }
  sampler.phase('end');
  const timeline = sampler.stop();
  const phases = sampler.summary();

  const result: BenchResult = {
    when: new Date().toISOString(), command: [...Object.entries(process.env).filter(([k]) => k.startsWith('BENCH_')).map(([k, v]) => `${k}=${v ?? ''}`), 'make bench'].join(' '), machine: { cpus: (await import('node:os')).availableParallelism(), node: process.version },
    workers: WORKERS, convergence, latency, quiet,
    memory: { ...memory, settled, nodeOptions: NODE_OPTIONS, nodeArgs: NODE_ARGS.join(' '), phases, coldStart: { gaims: gaimCount, seconds: coldStartSeconds, quietRssBytes: coldQuiet }, ...(scale === undefined ? {} : { scale }), timeline },
    commit, durationSeconds: (Date.now() - startedAt) / 1000,
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

/** The commit the benchmark ran on, and whether the tree differed from it. */
async function gitCommit(): Promise<{ sha: string; dirty: boolean }> {
  const sha = (await run('git', ['rev-parse', 'HEAD'], { cwd: repoRoot })).stdout.trim();
  const dirty = (await run('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: repoRoot })).stdout.trim() !== '';
  return { sha, dirty };
}

function mib(bytes: number): string {
  return (bytes / 1024 / 1024).toFixed(0);
}
