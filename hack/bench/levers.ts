// Memory levers, side by side: one local stack, LEVERS_GAIMS Synced Gaims, then for each variant
// the operator restarted under that variant's environment — its cold start over every Gaim, then
// LEVERS_FRESH new Gaims converged (deleted again before the next variant), then a quiet spell — with
// RSS read from /proc four times a second. Needs `make build` (it runs dist/, as the image does).
// `make bench` measures the operator as the chart runs it; this compares what the chart could run.
//
//   LEVERS='chart;old128|NODE_OPTIONS=--max-semi-space-size=1 --max-old-space-size=128' \
//     node --import tsx hack/bench/levers.ts
//
// A variant is `name|KEY=value|KEY=value`; NODE_OPTIONS defaults to the chart's operator.nodeOptions,
// NODE_ARGS (flags on node's command line) to those of the image's entry point.
//
// What grows per Gaim: LEVERS_SNAPSHOTS=1 with a variant whose NODE_OPTIONS add
// --heapsnapshot-signal=SIGUSR2 writes a heap snapshot at LEVERS_GAIMS and at +LEVERS_FRESH (RSS
// figures after the first snapshot are inflated by taking it), for hack/bench/heap-diff.ts.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { KubeClient } from '../../src/kube/client.js';
import type { KubeObject } from '../../src/kube/objects.js';
import { Resources } from '../../src/kube/resources.js';
import { metricValue } from '../../stack/metrics.js';
import { freePort } from '../../stack/ports.js';
import { operatorEnvFor, repoRoot, Stack } from '../../stack/stack.js';
import { podCredentials } from './credentials.js';
import { chartNodeOptions, imageNodeArgs } from './node-flags.js';
import { binaryResidentBytes, pool } from './observe.js';

const GAIMS = Number(process.env['LEVERS_GAIMS'] ?? '300');
const FRESH = Number(process.env['LEVERS_FRESH'] ?? '50');
const QUIET_SECONDS = Number(process.env['LEVERS_QUIET_SECONDS'] ?? '45');
/** LEVERS_SNAPSHOTS=1: a heap snapshot of each variant quiet at LEVERS_GAIMS and at +LEVERS_FRESH, for heap-diff.ts. */
const SNAPSHOTS = process.env['LEVERS_SNAPSHOTS'] === '1';
const CHART_NODE_OPTIONS = await chartNodeOptions();
const IMAGE_NODE_ARGS = (await imageNodeArgs()).join(' ');
const variants = (process.env['LEVERS'] ?? 'chart').split(';').filter(Boolean).map((spec) => {
  const [name = '', ...pairs] = spec.split('|');
  const env: Record<string, string> = { NODE_OPTIONS: CHART_NODE_OPTIONS, NODE_ARGS: IMAGE_NODE_ARGS };
  for (const pair of pairs) env[pair.slice(0, pair.indexOf('='))] = pair.slice(pair.indexOf('=') + 1);
  return { name, env };
});

const say = (message: string) => { console.log(`[levers] ${message}`); };
const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
const run = promisify(execFile);
// stack.stop() waits on child processes only: without a timer the event loop could empty under it.
const keepAlive = setInterval(() => undefined, 60_000);
const runDir = join(repoRoot, '.run', 'levers');
await rm(runDir, { recursive: true, force: true });
const stack = await Stack.start({ runDir, seedEntry: 'compiled', pods: 'kwok', log: () => undefined });
let operator: ChildProcess | undefined;
try {
  await run(join(repoRoot, 'bin', 'kubectl'), ['apply', '--server-side', '-f', join(repoRoot, 'crds')], { env: { ...process.env, KUBECONFIG: stack.env.KUBECONFIG } });
  const client = await KubeClient.create(stack.kubeConfig(), { userAgent: 'gaim-levers' });
  const serviceAccount = await podCredentials(client, stack, join(runDir, 'serviceaccount'), 'gaim-levers');
  const mongo = new URL(stack.env.MONGODB_URL);
  const redis = new URL(stack.env.REDIS_URL);
  const createGaims = async (prefix: string, count: number) => {
    await pool(Array.from({ length: count }, (_, i) => `${prefix}-${String(i)}`), 16, async (ns) => {
      const labels = { 'app.kubernetes.io/managed-by': 'gaim-operator', 'gaim.livingcontent.io/gaim': 'bench' };
      await client.create(Resources.namespace, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
      await client.create(Resources.secret, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'bench-mongodb-credentials', namespace: ns, labels },
        stringData: { 'root-username': decodeURIComponent(mongo.username), 'root-password': decodeURIComponent(mongo.password), 'app-username': 'bench-app', 'app-password': 'app-password' } });
      await client.create(Resources.secret, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'bench-redis-credentials', namespace: ns, labels },
        stringData: { password: decodeURIComponent(redis.password), 'operator-password': decodeURIComponent(redis.password) } });
      await client.create(Resources.gaim, { apiVersion: 'gaim.livingcontent.io/v1alpha1', kind: 'Gaim', metadata: { name: 'bench', namespace: ns },
        spec: { gaimId: crypto.randomUUID(), displayName: `Bench ${ns}`, environments: ['stage'], lancedb: { storage: { storageClassName: 'enterprise-multishare-rwx', size: '100Gi' } } } });
    });
  };
  const synced = async () => (await client.list<KubeObject & { status?: { syncStatus?: string } }>(Resources.gaim)).items.filter((g) => g.status?.syncStatus === 'Synced').length;

  const start = async (env: Record<string, string>) => {
    const [metricsPort, healthPort] = [await freePort(), await freePort()];
    const out = openSync(join(runDir, 'operator.log'), 'a');
    // NODE_ARGS: V8 flags that NODE_OPTIONS refuses (--optimize-for-size), for the image's entry point.
    const { NODE_ARGS: nodeArgs = '', ...childEnv } = env;
    const child = spawn(join(repoRoot, 'stack', 'tether.sh'), [String(process.pid), join(repoRoot, 'bin', 'node'), ...nodeArgs.split(' ').filter(Boolean), join(repoRoot, 'dist', 'src', 'main.js'), 'run'], {
      cwd: repoRoot, stdio: ['ignore', out, out],
      env: { PATH: process.env['PATH'], HOME: process.env['HOME'], ...operatorEnvFor(stack.env), ...serviceAccount, POD_NAMESPACE: 'gaim-system',
        GAIM_LEADER_ELECT: 'false', GAIM_WORKERS: '4', GAIM_RESYNC_SECONDS: '600', GAIM_BIND_ADDRESS: '127.0.0.1',
        GAIM_METRICS_PORT: String(metricsPort), GAIM_HEALTH_PORT: String(healthPort), GAIM_CLUSTER_NAME: 'levers', ...childEnv },
    });
    closeSync(out);
    while (!(await fetch(`http://127.0.0.1:${String(healthPort)}/readyz`).then((r) => r.ok, () => false))) {
      if (child.exitCode !== null) throw new Error(`the operator exited (${String(child.exitCode)}); see ${runDir}/operator.log`);
      await sleep(100);
    }
    const tether = child.pid ?? 0;
    const pid = Number((await readFile(`/proc/${String(tether)}/task/${String(tether)}/children`, 'utf8')).trim().split(/\s+/)[0]);
    return { child, pid, metricsPort };
  };
  /** A heap snapshot of the operator (it runs with --heapsnapshot-signal=SIGUSR2), moved to runDir/NAME. */
  const snapshot = async (pid: number, name: string, nodeOptions: string) => {
    // Without the flag, SIGUSR2 would end the operator, and no file would ever come.
    if (!nodeOptions.includes('--heapsnapshot-signal=SIGUSR2')) {
      say(`no heap snapshot for ${name}: the variant's NODE_OPTIONS lack --heapsnapshot-signal=SIGUSR2`);
      return;
    }
    const before = new Set(await readdir(repoRoot));
    process.kill(pid, 'SIGUSR2');
    for (const deadline = Date.now() + 5 * 60_000; ;) {
      if (Date.now() > deadline) throw new Error(`no heap snapshot appeared in ${repoRoot} within 5 minutes`);
      await sleep(1000);
      const made = (await readdir(repoRoot)).find((f) => f.endsWith('.heapsnapshot') && !before.has(f));
      // V8 writes the file as it goes: done once its size stops changing.
      if (made !== undefined) {
        let size = -1;
        for (let now = (await stat(join(repoRoot, made))).size; now !== size; now = (await stat(join(repoRoot, made))).size) { size = now; await sleep(2000); }
        await rename(join(repoRoot, made), join(runDir, name));
        say(`heap snapshot: ${join(runDir, name)}`);
        return;
      }
    }
  };
  const stop = async (child: ChildProcess) => {
    child.kill('SIGTERM');
    await new Promise((resolve) => { child.once('exit', resolve); });
  };
  /** CPU seconds the process has used (user + system, from /proc/PID/stat; clock ticks of 1/100 s). */
  const cpuSeconds = async (pid: number) => {
    const fields = (await readFile(`/proc/${String(pid)}/stat`, 'utf8')).replace(/^.*\) /s, '').split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  };
  const rss = async (pid: number) => 1024 * Number(/VmRSS:\s+(\d+)\s+kB/.exec(await readFile(`/proc/${String(pid)}/status`, 'utf8').catch(() => ''))?.[1] ?? NaN);
  /** Peak RSS while `until` is false, sampled every 250 ms. */
  const peakWhile = async (pid: number, until: () => Promise<boolean>, timeoutMs: number) => {
    let peak = 0;
    let done = false;
    const sampler = setInterval(() => { void rss(pid).then((r) => { if (r > peak) peak = r; }); }, 250);
    const t0 = performance.now();
    try {
      while (!done) {
        if (performance.now() - t0 > timeoutMs) throw new Error(`not done in ${String(timeoutMs / 1000)} s`);
        await sleep(500);
        done = await until();
      }
    } finally {
      clearInterval(sampler);
    }
    return { peak, seconds: (performance.now() - t0) / 1000 };
  };

  say(`converging ${String(GAIMS)} Gaims once (not measured)`);
  await createGaims('base', GAIMS);
  operator = (await start({ NODE_OPTIONS: CHART_NODE_OPTIONS, NODE_ARGS: IMAGE_NODE_ARGS })).child;
  while ((await synced()) < GAIMS) await sleep(1000);
  await stop(operator);

  const rows: string[] = [];
  for (const [i, variant] of variants.entries()) {
    const current = await start(variant.env);
    operator = current.child;
    const cpuAtStart = await cpuSeconds(current.pid);
    const metrics = async () => (await fetch(`http://127.0.0.1:${String(current.metricsPort)}/metrics`)).text();
    const cold = await peakWhile(current.pid, async () => {
      const text = await metrics();
      return (metricValue(text, 'controller_runtime_reconcile_total', { controller: 'gaim' }) ?? 0) >= GAIMS && metricValue(text, 'workqueue_depth', { name: 'gaim' }) === 0;
    }, 20 * 60_000);
    // The cold start's CPU: every Gaim reconciled once, so how fast the variant runs the operator's code.
    const coldCpu = (await cpuSeconds(current.pid)) - cpuAtStart;
    if (SNAPSHOTS) {
      await sleep(QUIET_SECONDS * 1000);
      await snapshot(current.pid, `${variant.name}-${String(GAIMS)}.heapsnapshot`, variant.env['NODE_OPTIONS'] ?? '');
    }
    await createGaims(`fresh${String(i)}`, FRESH);
    const fresh = await peakWhile(current.pid, async () => (await synced()) >= GAIMS + FRESH, 20 * 60_000);
    await sleep(QUIET_SECONDS * 1000);
    if (SNAPSHOTS) await snapshot(current.pid, `${variant.name}-${String(GAIMS + FRESH)}.heapsnapshot`, variant.env['NODE_OPTIONS'] ?? '');
    const usage = await (await fetch(`http://127.0.0.1:${String(current.metricsPort)}/debug/memory`)).json() as { heapUsed: number; heapTotal: number; external: number };
    const quiet = await rss(current.pid);
    const binary = await binaryResidentBytes(current.pid);
    const row = `${variant.name.padEnd(14)} cold-start peak ${mib(cold.peak)} MiB (${cold.seconds.toFixed(0)} s, ${coldCpu.toFixed(1)} CPU s) | +${String(FRESH)} fresh peak ${mib(Math.max(fresh.peak, cold.peak))} MiB (${fresh.seconds.toFixed(0)} s) | quiet ${mib(quiet)} MiB, heap ${mib(usage.heapUsed)} of ${mib(usage.heapTotal)}, external ${mib(usage.external)}, node's binary ${mib(binary)}`;
    say(`${row}  [${JSON.stringify(variant.env)}]`);
    rows.push(row);
    // The fresh batch goes again (through this operator's finalizers), so every variant starts from
    // the same LEVERS_GAIMS.
    await pool(Array.from({ length: FRESH }, (_, n) => `fresh${String(i)}-${String(n)}`), 16, async (ns) => { await client.delete(Resources.gaim, 'bench', ns); });
    while ((await client.list(Resources.gaim)).items.length > GAIMS) await sleep(1000);
    await stop(operator);
  }
  console.log(`\nLevers at ${String(GAIMS)} Gaims (+${String(FRESH)} fresh ones per variant, deleted before the next):\n${rows.join('\n')}`);
} finally {
  operator?.kill('SIGKILL');
  await stack.stop();
  clearInterval(keepAlive);
}
