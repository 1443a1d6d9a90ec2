import { setTimeout as sleep } from 'node:timers/promises';
import type { KubeClient, WatchEvent } from '../kube/client.js';
import { isGone } from '../kube/errors.js';
import { objectKey, type KubeObject } from '../kube/objects.js';
import type { Resource } from '../kube/resources.js';
import type { Logger } from '../observability/logger.js';
import { backoffDelay, type BackoffPolicy } from './backoff.js';
import { cacheStrings } from './intern.js';
import { isAborted } from './signals.js';

export type InformerEvent = 'add' | 'update' | 'delete';

export interface InformerOptions<T extends KubeObject> {
  readonly client: KubeClient;
  readonly resource: Resource;
  /** Undefined: all namespaces. */
  readonly namespace?: string;
  readonly labelSelector?: string;
  /** Restart the watch when nothing, not even a bookmark, arrives for this long. */
  readonly inactivityMs: number;
  /** The API server ends each watch after this long; the informer resumes where it was. */
  readonly watchTimeoutSeconds: number;
  readonly retry: BackoffPolicy;
  readonly log: Logger;
  /** `old` is the cached object an update replaced. */
  readonly onEvent: (event: InformerEvent, object: T, old?: T) => void;
  readonly onRelist?: () => void;
  /** What of each object the cache keeps (after managedFields are dropped); everything by default. */
  readonly transform?: (object: T) => T;
}

/**
 * A list+watch cache of one kind (client-go's reflector and store): lists, then watches from the
 * list's resourceVersion with bookmarks, resuming after each server-side timeout. A 410 Gone
 * (expired resourceVersion, as after etcd compaction) leads to a relist whose differences from the
 * cache are emitted as events — changed objects as updates, vanished ones as deletes, unchanged ones
 * not at all — so no change is lost and no unchanged object is replayed. A silent watch is detected
 * by an inactivity timeout and restarted.
 */
export class Informer<T extends KubeObject> {
  readonly #store = new Map<string, T>();
  #synced = false;
  readonly #syncWaiters: (() => void)[] = [];

  constructor(private readonly options: InformerOptions<T>) {}

  get synced(): boolean {
    return this.#synced;
  }

  get(key: string): T | undefined {
    return this.#store.get(key);
  }

  list(): T[] {
    return [...this.#store.values()];
  }

  get size(): number {
    return this.#store.size;
  }

  waitForSync(signal: AbortSignal): Promise<void> {
    if (this.#synced) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.#syncWaiters.push(resolve);
      signal.addEventListener('abort', () => { reject(signal.reason as Error); }, { once: true });
    });
  }

  /** Runs until the signal aborts. Never throws: failures are logged and retried with backoff. */
  async run(signal: AbortSignal): Promise<void> {
    const { resource, log } = this.options;
    let failures = 0;
    while (!signal.aborted) {
      try {
        let resourceVersion = await this.#relist(signal);
        failures = 0;
        // Watch until the resourceVersion expires; other watch failures resume from where we were.
        for (;;) {
          try {
            resourceVersion = await this.options.client.watch<T>(resource, {
              ...(this.options.namespace === undefined ? {} : { namespace: this.options.namespace }),
              ...(this.options.labelSelector === undefined ? {} : { labelSelector: this.options.labelSelector }),
              resourceVersion,
              signal,
              inactivityMs: this.options.inactivityMs,
              timeoutSeconds: this.options.watchTimeoutSeconds,
              onEvent: (event) => { this.#apply(event); },
            });
            failures = 0;
          } catch (error: unknown) {
            if (isGone(error)) throw error;
            failures += 1;
            log.warn({ err: error, resource: resource.plural }, 'watch failed; resuming');
            await sleep(backoffDelay(this.options.retry, failures), undefined, { signal });
          }
          if (isAborted(signal)) return;
        }
      } catch (error: unknown) {
        if (isAborted(signal)) return;
        if (isGone(error)) {
          log.info({ resource: resource.plural }, 'resourceVersion expired; relisting');
          continue;
        }
        failures += 1;
        log.warn({ err: error, resource: resource.plural }, 'list failed; retrying');
        await sleep(backoffDelay(this.options.retry, failures), undefined, { signal }).catch(() => undefined);
      }
    }
  }

  async #relist(signal: AbortSignal): Promise<string> {
    const { items, resourceVersion } = await this.options.client.list<T>(this.options.resource, {
      ...(this.options.namespace === undefined ? {} : { namespace: this.options.namespace }),
      ...(this.options.labelSelector === undefined ? {} : { labelSelector: this.options.labelSelector }),
      transform: (item) => this.#keep(item),
      signal,
    });
    if (this.#synced) this.options.onRelist?.();
    const seen = new Set<string>();
    for (const object of items) {
      const key = objectKey(object);
      seen.add(key);
      const cached = this.#store.get(key);
      this.#store.set(key, object);
      if (cached === undefined) this.options.onEvent('add', object);
      else if (cached.metadata?.resourceVersion !== object.metadata?.resourceVersion) this.options.onEvent('update', object, cached);
    }
    for (const [key, cached] of this.#store) {
      if (seen.has(key)) continue;
      this.#store.delete(key);
      this.options.onEvent('delete', cached);
    }
    if (!this.#synced) {
      this.#synced = true;
      for (const waiter of this.#syncWaiters.splice(0)) waiter();
    }
    return resourceVersion;
  }

  /** What the cache keeps of an object: slimmed, transformed, then its strings interned (of what is kept only). */
  #keep(object: T): T {
    const slimmed = slim(object);
    return cacheStrings.internAll(this.options.transform === undefined ? slimmed : this.options.transform(slimmed));
  }

  #apply(event: WatchEvent<T>): void {
    if (event.type === 'BOOKMARK') return;
    const object = this.#keep(event.object);
    const key = objectKey(object);
    if (event.type === 'DELETED') {
      this.#store.delete(key);
      this.options.onEvent('delete', object);
      return;
    }
    const cached = this.#store.get(key);
    if (cached?.metadata?.resourceVersion === object.metadata?.resourceVersion) return;
    this.#store.set(key, object);
    if (cached === undefined) this.options.onEvent('add', object);
    else this.options.onEvent('update', object, cached);
  }
}

/** kubectl's copy of the whole object it applied: often the largest annotation; nothing reads it. */
const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/**
 * Drops managedFields and kubectl's last-applied copy before caching, as controller-runtime's cache
 * transforms do: the operator never reads them, and together they are most of an object's size.
 */
function slim<T extends KubeObject>(object: T): T {
  const metadata = object.metadata;
  if (metadata === undefined || (metadata.managedFields === undefined && metadata.annotations?.[LAST_APPLIED] === undefined)) return object;
  const { managedFields: _dropped, ...rest } = metadata;
  if (rest.annotations?.[LAST_APPLIED] === undefined) return { ...object, metadata: rest };
  const { [LAST_APPLIED]: _copy, ...annotations } = rest.annotations;
  return { ...object, metadata: { ...rest, annotations } };
}
