import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { KubeClient } from './client.js';
import type { KubeObject } from './objects.js';
import { Resources } from './resources.js';
import { microTime } from './time.js';

export type EventType = 'Normal' | 'Warning';

export interface EventRecorder {
  /** Records an event on the object. Never throws and never blocks a reconcile on the API. */
  record(regarding: KubeObject, type: EventType, reason: string, action: string, note: string): void;
}

interface Series {
  name: string;
  namespace: string;
  count: number;
  firstAt: number;
  lastWrittenAt: number;
  pending: boolean;
}

const SERIES_WINDOW_MS = 10 * 60_000;
/** At most one write per series in this period; repeats in between only raise the count. */
const SERIES_WRITE_INTERVAL_MS = 30_000;
const MAX_SERIES = 4096;

/**
 * Writes events.k8s.io/v1 Events, aggregated the way client-go's recorder does: the same
 * (object, type, reason, note) within ten minutes becomes one Event whose series count rises, and
 * that Event is written at most every 30 s, so a Gaim failing in a loop does not flood the API.
 */
export class KubeEventRecorder implements EventRecorder {
  readonly #series = new Map<string, Series>();

  constructor(
    private readonly client: KubeClient,
    private readonly controller: string,
    private readonly instance: string,
    private readonly log: Logger,
    private readonly seriesWriteIntervalMs = SERIES_WRITE_INTERVAL_MS,
    /** Where events about cluster-scoped objects go (an Event is namespaced; `kubectl describe` finds them in any). */
    private readonly clusterScopedNamespace = 'default',
  ) {}

  record(regarding: KubeObject, type: EventType, reason: string, action: string, note: string): void {
    const meta = regarding.metadata ?? {};
    if (meta.name === undefined) return;
    const namespace = meta.namespace ?? this.clusterScopedNamespace;
    const key = `${meta.uid ?? meta.name}|${type}|${reason}|${note}`;
    const now = Date.now();
    const series = this.#series.get(key);
    if (series !== undefined && now - series.firstAt < SERIES_WINDOW_MS) {
      series.count += 1;
      if (!series.pending && now - series.lastWrittenAt >= this.seriesWriteIntervalMs) void this.#writeSeries(series);
      return;
    }
    if (this.#series.size >= MAX_SERIES) {
      const oldest = this.#series.keys().next().value;
      if (oldest !== undefined) this.#series.delete(oldest);
    }
    const created: Series = { name: `${meta.name}.${randomBytes(8).toString('hex')}`, namespace, count: 1, firstAt: now, lastWrittenAt: now, pending: true };
    this.#series.delete(key);
    this.#series.set(key, created);
    const event = {
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      metadata: { name: created.name, namespace },
      eventTime: microTime(new Date(now)),
      reportingController: this.controller,
      reportingInstance: this.instance,
      action,
      reason,
      type,
      note: note.slice(0, 1024),
      regarding: { apiVersion: regarding.apiVersion, kind: regarding.kind, name: meta.name, namespace: meta.namespace, uid: meta.uid, resourceVersion: meta.resourceVersion },
    };
    this.client.create(Resources.event, event, AbortSignal.timeout(10_000)).then(
      () => { created.pending = false; },
      (error: unknown) => {
        created.pending = false;
        this.log.warn({ err: error, reason }, 'cannot record event');
      },
    );
  }

  async #writeSeries(series: Series): Promise<void> {
    series.pending = true;
    const now = Date.now();
    try {
      await this.client.mergePatch(Resources.event, series.name, series.namespace,
        { series: { count: series.count, lastObservedTime: microTime(new Date(now)) } }, AbortSignal.timeout(10_000));
      series.lastWrittenAt = now;
    } catch (error: unknown) {
      this.log.warn({ err: error }, 'cannot update event series');
    } finally {
      series.pending = false;
    }
  }
}
