// `kubectl gaim` against the stack, run as users run it: the compiled plugin (the package's bin) as a
// child process with the stack's kubeconfig and Firestore emulator in its environment, and once
// through kubectl's own plugin lookup. What it prints is checked against the stack's state — the
// claims' sizes from the PVCs, the sync state and condition reasons from the Gaim, the sync_status
// from the emulator, the queue figures from the Gaim's own Redis, the events from the API — not
// against a copy of the text.
import { execFile, spawn } from 'node:child_process';
import { chmod, mkdtemp, readFile, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/kube/objects.js';
import { Resources } from '../../src/kube/resources.js';
import { RETRY_NOW } from '../../src/status/retry-ledger.js';
import { repoRoot } from '../../stack/stack.js';
import { createGaim } from '../support/gaims.js';
import { condition, isSynced, settlesQuietly, waitForGaim, type GaimObject } from '../support/operator.js';
import { createNamespace, eventually, stackEnv } from '../support/stack.js';
import { useSuite } from '../support/suite.js';

const PLUGIN = join(repoRoot, 'dist', 'src', 'kubectl-gaim.js');
const NODE = join(repoRoot, 'bin', 'node');
const NAME = 'insight';
const LABEL_WIDTH = 15;

interface Outcome { code: number; stdout: string; stderr: string }

function pluginEnv(more: Record<string, string> = {}): NodeJS.ProcessEnv {
  const stack = stackEnv();
  return {
    PATH: `${join(repoRoot, 'bin')}:/usr/bin:/bin`, HOME: stack.STACK_DIR,
    KUBECONFIG: stack.KUBECONFIG, FIRESTORE_EMULATOR_HOST: stack.FIRESTORE_EMULATOR_HOST, GOOGLE_CLOUD_PROJECT: stack.GOOGLE_CLOUD_PROJECT,
    ...more,
  };
}

/** Runs `kubectl gaim ARGS` (the plugin itself, or `file` such as kubectl) and returns what it said. */
async function run(args: readonly string[], env = pluginEnv(), file = NODE, prefix: readonly string[] = [PLUGIN]): Promise<Outcome> {
  return promisify(execFile)(file, [...prefix, ...args], { env, timeout: 60_000 }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: unknown) => {
      const failed = error as { code?: number; stdout?: string; stderr?: string };
      return { code: typeof failed.code === 'number' ? failed.code : -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
    },
  );
}

/** The value after "Label:", continuation lines joined. */
function fieldOf(output: string, label: string): string | undefined {
  const lines = output.split('\n');
  const start = lines.findIndex((l) => l.startsWith(`${label}:`));
  if (start < 0) return undefined;
  const continued = [];
  for (const line of lines.slice(start + 1)) {
    if (!line.startsWith(' '.repeat(LABEL_WIDTH))) break;
    continued.push(line.trim());
  }
  return [lines[start]?.slice(LABEL_WIDTH) ?? '', ...continued].join(' ').trim();
}

/** The table under "Label:", as objects keyed by the header's columns (two or more spaces apart). */
function tableOf(output: string, label: string): Record<string, string>[] {
  const lines = output.split('\n');
  const start = lines.findIndex((l) => l.startsWith(`${label}:`));
  const rows: string[][] = [];
  for (const line of lines.slice(start + 1)) {
    if (line.startsWith(' '.repeat(LABEL_WIDTH))) continue;
    if (!line.startsWith('  ') || line.trim() === '') break;
    rows.push(line.trim().split(/ {2,}/));
  }
  const [header = [], ...body] = rows;
  return body.map((cells) => Object.fromEntries(header.map((column, i) => [column, cells[i] ?? ''])));
}

const STREAM = 'gaim:tasks:stage';
const DLQ = 'gaim:tasks:stage:dlq';
type QueueEntry = { env: string; length: number; lag?: number; pending: number; oldestPendingSeconds: number; maxDeliveries: number; consumers: number; consumersIdle: number; dlqLength: number; sampledAt: string };
const queuesOf = (g: GaimObject) => (g.status as { queues?: QueueEntry[] } | undefined)?.queues;
const HEALTHY = { type: 'QueuesHealthy', status: 'True', reason: 'Healthy', message: 'stage: tasks flow' };

describe('kubectl gaim', () => {
  const suite = useSuite();
  let ns = '';
  let gaimId = '';
  let redis: Redis | undefined;

  /** The Gaim's own Redis, as its workers reach it (the apps' password). */
  async function redisOf(namespace: string): Promise<Redis> {
    const map = JSON.parse(await readFile(stackEnv().STORE_ADDRESS_MAP, 'utf8')) as Record<string, string>;
    const [host = '', port = ''] = (map[`${NAME}-redis.${namespace}.svc.cluster.local:6379`] ?? '').split(':');
    const { data = {} } = await suite.client.get<KubeObject & { data?: Record<string, string> }>(Resources.secret, `${NAME}-redis-credentials`, namespace);
    const client = new Redis({ host, port: Number(port), password: Buffer.from(data['password'] ?? '', 'base64').toString('utf8'), maxRetriesPerRequest: 1 });
    client.on('error', () => undefined);
    return client;
  }

  beforeAll(async () => {
    ns = await createNamespace('plugin');
    const operator = await suite.operator(ns, { GAIM_QUEUE_SAMPLE_SECONDS: '1' });
    const created = await createGaim(suite.client, ns, NAME, { environments: ['stage', 'prod'] });
    gaimId = (created['spec'] as { gaimId: string }).gaimId;
    await waitForGaim(suite.client, ns, NAME, 'to be Synced', isSynced, 120_000);
    // Work for a queue nobody consumes yet: three tasks never delivered, one dead letter.
    redis = await redisOf(ns);
    for (const id of ['t1', 't2', 't3']) await redis.xadd(STREAM, '*', 'task_name', 'process_query', 'task_id', id, 'args', '{}', 'enqueued_at', new Date().toISOString());
    await redis.xadd(DLQ, '*', 'task_name', 'process_query', 'task_id', 't0', 'args', '{}', 'error', 'Tool execution timeout', 'timestamp', new Date().toISOString(), 'retry_count', '3');
    await waitForGaim(suite.client, ns, NAME, 'to have its queue figures sampled', (g) => queuesOf(g)?.find((q) => q.env === 'stage')?.length === 3, 60_000);
    await settlesQuietly(operator, [`${ns}/${NAME}`]);
    // From here the Gaim's status holds still: what the plugin prints can be compared with it.
    await operator.stop();
  });

  afterAll(() => { redis?.disconnect(); });

  it('prints the stack\'s state: sync and conditions from the Gaim, claim sizes from the PVCs, queue figures from Redis, the emulator\'s sync_status, the newest events', async () => {
    const result = await run(['status', NAME, '-n', ns]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const out = result.stdout;
    const gaim = await suite.client.get<GaimObject>(Resources.gaim, NAME, ns);

    expect(fieldOf(out, 'Name')).toBe(`${ns}/${NAME}`);
    expect(fieldOf(out, 'Gaim ID')).toBe(gaimId);
    expect(fieldOf(out, 'Sync')).toBe(`${gaim.status?.syncStatus ?? '?'} (observed generation ${String(gaim.metadata?.generation)}, current)`);
    expect(fieldOf(out, 'Error')).toBe('none');
    // Every condition of the Gaim, with its status and reason.
    const conditions = tableOf(out, 'Conditions');
    expect(conditions.map((c) => [c['TYPE'], c['STATUS'], c['REASON']]).sort())
      .toEqual((gaim.status?.conditions ?? []).map((c) => [c.type, c.status, c.reason]).sort());
    expect(conditions.every((c) => /^\d+[smhdy]/.test(c['AGE'] ?? ''))).toBe(true);

    // Each store's endpoint, and each claim's sizes as the PVCs have them.
    expect(tableOf(out, 'Stores')).toEqual([
      { STORE: 'mongodb', ENDPOINT: gaim.status?.endpoints?.['mongodb'] },
      { STORE: 'redis', ENDPOINT: gaim.status?.endpoints?.['redis'] },
      { STORE: 'lancedb', ENDPOINT: `claim ${gaim.status?.endpoints?.['lancedbClaim'] ?? '?'}, mounted at /data` },
    ]);
    const claims = tableOf(out, 'Claims');
    const pvcNames = [`data-${NAME}-mongodb-0`, `data-${NAME}-redis-0`, `${NAME}-lancedb`];
    expect(claims.map((c) => c['CLAIM'])).toEqual(pvcNames);
    for (const name of pvcNames) {
      const pvc = await suite.client.get<KubeObject & { spec: { resources: { requests: { storage: string } } }; status: { capacity?: { storage?: string } } }>(Resources.persistentVolumeClaim, name, ns);
      expect(claims.find((c) => c['CLAIM'] === name), name).toMatchObject({ REQUESTED: pvc.spec.resources.requests.storage, CAPACITY: pvc.status.capacity?.storage });
    }

    // The queue figures as the Gaim's own Redis has them, under the operator's verdict.
    const healthy = condition(gaim, 'QueuesHealthy');
    // Three tasks waiting with no consumer, and a dead letter since the first sample.
    expect(healthy).toMatchObject({ status: 'False' });
    expect(['ConsumersStalled', 'DeadLettersGrowing']).toContain(healthy?.reason);
    expect(fieldOf(out, 'Queues')).toMatch(new RegExp(`^QueuesHealthy ${healthy?.status ?? '?'} \\(${healthy?.reason ?? '?'}\\); figures as of \\d+s ago$`));
    const [group = []] = (await redis?.xinfo('GROUPS', STREAM)) as unknown[][];
    const info = Object.fromEntries(Array.from({ length: group.length / 2 }, (_, i) => [String(group[2 * i]), String(group[2 * i + 1])]));
    expect(tableOf(out, 'Queues').find((q) => q['ENV'] === 'stage')).toEqual({
      ENV: 'stage', LENGTH: String(await redis?.xlen(STREAM)), LAG: info['lag'], PENDING: info['pending'], 'OLDEST PENDING': '-',
      'MAX DELIVERIES': '0', CONSUMERS: info['consumers'], IDLE: '0', DLQ: String(await redis?.xlen(DLQ)),
    });
    expect(tableOf(out, 'Queues').find((q) => q['ENV'] === 'prod')).toMatchObject({ LENGTH: '0', DLQ: '0' });

    // Firestore's entry for each environment, as the emulator holds it.
    const doc = (await suite.firestore.doc(`gaims/${gaimId}`).get()).data() as { sync_environments: Record<string, { sync_status: string; cluster: string; retry_count: number }> };
    expect(fieldOf(out, 'Firestore')).toBe(`gaims/${gaimId} (emulator ${stackEnv().FIRESTORE_EMULATOR_HOST})`);
    const entries = tableOf(out, 'Firestore');
    for (const env of ['stage', 'prod']) {
      const entry = doc.sync_environments[env];
      expect(entries.find((e) => e['ENV'] === env), env).toMatchObject({ 'SYNC STATUS': entry?.sync_status, CLUSTER: entry?.cluster, RETRIES: String(entry?.retry_count) });
    }
    expect(entries.find((e) => e['ENV'] === 'stage')?.['SYNC STATUS']).toBe('synced');

    // The newest events about the Gaim, as the API lists them.
    const { items } = await suite.client.list<KubeObject & { reason?: string }>(Resources.event, { namespace: ns, fieldSelector: `regarding.kind=Gaim,regarding.name=${NAME}` });
    expect(items.length).toBeGreaterThan(0);
    const shown = tableOf(out, 'Events');
    expect(shown.length).toBe(Math.min(5, items.length));
    for (const event of shown) expect(items.map((e) => e.reason)).toContain(event['REASON']);
    if (items.length <= 5) expect(shown.map((e) => e['REASON'])).toContain('Synced');

    for (const line of out.split('\n')) expect(line.length, line).toBeLessThanOrEqual(100);
  });

  it('shows the queue figures and the QueuesHealthy verdict as the status has them', async () => {
    // As the prober would write them (the operator is stopped): the figures of a poison task.
    const written20sAgo = Date.now();
    const sampledAt = new Date(written20sAgo - 20_000).toISOString().replace(/\.\d+Z$/, 'Z');
    const stage = { env: 'stage', length: 42, lag: 7, pending: 3, oldestPendingSeconds: 95, maxDeliveries: 6, consumers: 2, consumersIdle: 2, dlqLength: 4, sampledAt };
    await writeQueues([stage], { type: 'QueuesHealthy', status: 'False', reason: 'PoisonTasks', message: 'a task in gaim:tasks:stage was delivered 6 times' });

    const result = await run(['status', NAME, '--namespace', ns]);
    expect(result.code, result.stderr).toBe(0);
    const gaim = await suite.client.get<GaimObject & { status: { queues: typeof stage[] } }>(Resources.gaim, NAME, ns);
    const written = gaim.status.queues.find((q) => q.env === 'stage');
    // The age is the sample's, from sampledAt: 20 s, and no more than the time the command took on top
    // (on a busy machine, tens of seconds).
    const age = Number(/^QueuesHealthy False \(PoisonTasks\); figures as of (\d+)s ago$/.exec(fieldOf(result.stdout, 'Queues') ?? '')?.[1]);
    expect(age).toBeGreaterThanOrEqual(20);
    expect(age).toBeLessThanOrEqual(21 + Math.ceil((Date.now() - written20sAgo) / 1000));
    expect(tableOf(result.stdout, 'Queues')).toEqual([
      {
        ENV: 'stage', LENGTH: String(written?.length), LAG: String(written?.lag), PENDING: String(written?.pending), 'OLDEST PENDING': '95s',
        'MAX DELIVERIES': String(written?.maxDeliveries), CONSUMERS: String(written?.consumers), IDLE: String(written?.consumersIdle), DLQ: String(written?.dlqLength),
      },
      { ENV: 'prod', LENGTH: 'not sampled yet', LAG: '', PENDING: '', 'OLDEST PENDING': '', 'MAX DELIVERIES': '', CONSUMERS: '', IDLE: '', DLQ: '' },
    ]);
    expect(tableOf(result.stdout, 'Conditions').find((c) => c['TYPE'] === 'QueuesHealthy')).toMatchObject({ STATUS: 'False', REASON: 'PoisonTasks' });

    // A lag Redis cannot tell is absent from the status, and shown as unknown.
    await writeQueues([{ ...stage, lag: undefined }, { ...stage, env: 'prod', pending: 0, oldestPendingSeconds: 0 }]);
    const again = await run(['status', NAME, '-n', ns]);
    expect(tableOf(again.stdout, 'Queues').map((q) => [q['ENV'], q['LAG'], q['OLDEST PENDING']])).toEqual([['stage', 'unknown', '95s'], ['prod', '7', '-']]);
  });

  it('--watch shows the Gaim again when it changes, until Ctrl-C', async () => {
    const child = spawn(NODE, [PLUGIN, 'status', NAME, '-n', ns, '--watch'], { env: pluginEnv() });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    try {
      const renders = () => stdout.split('\n').filter((l) => l.startsWith('Name:')).length;
      await eventually('the first render', () => Promise.resolve(renders() >= 1 && stdout.includes('Events:') ? true : undefined), 30_000);
      await suite.client.mergePatch(Resources.gaim, NAME, ns, { metadata: { labels: { 'watched-by': 'kubectl-gaim' } } });
      await writeQueues([{ env: 'stage', length: 4242, lag: 0, pending: 0, oldestPendingSeconds: 0, maxDeliveries: 0, consumers: 1, consumersIdle: 0, dlqLength: 0, sampledAt: new Date().toISOString() }]);
      await eventually('a render with the new figures', () => Promise.resolve(stdout.split('Name:').at(-1)?.includes('4242') === true ? true : undefined), 30_000);
      expect(renders()).toBeGreaterThanOrEqual(2);
    } finally {
      child.kill('SIGINT');
    }
    expect(await exited).toBe(0);
  });

  it('retry sets the retry-now annotation to a new value and says so', async () => {
    const result = await run(['retry', NAME, '-n', ns]);
    expect(result.code, result.stderr).toBe(0);
    const value = /annotated gaim\.livingcontent\.io\/retry-now=(\S+)/.exec(result.stdout)?.[1];
    expect(value).toBeDefined();
    const gaim = await suite.client.get(Resources.gaim, NAME, ns);
    expect(gaim.metadata?.annotations?.[RETRY_NOW]).toBe(value);
    expect(Date.now() - Date.parse(value ?? '')).toBeLessThan(60_000);
    // A second retry is a new value: the operator acts on each value once.
    await new Promise((resolve) => setTimeout(resolve, 5));
    await run(['retry', NAME, '-n', ns]);
    expect((await suite.client.get(Resources.gaim, NAME, ns)).metadata?.annotations?.[RETRY_NOW]).not.toBe(value);
  });

  it('stops quietly, exit code 0, when its reader has gone (kubectl gaim status x | head)', async () => {
    // The reader exits at once; the plugin writes once it has read the Gaim: every write meets a closed pipe.
    const piped = await run(['-o', 'pipefail', '-c', `"${NODE}" "${PLUGIN}" status ${NAME} -n ${ns} | true`], pluginEnv(), 'bash', []);
    expect(piped.stderr).not.toContain('EPIPE');
    expect(piped.code, piped.stderr).toBe(0);
  });

  it('says what is wrong in one line: a missing Gaim exits 1, a wrong usage 2; an unreachable Firestore is a line, not a failure', async () => {
    for (const command of ['status', 'retry']) {
      const missing = await run([command, 'nobody', '-n', ns]);
      expect(missing.code).toBe(1);
      expect(missing.stderr.trim()).toBe(`kubectl gaim: Gaim ${ns}/nobody not found`);
    }
    const usage = await run(['status']);
    expect(usage.code).toBe(2);
    expect(usage.stderr.trim().split('\n')).toHaveLength(1);
    expect((await run(['status', '--help'])).stdout).toContain('Usage: kubectl gaim status NAME');

    const started = Date.now();
    const offline = await run(['status', NAME, '-n', ns], pluginEnv({ FIRESTORE_EMULATOR_HOST: '127.0.0.1:9' }));
    expect(offline.code, offline.stderr).toBe(0);
    expect(fieldOf(offline.stdout, 'Firestore')).toBe('not reachable (emulator 127.0.0.1:9): no answer within 3s');
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(fieldOf(offline.stdout, 'Sync')).toMatch(/^Synced/);
  });

  it('is found by kubectl as a plugin: kubectl gaim status', async () => {
    const dir = await mkdtemp(join(stackEnv().STACK_DIR, 'plugins-'));
    await chmod(PLUGIN, 0o755);
    await symlink(PLUGIN, join(dir, 'kubectl-gaim'));
    const env = pluginEnv({ PATH: `${dir}:${join(repoRoot, 'bin')}:/usr/bin:/bin` });
    const result = await run(['gaim', 'status', NAME, '-n', ns], env, join(repoRoot, 'bin', 'kubectl'), []);
    expect(result.code, result.stderr).toBe(0);
    expect(fieldOf(result.stdout, 'Name')).toBe(`${ns}/${NAME}`);
  });

  /**
   * Writes status.queues (and a QueuesHealthy condition) as the queue prober would, through the
   * status subresource with a field manager of the test's; the entries the operator wrote go first
   * (a merge patch: apply would keep the environments another manager owns).
   */
  async function writeQueues(queues: readonly Record<string, unknown>[], healthy = HEALTHY): Promise<void> {
    // Always with the condition: apply takes its fields from the operator, and a later apply without
    // them would leave the entry with its type alone, which the schema refuses.
    const status = {
      queues: queues.map((q) => Object.fromEntries(Object.entries(q).filter(([, v]) => v !== undefined))),
      conditions: [{ ...healthy, lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z') }],
    };
    await suite.client.mergePatch(Resources.gaim, NAME, ns, { status: { queues: null } }, undefined, 'status');
    await suite.client.apply(Resources.gaim, { apiVersion: 'gaim.livingcontent.io/v1alpha1', kind: 'Gaim', metadata: { name: NAME, namespace: ns }, status },
      { fieldManager: 'test-queues', subresource: 'status' });
    const stored = queuesOf(await suite.client.get<GaimObject>(Resources.gaim, NAME, ns));
    expect(stored?.map((q) => [q.env, q.length, q.lag])).toEqual(status.queues.map((q) => [q['env'], q['length'], q['lag']]));
  }
});
