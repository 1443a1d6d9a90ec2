// What the benchmark watches from the outside: objects through their own watch (the time an event
// arrives here is the time the change became visible), the API server's request counters, the
// Firestore documents' update times, and an operator process's memory from /proc.
import { readFile, readlink } from 'node:fs/promises';
import type { Firestore } from '@google-cloud/firestore';
import type { Environment } from '../../src/api/v1alpha1/gaim.js';
import { pino } from 'pino';
import { Informer, type InformerEvent } from '../../src/controller/informer.js';
import type { KubeClient } from '../../src/kube/client.js';
import type { KubeObject } from '../../src/kube/objects.js';
import { Resources, type Resource } from '../../src/kube/resources.js';
import { firestorePaths } from '../../src/datamodel.js';

export type Listener<T> = (event: InformerEvent, object: T, at: number) => void;

/** A cluster-wide watch that keeps the latest objects and tells listeners when each change arrived. */
export class Watch<T extends KubeObject> {
  readonly #listeners = new Set<Listener<T>>();
  readonly #informer: Informer<T>;
  readonly #stop = new AbortController();
  #run: Promise<void> | undefined;

  constructor(client: KubeClient, resource: Resource, labelSelector?: string) {
    this.#informer = new Informer<T>({
      client,
      resource,
      ...(labelSelector === undefined ? {} : { labelSelector }),
      inactivityMs: 600_000,
      watchTimeoutSeconds: 600,
      retry: { baseMs: 200, capMs: 2000, jitter: 0.2 },
      log: pino({ level: 'silent' }),
      onEvent: (event, object) => {
        const at = performance.now();
        for (const listener of this.#listeners) listener(event, object, at);
      },
    });
  }

  async start(): Promise<void> {
    this.#run = this.#informer.run(this.#stop.signal);
    await this.#informer.waitForSync(this.#stop.signal);
  }

  list(): T[] {
    return this.#informer.list();
  }

  listen(listener: Listener<T>): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Resolves with the first object (already cached or arriving later) for which `check` holds. */
  until(check: (object: T) => boolean): Promise<T> {
    const found = this.list().find(check);
    if (found !== undefined) return Promise.resolve(found);
    return new Promise((resolve) => {
      const stop = this.listen((event, object) => {
        if (event !== 'delete' && check(object)) {
          stop();
          resolve(object);
        }
      });
    });
  }

  async stop(): Promise<void> {
    this.#stop.abort();
    await this.#run;
  }
}

/** Write verbs as the API server counts them. */
const WRITE_VERBS = new Set(['POST', 'PUT', 'PATCH', 'DELETE', 'APPLY', 'CREATE', 'UPDATE', 'DELETECOLLECTION']);
/** What the operator writes: anything else (node heartbeats, leases of the control plane) is not its doing. */
const OPERATOR_RESOURCES = new Set(['gaims', 'secrets', 'services', 'configmaps', 'statefulsets', 'jobs',
  'persistentvolumeclaims', 'persistentvolumes', 'networkpolicies', 'events']);

/** Writes the API server has served to the resources an operator touches, from its own /metrics. */
export async function apiServerWrites(client: KubeClient): Promise<{ total: number; byResource: Record<string, number> }> {
  const text = await client.request<string>('GET', 'metrics', 'GET', '/metrics');
  const byResource: Record<string, number> = {};
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith('apiserver_request_total{')) continue;
    const labels: Record<string, string> = {};
    for (const match of line.matchAll(/(\w+)="([^"]*)"/g)) labels[match[1] ?? ''] = match[2] ?? '';
    if (!WRITE_VERBS.has(labels['verb'] ?? '') || !OPERATOR_RESOURCES.has(labels['resource'] ?? '')) continue;
    if ((labels['subresource'] ?? '') !== '' && labels['subresource'] !== 'status') continue;
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    const key = `${labels['resource'] ?? ''}${labels['subresource'] === 'status' ? '/status' : ''}`;
    byResource[key] = (byResource[key] ?? 0) + value;
    total += value;
  }
  return { total, byResource };
}

interface EventObject extends KubeObject {
  reportingController?: string;
  deprecatedSource?: { component?: string };
  eventTime?: string | null;
  deprecatedLastTimestamp?: string | null;
  series?: { lastObservedTime?: string };
}

/**
 * Events created or updated since `since`, by who reported them, read back from the API server: the
 * request counters cannot tell the operator's events from the control plane's.
 */
export async function eventWritersSince(client: KubeClient, since: Date): Promise<Record<string, number>> {
  const { items } = await client.list<EventObject>(Resources.event);
  const out: Record<string, number> = {};
  for (const event of items) {
    const times = [event.eventTime, event.deprecatedLastTimestamp, event.series?.lastObservedTime, event.metadata?.creationTimestamp]
      .filter((t): t is string => typeof t === 'string' && t !== '').map((t) => Date.parse(t));
    if (Math.max(...times) < since.getTime()) continue;
    // Events written through the core API have no reportingController, only a source component.
    const who = [event.reportingController, event.deprecatedSource?.component].find((w) => w !== undefined && w !== '') ?? 'unknown';
    out[who] = (out[who] ?? 0) + 1;
  }
  return out;
}

export function diffCounts(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, value] of Object.entries(after)) {
    const delta = value - (before[key] ?? 0);
    if (delta !== 0) out[key] = delta;
  }
  return out;
}

/** Every document under the Gaims' Firestore paths with its update time: what the store says was written. */
export async function firestoreUpdateTimes(firestore: Firestore, gaimIds: readonly string[], environments: readonly Environment[]): Promise<Map<string, string>> {
  const times = new Map<string, string>();
  const paths = gaimIds.flatMap((id) => [`gaims/${id}`, ...environments.map((env) => firestorePaths.config(id, env))]);
  for (let i = 0; i < paths.length; i += 200) {
    const snapshots = await firestore.getAll(...paths.slice(i, i + 200).map((path) => firestore.doc(path)));
    for (const snapshot of snapshots) if (snapshot.exists) times.set(snapshot.ref.path, snapshot.updateTime?.toDate().toISOString() ?? '');
  }
  return times;
}

export async function processMemory(pid: number): Promise<{ rssBytes: number }> {
  const status = await readFile(`/proc/${String(pid)}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1] ?? NaN);
  return { rssBytes: kb * 1024 };
}

/**
 * How much of the process's RSS is its own executable's pages (node's code and the ICU data built
 * into it): file-backed, so the kernel may drop them under pressure, but counted in RSS all the same.
 */
export async function binaryResidentBytes(pid: number): Promise<number> {
  const exe = await readlink(`/proc/${String(pid)}/exe`);
  let inBinary = false;
  let kb = 0;
  for (const line of (await readFile(`/proc/${String(pid)}/smaps`, 'utf8')).split('\n')) {
    const mapping = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (mapping !== null) inBinary = mapping[1] === exe;
    else if (inBinary && line.startsWith('Rss:')) kb += Number(/(\d+)/.exec(line)?.[1] ?? 0);
  }
  return kb * 1024;
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] ?? NaN;
}

/** Runs `work` over `items` with at most `limit` at once. */
export async function pool<T>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const runners = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      await work(items[index] as T, index);
    }
  });
  await Promise.all(runners);
}
