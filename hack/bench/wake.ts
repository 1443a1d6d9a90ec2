// `make bench-wake` (and a step of `make bench`): how long a hibernated Gaim takes to wake — from the
// wake annotation (kubectl gaim wake) to Synced, as seen on a watch — p50 and p99 over BENCH_WAKE_GAIMS
// Gaims (default 20), and how much of it is the stores' own start-up. The stack runs each store pod as
// a real redis-server or FerretDB on its volume (stack/store-runtime.ts), so a wake is a real start.
// Each Gaim hibernates by itself (spec.hibernation.mode Auto, its queues idle), then is woken alone,
// one after the other: the latency a user waking one Gaim sees, not a thundering herd.
//
// The stores' share: from the StatefulSets scaled back up to both store pods Ready; the operator's
// share is the rest — noticing the wake and scaling up, then seeing the pods Ready, its checks and
// the status write. All three instants are seen by the benchmark polling every 25 ms.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { KubeClient } from '../../src/kube/client.js';
import type { KubeObject } from '../../src/kube/objects.js';
import { Resources } from '../../src/kube/resources.js';
import { freePort } from '../../stack/ports.js';
import { operatorEnvFor, repoRoot, Stack } from '../../stack/stack.js';
import { percentile } from './observe.js';

const COUNT = Number(process.env['BENCH_WAKE_GAIMS'] ?? '20');
const say = (message: string) => { console.log(`[bench-wake] ${message}`); };
const keepAlive = setInterval(() => undefined, 60_000);

type GaimObject = KubeObject & { status?: { syncStatus?: string; observedGeneration?: number; hibernatedAt?: string; conditions?: { type: string; status: string; reason?: string }[] } };
type Pod = KubeObject & { status?: { conditions?: { type: string; status: string; lastTransitionTime?: string }[] } };
const condition = (g: GaimObject, type: string) => g.status?.conditions?.find((c) => c.type === type);
const asleep = (g: GaimObject) => condition(g, 'Hibernated')?.status === 'True';
const awake = (g: GaimObject) => g.status?.syncStatus === 'Synced' && condition(g, 'Ready')?.status === 'True' && g.status.hibernatedAt === undefined
  && g.status.observedGeneration === g.metadata?.generation;

const runDir = join(repoRoot, '.run', 'bench-wake');
await rm(runDir, { recursive: true, force: true });
say('starting a local stack of its own (a store process per pod)');
const stack = await Stack.start({ runDir, seedEntry: 'compiled', log: () => undefined });
let operator: ChildProcess | undefined;
try {
  await promisify(execFile)(join(repoRoot, 'bin', 'kubectl'), ['apply', '--server-side', '-f', join(repoRoot, 'crds')], { env: { ...process.env, KUBECONFIG: stack.env.KUBECONFIG } });
  const client = await KubeClient.create(stack.kubeConfig(), { userAgent: 'gaim-bench-wake' });
  const names = Array.from({ length: COUNT }, (_, i) => `wake-${String(i).padStart(2, '0')}`);
  // One Gaim per namespace (a Gaim owns its namespace), each namespace named as its Gaim.
  for (const ns of ['gaim-system', ...names]) await client.create(Resources.namespace, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });

  const logFile = join(runDir, 'operator.log');
  const out = openSync(logFile, 'a');
  operator = spawn(join(repoRoot, 'stack', 'tether.sh'), [String(process.pid), join(repoRoot, 'bin', 'node'), join(repoRoot, 'dist', 'src', 'main.js'), 'run'], {
    cwd: repoRoot, stdio: ['ignore', out, out],
    env: {
      PATH: process.env['PATH'], HOME: process.env['HOME'], ...operatorEnvFor(stack.env), POD_NAMESPACE: 'gaim-system',
      GAIM_LEADER_ELECT: 'false', GAIM_BIND_ADDRESS: '127.0.0.1', GAIM_METRICS_PORT: String(await freePort()), GAIM_HEALTH_PORT: String(await freePort()),
      GAIM_CLUSTER_NAME: 'bench', GAIM_QUEUE_SAMPLE_SECONDS: '2',
    },
  });
  closeSync(out);

  say(`creating ${String(COUNT)} Gaims (hibernation Auto, idleAfter 10s) and waiting for them to hibernate`);
  for (const name of names) {
    await client.create(Resources.gaim, {
      apiVersion: 'gaim.livingcontent.io/v1alpha1', kind: 'Gaim', metadata: { name, namespace: name },
      spec: {
        gaimId: crypto.randomUUID(), displayName: name, environments: ['stage'], hibernation: { mode: 'Auto', idleAfter: '10s' },
        lancedb: { storage: { storageClassName: 'enterprise-multishare-rwx', size: '100Gi' } },
      },
    });
  }
  // A Gaim woken first must not be idle again before it is measured: its idleAfter (10 s) starts
  // after its next queue samples, well after Synced.
  const until = async (name: string, what: string, check: (g: GaimObject) => boolean, timeoutMs: number): Promise<GaimObject> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const gaim = await client.get<GaimObject>(Resources.gaim, name, name);
      if (check(gaim)) return gaim;
      if (Date.now() > deadline) throw new Error(`${name} did not ${what} within ${String(timeoutMs / 1000)}s: ${JSON.stringify(gaim.status ?? null)} (operator log: ${logFile})`);
      await sleep(50);
    }
  };
  for (const name of names) await until(name, 'hibernate', asleep, 600_000);

  const rows: { name: string; totalMs: number; operatorMs: number; storesMs: number }[] = [];
  type StatefulSet = KubeObject & { spec?: { replicas?: number } };
  for (const name of names) {
    // Polled every 25 ms on the benchmark's own clock: when the operator has scaled the stores back
    // up, when both store pods are Ready, when the Gaim is Synced.
    const requested = performance.now();
    await client.mergePatch(Resources.gaim, name, name, { metadata: { annotations: { 'gaim.livingcontent.io/wake': new Date().toISOString() } } });
    let scaledAt: number | undefined;
    let readyAt: number | undefined;
    let syncedAt: number | undefined;
    while (syncedAt === undefined) {
      if (performance.now() - requested > 300_000) throw new Error(`${name} did not wake within 300s (operator log: ${logFile})`);
      const [gaim, sets, pods] = await Promise.all([
        client.get<GaimObject>(Resources.gaim, name, name),
        client.list<StatefulSet>(Resources.statefulSet, { namespace: name }),
        client.list<Pod>(Resources.pod, { namespace: name, labelSelector: 'app.kubernetes.io/component in (mongodb,redis)' }),
      ]);
      const now = performance.now();
      if (scaledAt === undefined && sets.items.length === 2 && sets.items.every((s) => (s.spec?.replicas ?? 0) > 0)) scaledAt = now;
      if (readyAt === undefined && pods.items.length === 2 && pods.items.every((p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'))) readyAt = now;
      if (awake(gaim)) syncedAt = now;
      else await sleep(25);
    }
    const totalMs = syncedAt - requested;
    const scaled = scaledAt ?? syncedAt;
    const ready = readyAt ?? syncedAt;
    // The operator's share: noticing the wake and scaling up, then seeing the pods Ready, its checks and
    // the status write. The rest — the StatefulSet controller, the scheduler, the kubelet and the
    // stores' own start-up — is the stores'.
    const storesMs = Math.max(0, ready - scaled);
    rows.push({ name, totalMs, operatorMs: totalMs - storesMs, storesMs });
    say(`${name}: Synced ${(totalMs / 1000).toFixed(2)} s after the annotation (scaled up after ${((scaled - requested) / 1000).toFixed(2)} s, pods Ready after ${((ready - requested) / 1000).toFixed(2)} s)`);
  }
  const totals = rows.map((r) => r.totalMs).sort((a, b) => a - b);
  const stores = rows.map((r) => r.storesMs).sort((a, b) => a - b);
  const operatorShare = rows.map((r) => r.operatorMs).sort((a, b) => a - b);
  const s = (ms: number) => (ms / 1000).toFixed(2);
  const report = [
    '# Wake from hibernation (make bench-wake)',
    '',
    `${new Date().toISOString()}: ${String(COUNT)} Gaims hibernated by spec.hibernation.mode Auto, each woken alone by the wake annotation; a store process per pod (FerretDB for mongod, redis-server).`,
    '',
    '| | p50 | p99 | max |',
    '| --- | ---: | ---: | ---: |',
    `| annotation → Synced (s) | ${s(percentile(totals, 50))} | ${s(percentile(totals, 99))} | ${s(totals.at(-1) ?? NaN)} |`,
    `| of which the stores': scaled up → both pods Ready (s) | ${s(percentile(stores, 50))} | ${s(percentile(stores, 99))} | ${s(stores.at(-1) ?? NaN)} |`,
    `| of which the operator's: annotation → scaled up, and pods Ready → Synced (s) | ${s(percentile(operatorShare, 50))} | ${s(percentile(operatorShare, 99))} | ${s(operatorShare.at(-1) ?? NaN)} |`,
    '',
    'Each figure\'s percentiles are its own: the rows do not add up. Polled every 25 ms by the benchmark (its own clock).',
    '',
  ].join('\n');
  await mkdir(join(repoRoot, 'bench', 'results'), { recursive: true });
  await writeFile(join(repoRoot, 'bench', 'results', 'wake.md'), report);
  console.log(`\n${report}`);
  await client.close();
} finally {
  operator?.kill('SIGTERM');
  await sleep(1000);
  await stack.stop();
  clearInterval(keepAlive);
}
