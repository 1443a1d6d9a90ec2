// A thin JSON client for the Kubernetes API: one pooled HTTP/1.1 connection set, server-side
// apply, paged lists and streaming watches. Objects stay plain JSON as the API server sends them.
//
// Why not @kubernetes/client-node's generated APIs: they build a new connection pool for every
// request and re-map objects through model classes (timestamps become Dates, `x-kubernetes-*`
// keys are dropped). Where credentials come from is access.ts's business.
import type { KubeConfig } from '@kubernetes/client-node';
import { Agent, fetch, type Dispatcher } from 'undici';
import { kubeConfigAccess, type ClusterAccess } from './access.js';
import { abortedByDeadline } from '../errors.js';
import { KubeApiError, statusMessage } from './errors.js';
import type { KubeObject } from './objects.js';
import { apiVersionOf, resourcePath, type Resource } from './resources.js';

export type Verb = 'GET' | 'LIST' | 'WATCH' | 'CREATE' | 'UPDATE' | 'APPLY' | 'PATCH' | 'DELETE';

/** Called once per API request; the metrics and the tests' write counters hang off it. */
export type RequestObserver = (verb: Verb, resource: string, status: number, seconds: number) => void;

export interface ClientOptions {
  readonly userAgent: string;
  readonly requestTimeoutMs?: number;
  readonly onRequest?: RequestObserver;
}

export interface RequestOptions {
  readonly query?: Record<string, string | number | boolean | undefined>;
  readonly body?: unknown;
  readonly contentType?: string;
  readonly signal?: AbortSignal;
}

export interface ListOptions<T extends KubeObject = KubeObject> {
  readonly namespace?: string;
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
  readonly pageSize?: number;
  readonly signal?: AbortSignal;
  /**
   * What to keep of each item, applied page by page: a cache that slims its objects holds one raw
   * page at a time instead of every raw page of the kind (at 1,000 Gaims, the cold start's peak).
   */
  readonly transform?: (item: T) => T;
}

export interface WatchEvent<T> {
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK';
  readonly object: T;
}

export interface WatchOptions<T> {
  readonly namespace?: string;
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
  readonly resourceVersion: string;
  readonly signal: AbortSignal;
  /** The watch is treated as dead when nothing (not even a bookmark) arrives for this long. */
  readonly inactivityMs: number;
  /** The API server ends the watch after this long; the caller resumes from the last version. */
  readonly timeoutSeconds: number;
  readonly onEvent: (event: WatchEvent<T>) => void;
}

export interface ApplyOptions {
  readonly fieldManager: string;
  readonly force?: boolean;
  readonly subresource?: 'status';
  readonly signal?: AbortSignal;
}

export interface DeleteOptions {
  readonly propagationPolicy?: 'Foreground' | 'Background' | 'Orphan';
  readonly gracePeriodSeconds?: number;
  /** Delete only this object (uid) or this version of it (resourceVersion): a 409 otherwise. */
  readonly preconditions?: { readonly uid?: string; readonly resourceVersion?: string };
  readonly signal?: AbortSignal;
}

const AUTH_CACHE_MS = 10_000;

export class KubeClient {
  readonly #server: string;
  readonly #dispatcher: Dispatcher;
  #auth: { headers: Record<string, string>; until: number } | undefined;

  private constructor(
    private readonly access: ClusterAccess,
    private readonly options: ClientOptions,
  ) {
    this.#server = access.server;
    this.#dispatcher = new Agent({ connect: { ...access.tls }, connections: 32, keepAliveTimeout: 30_000 });
  }

  /** A client for the API server `access` reaches (a KubeConfig is read for its current context). */
  static async create(access: ClusterAccess | KubeConfig, options: ClientOptions): Promise<KubeClient> {
    return new KubeClient('authorization' in access ? access : await kubeConfigAccess(access), options);
  }

  async close(): Promise<void> {
    await this.#dispatcher.close();
  }

  /** Authentication headers (bearer token, exec plugin, …), re-read every few seconds so rotated tokens are picked up. */
  async #authHeaders(): Promise<Record<string, string>> {
    if (this.#auth !== undefined && this.#auth.until > Date.now()) return this.#auth.headers;
    const authorization = await this.access.authorization();
    const headers: Record<string, string> = authorization === undefined ? {} : { authorization };
    this.#auth = { headers, until: Date.now() + AUTH_CACHE_MS };
    return headers;
  }

  async #fetch(verb: Verb, resource: string, method: string, path: string, options: RequestOptions, timeoutMs?: number) {
    const url = new URL(this.#server + path);
    for (const [key, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    const deadline = timeoutMs === undefined ? undefined : AbortSignal.timeout(timeoutMs);
    const signals = [options.signal, deadline].filter((s): s is AbortSignal => s !== undefined);
    const started = performance.now();
    let status = 0;
    try {
      const response = await fetch(url, {
        method,
        dispatcher: this.#dispatcher,
        headers: {
          ...(await this.#authHeaders()),
          accept: 'application/json',
          'user-agent': this.options.userAgent,
          ...(options.body === undefined ? {} : { 'content-type': options.contentType ?? 'application/json' }),
        },
        ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
        ...(signals.length === 0 ? {} : { signal: AbortSignal.any(signals) }),
      });
      status = response.status;
      return response;
    } catch (error: unknown) {
      // The request's own deadline, or the caller's (a reconcile that ran out of time), is a timeout.
      const timedOut = [deadline, options.signal].some((s) => s !== undefined && abortedByDeadline(s));
      throw new KubeApiError(0, timedOut ? 'Timeout' : 'Unreachable', `cannot reach the API server (${method} ${url.pathname}): ${errorText(error)}`, undefined, { cause: error, timedOut });
    } finally {
      this.options.onRequest?.(verb, resource, status, (performance.now() - started) / 1000);
    }
  }

  async request<T>(verb: Verb, resource: string, method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const response = await this.#fetch(verb, resource, method, path, options, this.options.requestTimeoutMs ?? 30_000);
    const text = await response.text();
    const body: unknown = text === '' ? undefined : safeJson(text);
    if (!response.ok) {
      const { message, reason } = statusMessage(body, `${response.status} ${response.statusText}`);
      const retryAfter = Number(response.headers.get('retry-after') ?? NaN);
      throw new KubeApiError(response.status, reason, message, Number.isFinite(retryAfter) ? retryAfter : undefined);
    }
    return body as T;
  }

  get<T extends KubeObject>(resource: Resource, name: string, namespace?: string, signal?: AbortSignal): Promise<T> {
    return this.request<T>('GET', resource.plural, 'GET', resourcePath(resource, namespace, name), withSignal(signal));
  }

  /** Every object of a kind, page by page, with the list's resourceVersion to watch from. */
  async list<T extends KubeObject>(resource: Resource, options: ListOptions<T> = {}): Promise<{ items: T[]; resourceVersion: string }> {
    const items: T[] = [];
    let continueToken: string | undefined;
    let resourceVersion: string;
    do {
      const page = await this.request<{ items: T[]; metadata: { resourceVersion: string; continue?: string } }>(
        'LIST', resource.plural, 'GET', resourcePath(resource, options.namespace), {
          query: {
            labelSelector: options.labelSelector,
            fieldSelector: options.fieldSelector,
            limit: options.pageSize ?? 500,
            continue: continueToken,
          },
          ...withSignal(options.signal),
        });
      // A list response's items carry no kind; fill it in so objects look the same as from a watch.
      for (const item of page.items) {
        const whole: T = { apiVersion: apiVersionOf(resource), kind: resource.kind, ...item };
        items.push(options.transform === undefined ? whole : options.transform(whole));
      }
      resourceVersion = page.metadata.resourceVersion;
      continueToken = page.metadata.continue === '' ? undefined : page.metadata.continue;
    } while (continueToken !== undefined);
    return { items, resourceVersion };
  }

  /**
   * Streams watch events until the server ends the watch (resolves with the last resourceVersion
   * seen), the signal aborts, nothing arrives within `inactivityMs` (rejects), or the server reports
   * an error such as 410 Gone (rejects with a KubeApiError).
   */
  async watch<T extends KubeObject>(resource: Resource, options: WatchOptions<T>): Promise<string> {
    const inactivity = new AbortController();
    let timer = setTimeout(() => inactivity.abort(), options.inactivityMs);
    const resetTimer = () => {
      clearTimeout(timer);
      timer = setTimeout(() => inactivity.abort(), options.inactivityMs);
    };
    let lastVersion = options.resourceVersion;
    try {
      const response = await this.#fetch('WATCH', resource.plural, 'GET', resourcePath(resource, options.namespace), {
        query: {
          watch: true,
          allowWatchBookmarks: true,
          resourceVersion: options.resourceVersion,
          labelSelector: options.labelSelector,
          fieldSelector: options.fieldSelector,
          timeoutSeconds: options.timeoutSeconds,
        },
        signal: AbortSignal.any([options.signal, inactivity.signal]),
      });
      if (!response.ok || response.body === null) {
        const text = await response.text();
        const { message, reason } = statusMessage(safeJson(text), `${response.status} ${response.statusText}`);
        throw new KubeApiError(response.status, reason, message);
      }
      const decoder = new TextDecoder();
      let buffered = '';
      for await (const chunk of response.body) {
        resetTimer();
        buffered += decoder.decode(chunk as Uint8Array, { stream: true });
        let newline: number;
        while ((newline = buffered.indexOf('\n')) >= 0) {
          const line = buffered.slice(0, newline);
          buffered = buffered.slice(newline + 1);
          if (line.trim() === '') continue;
          const event = JSON.parse(line) as { type: string; object: KubeObject & { code?: number; reason?: string; message?: string } };
          if (event.type === 'ERROR') {
            const { message, reason } = statusMessage(event.object, 'watch error');
            throw new KubeApiError(event.object.code ?? 500, reason, message);
          }
          lastVersion = event.object.metadata?.resourceVersion ?? lastVersion;
          options.onEvent({ type: event.type as WatchEvent<T>['type'], object: event.object as T });
        }
      }
      return lastVersion;
    } catch (error: unknown) {
      if (inactivity.signal.aborted && !options.signal.aborted) {
        throw new KubeApiError(0, 'WatchInactive', `watch on ${resource.plural} was silent for ${options.inactivityMs / 1000}s`);
      }
      if (options.signal.aborted) return lastVersion;
      throw error instanceof KubeApiError ? error : new KubeApiError(0, 'WatchFailed', `watch on ${resource.plural} failed: ${errorText(error)}`, undefined, { cause: error });
    } finally {
      clearTimeout(timer);
    }
  }

  /** Server-side apply: the object is the whole of what this field manager wants. */
  apply<T extends KubeObject>(resource: Resource, object: KubeObject, options: ApplyOptions): Promise<T> {
    const { name, namespace } = object.metadata ?? {};
    if (name === undefined) throw new Error(`cannot apply a ${resource.kind} without a name`);
    return this.request<T>('APPLY', options.subresource === undefined ? resource.plural : `${resource.plural}/${options.subresource}`, 'PATCH', resourcePath(resource, namespace, name, options.subresource), {
      query: { fieldManager: options.fieldManager, force: options.force ?? true },
      body: object,
      contentType: 'application/apply-patch+yaml',
      ...withSignal(options.signal),
    });
  }

  create<T extends KubeObject>(resource: Resource, object: KubeObject, signal?: AbortSignal): Promise<T> {
    return this.request<T>('CREATE', resource.plural, 'POST', resourcePath(resource, object.metadata?.namespace), {
      body: object,
      ...withSignal(signal),
    });
  }

  /** A JSON merge patch; used where apply cannot express the change (removing another manager's field). */
  mergePatch<T extends KubeObject>(resource: Resource, name: string, namespace: string | undefined, patch: unknown, signal?: AbortSignal, subresource?: 'status'): Promise<T> {
    return this.request<T>('PATCH', subresource === undefined ? resource.plural : `${resource.plural}/${subresource}`, 'PATCH', resourcePath(resource, namespace, name, subresource), {
      body: patch,
      contentType: 'application/merge-patch+json',
      ...withSignal(signal),
    });
  }

  async delete(resource: Resource, name: string, namespace?: string, options: DeleteOptions = {}): Promise<void> {
    await this.request('DELETE', resource.plural, 'DELETE', resourcePath(resource, namespace, name), {
      body: {
        kind: 'DeleteOptions', apiVersion: 'v1',
        ...(options.propagationPolicy === undefined ? {} : { propagationPolicy: options.propagationPolicy }),
        ...(options.gracePeriodSeconds === undefined ? {} : { gracePeriodSeconds: options.gracePeriodSeconds }),
        ...(options.preconditions === undefined ? {} : { preconditions: options.preconditions }),
      },
      ...withSignal(options.signal),
    });
  }
}

function withSignal(signal: AbortSignal | undefined): { signal?: AbortSignal } {
  return signal === undefined ? {} : { signal };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function errorText(error: unknown): string {
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
    return `${error.message}${cause}`;
  }
  return String(error);
}
