import type { KubeClient } from '../../src/kube/client.js';
import type { KubeObject } from '../../src/kube/objects.js';
import { Resources } from '../../src/kube/resources.js';
import { metricValue, OperatorProcess } from './operator-process.js';
import { operatorEnvFor } from '../../stack/stack.js';
import { eventually, stackEnv, testStack } from './stack.js';

/**
 * The real operator (src/main.ts run), as it runs in a cluster: as the chart's ServiceAccount with
 * the chart's RBAC (its token and CA where a pod has them), in the chart's namespace, watching every
 * namespace (the chart's default) unless `namespaces` names some — as where two operators stand for
 * two clusters. It reaches each Gaim's stores through the stack's address map, as it would resolve
 * their Services. No leader election unless `env` asks for it.
 */
export function startOperator(namespaces = '', env: Record<string, string> = {}): Promise<OperatorProcess> {
  const stack = stackEnv();
  const account = testStack().operatorAccount;
  return OperatorProcess.start({
    script: 'src/main.ts',
    args: ['run'],
    env: {
      ...operatorEnvFor(stack),
      KUBECONFIG: '',
      KUBERNETES_SERVICE_HOST: account.host,
      KUBERNETES_SERVICE_PORT: account.port,
      GAIM_SERVICE_ACCOUNT_DIR: account.dir,
      POD_NAMESPACE: account.namespace,
      GAIM_WATCH_NAMESPACES: namespaces,
      GAIM_LEADER_ELECT: 'false',
      GAIM_BACKOFF_BASE_MS: '200',
      GAIM_BACKOFF_CAP_MS: '5000',
      // Its one debug line per reconcile is what reconcileCount(operator, key) counts.
      GAIM_LOG_LEVEL: 'debug',
      ...env,
    },
  });
}

const WRITE_VERBS = ['APPLY', 'CREATE', 'UPDATE', 'PATCH', 'DELETE'];

/** Writes the operator made to the API, from its own request metrics (leases and events excluded). */
export async function apiWrites(operator: OperatorProcess): Promise<number> {
  const text = await operator.metrics();
  let total = 0;
  for (const verb of WRITE_VERBS) {
    const all = metricValue(text, 'rest_client_requests_total', { verb }) ?? 0;
    const leases = metricValue(text, 'rest_client_requests_total', { verb, resource: 'leases' }) ?? 0;
    const events = metricValue(text, 'rest_client_requests_total', { verb, resource: 'events' }) ?? 0;
    total += all - leases - events;
  }
  return total;
}

/**
 * Reconciles the operator ran: of one Gaim (`namespace/name`, from its per-reconcile debug line: a
 * count no other namespace of the stack can move), or of every key of a controller (its metric).
 */
export async function reconcileCount(operator: OperatorProcess, key?: string, controller = 'gaim'): Promise<number> {
  if (key !== undefined) return Promise.resolve(reconcilesOf(operator, [key], controller));
  return metricValue(await operator.metrics(), 'controller_runtime_reconcile_total', { controller }) ?? 0;
}

/** Reconciles of the given keys, from the operator's per-reconcile debug lines. */
export function reconcilesOf(operator: OperatorProcess, keys: readonly string[], controller = 'gaim'): number {
  return operator.records.filter((r) => r['msg'] === 'reconciled' && r['controller'] === controller && keys.includes(String(r['key']))).length;
}

/**
 * Waits until the operator has settled: over one `quietMs` window, no API write (leases and events
 * aside) and no reconcile of the Gaims `keys` names (`namespace/name`). Its own last status write may
 * trigger one more reconcile just after a test saw Synced, and on a loaded machine a cache may still be
 * catching up, so one window that moves is not a loop; an operator that keeps writing, or keeps
 * requeueing a Gaim, never settles and times out. Reconciles are counted per Gaim: the operator
 * watches every namespace of a stack that earlier test files used, and their leftovers may still send
 * events (each a reconcile that finds nothing to do and writes nothing).
 */
export async function settlesQuietly(operator: OperatorProcess, keys: readonly string[], quietMs = 3000, timeoutMs = 90_000): Promise<number> {
  // Counted from its debug lines: none for a Gaim it has reconciled means it logs at another level.
  if (reconcilesOf(operator, keys) === 0) throw new Error(`no reconcile of ${keys.join(', ')} was logged: settlesQuietly needs the operator at GAIM_LOG_LEVEL=debug (startOperator's default), after the Gaims were reconciled`);
  try {
    return await eventually(`the operator to settle (no write and no reconcile of ${keys.join(', ')} for ${String(quietMs / 1000)}s)`, async () => {
      const [before, reconciles] = [await apiWrites(operator), reconcilesOf(operator, keys)];
      await new Promise((resolve) => setTimeout(resolve, quietMs));
      return (await apiWrites(operator)) === before && reconcilesOf(operator, keys) === reconciles ? before : undefined;
    }, timeoutMs);
  } catch (error: unknown) {
    // What it kept doing: its last log lines, without the fields every line has.
    const last = operator.records.slice(-15).map(({ at: _at, time: _time, pid: _pid, hostname: _host, level: _level, ...rest }) => JSON.stringify(rest));
    throw new Error(`${error instanceof Error ? error.message : String(error)}; the operator's last log lines:\n${last.join('\n')}`, { cause: error });
  }
}

export interface GaimObject extends KubeObject {
  spec: Record<string, unknown>;
  status?: {
    syncStatus?: string;
    errorType?: string;
    message?: string;
    observedGeneration?: number;
    conditions?: { type: string; status: string; reason: string; message: string }[];
    endpoints?: Record<string, string>;
    seeded?: Record<string, string>;
  };
}

export const condition = (gaim: GaimObject, type: string) => gaim.status?.conditions?.find((c) => c.type === type);

/** Waits until the Gaim's status satisfies `check`, and returns it. */
export async function waitForGaim(client: KubeClient, namespace: string, name: string, what: string, check: (g: GaimObject) => boolean, timeoutMs = 60_000): Promise<GaimObject> {
  let last: GaimObject | undefined;
  try {
    return await eventually(`Gaim ${namespace}/${name} ${what}`, async () => {
      last = await client.get<GaimObject>(Resources.gaim, name, namespace);
      return check(last) ? last : undefined;
    }, timeoutMs);
  } catch (error: unknown) {
    // Say where it got stuck: the last status seen.
    throw new Error(`${error instanceof Error ? error.message : String(error)}; last status: ${JSON.stringify(last?.status ?? null)}`, { cause: error });
  }
}

export const isSynced = (g: GaimObject) => g.status?.syncStatus === 'Synced' && condition(g, 'Ready')?.status === 'True'
  && g.status.observedGeneration === g.metadata?.generation;

/** Every store's workload and claim is ready (seeding aside). */
export const storesReady = (g: GaimObject) => ['MongoDBReady', 'RedisReady', 'StorageReady'].every((t) => condition(g, t)?.status === 'True');

/**
 * Every version of a Gaim the API server stores from now on, seen on a watch (not by polling, which
 * can miss a version that lives for less than a poll interval). Stop it when done.
 */
export function recordGaim(client: KubeClient, namespace: string, name: string): { readonly versions: GaimObject[]; stop(): void } {
  const versions: GaimObject[] = [];
  const stop = new AbortController();
  void (async () => {
    const { items, resourceVersion } = await client.list<GaimObject>(Resources.gaim, { namespace, fieldSelector: `metadata.name=${name}`, signal: stop.signal });
    versions.push(...items);
    let from = resourceVersion;
    while (!stop.signal.aborted) {
      from = await client.watch<GaimObject>(Resources.gaim, {
        namespace, resourceVersion: from, signal: stop.signal, inactivityMs: 300_000, timeoutSeconds: 300,
        onEvent: (event) => { if (event.object.metadata?.name === name && event.type !== 'BOOKMARK') versions.push(event.object); },
      });
    }
  })().catch(() => undefined);
  return { versions, stop: () => { stop.abort(); } };
}
