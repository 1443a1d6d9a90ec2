// `make bench-probes` (and the first step of `make bench`): what the stores' readiness probes cost a
// pod, run as the kubelet runs them — one process per probe, every periodSeconds — against the
// stack's own stores (FerretDB for MongoDB, redis-server). The figure that matters is CPU seconds per
// hour per pod against the pod's CPU request: a probe is overhead the tenant pays for around the clock.
// CPU is the probe processes' own (user + system, from bash's `times` for its children), not wall time.
import { execFile } from 'node:child_process';
import { chmod, copyFile, chown, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { pingScript } from '../../src/resources/mongodb-probe.js';
import { BUILT_IN_TIERS } from '../../src/resources/tiers.js';
import { parseQuantity } from '../../src/resources/quantity.js';
import { repoRoot } from '../../stack/stack.js';
import { redisAnswers, StoreRuntimes, type StoreSpec } from '../../stack/store-runtime.js';

const run = promisify(execFile);
const RUNS = Number(process.env['BENCH_PROBE_RUNS'] ?? '40');
const PERIOD_SECONDS = 10; // both stores' readinessProbe.periodSeconds
const USER = { uid: 999, gid: 999, groups: [999] };

/** CPU seconds (user + system) the commands' processes used, and the wall time, over `runs` runs. */
async function measure(command: string, runs: number): Promise<{ cpuSeconds: number; wallSeconds: number; failures: number }> {
  const script = `fail=0; for i in $(seq ${String(runs)}); do ${command} >/dev/null 2>&1 || fail=$((fail + 1)); done; echo "$fail"; times`;
  const started = performance.now();
  const { stdout } = await run('bash', ['-c', script], { env: { ...process.env, PATH: `${join(repoRoot, 'bin')}:${process.env['PATH'] ?? ''}` }, maxBuffer: 1 << 20 });
  const wallSeconds = (performance.now() - started) / 1000;
  const [failures = '0', , children = ''] = stdout.trim().split('\n');
  const seconds = (text: string) => { const m = /^(\d+)m([\d.]+)s$/.exec(text); return m === null ? NaN : Number(m[1]) * 60 + Number(m[2]); };
  const [user = '', system = ''] = children.trim().split(/\s+/);
  return { cpuSeconds: seconds(user) + seconds(system), wallSeconds, failures: Number(failures) };
}

const root = await mkdtemp(join(tmpdir(), 'probe-cost-'));
await chmod(root, 0o755);
const bin = join(root, 'bin');
await mkdir(bin);
for (const tool of ['redis-server', 'ferretdb']) await copyFile(join(repoRoot, 'bin', tool), join(bin, tool));
const runtimes = new StoreRuntimes({ bin, addressMapFile: join(root, 'addresses.json') });
const volume = async (name: string) => {
  const dir = join(root, name, 'data');
  const pod = join(root, name, 'pod');
  await mkdir(dir, { recursive: true });
  await mkdir(pod, { recursive: true });
  await chown(dir, 0, 999);
  await chmod(dir, 0o2770);
  return { dataDir: dir, podDir: pod };
};
const spec = async (kind: 'mongodb' | 'redis', env: Record<string, string>, args: string[]): Promise<StoreSpec> => ({
  kind, namespace: 'bench', serviceAddress: `${kind}.bench.svc.cluster.local:1`, env, args, probePassword: undefined, user: USER, ...(await volume(kind)),
});

try {
  const mongo = await runtimes.start('mongo', await spec('mongodb', { MONGO_INITDB_ROOT_USERNAME: 'root', MONGO_INITDB_ROOT_PASSWORD: 'bench-password' }, []));
  const redis = await runtimes.start('redis', await spec('redis', {}, ['--user', 'gaim-operator', 'on', '>probe-password', '~*', '&*', '+@all', '--user', 'default', 'off']));
  for (let i = 0; i < 100 && !(await redisAnswers({ host: '127.0.0.1', port: redis.port, username: 'gaim-operator', password: 'probe-password' })); i++) await new Promise((r) => setTimeout(r, 100));
  const scriptFile = join(root, 'ping.sh');
  await writeFile(scriptFile, pingScript('127.0.0.1', mongo.port));
  const probes = [
    { store: 'MongoDB', name: 'mongosh --eval "db.adminCommand(\'ping\').ok" (before)', command: `mongosh --quiet --norc --port ${String(mongo.port)} --eval "db.adminCommand('ping').ok"`, request: BUILT_IN_TIERS.small.mongodb.cpu },
    { store: 'MongoDB', name: 'bash, one OP_MSG ping (now)', command: `bash -c "$(cat ${scriptFile})"`, request: BUILT_IN_TIERS.small.mongodb.cpu },
    { store: 'Redis', name: 'redis-cli --user gaim-operator ping', command: `REDISCLI_AUTH=probe-password sh -c 'redis-cli -p ${String(redis.port)} --user gaim-operator ping | grep -q PONG'`, request: BUILT_IN_TIERS.small.redis.cpu },
  ];
  const rows: string[] = [];
  for (const probe of probes) {
    await measure(probe.command, 2); // warm the page cache: a pod's probes run from a warm one
    const m = await measure(probe.command, RUNS);
    const perProbeMs = (m.cpuSeconds / RUNS) * 1000;
    const perHour = (m.cpuSeconds / RUNS) * (3600 / PERIOD_SECONDS);
    const requestCores = parseQuantity(probe.request) ?? NaN;
    const share = (perHour / (requestCores * 3600)) * 100;
    rows.push(`| ${probe.store} | ${probe.name} | ${perProbeMs.toFixed(1)} | ${((m.wallSeconds / RUNS) * 1000).toFixed(0)} | ${perHour.toFixed(2)} | ${probe.request} | ${share.toFixed(2)} % | ${String(m.failures)}/${String(RUNS)} |`);
    console.log(rows.at(-1));
  }
  const report = [
    '# Readiness probe cost (make bench-probes)',
    '',
    `${new Date().toISOString()}, ${String(RUNS)} runs each, one process per probe as the kubelet runs it, every ${String(PERIOD_SECONDS)} s; the small tier's CPU requests.`,
    '',
    '| store | probe | CPU ms per probe | wall ms per probe | CPU s per hour per pod | CPU request | share of the request | failed |',
    '| --- | --- | ---: | ---: | ---: | --- | ---: | ---: |',
    ...rows,
    '',
  ].join('\n');
  await mkdir(join(repoRoot, 'bench', 'results'), { recursive: true });
  await writeFile(join(repoRoot, 'bench', 'results', 'probes.md'), report);
  console.log(`\n${report}`);
} finally {
  // The stores' processes do not hold the event loop (the stack unrefs them): a timer does, until they are gone.
  const keepAlive = setInterval(() => undefined, 1000);
  await runtimes.stopAll();
  await rm(root, { recursive: true, force: true });
  clearInterval(keepAlive);
}
