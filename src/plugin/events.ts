// The events about a Gaim, as `kubectl gaim status` lists them. Pure: the listing is status-command's.
import type { KubeObject } from '../kube/objects.js';

/** One event (events.k8s.io/v1), as shown. */
export interface GaimEvent {
  readonly type: string;
  readonly reason: string;
  readonly note: string;
  /** How often it happened (an aggregated series counts its repeats). */
  readonly count: number;
  /** When it last happened (RFC 3339), if the event says. */
  readonly at: string | undefined;
}

interface RawEvent extends KubeObject {
  type?: unknown;
  reason?: unknown;
  note?: unknown;
  eventTime?: unknown;
  deprecatedLastTimestamp?: unknown;
  deprecatedCount?: unknown;
  series?: { count?: unknown; lastObservedTime?: unknown } | null;
}

const asText = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

/**
 * The `limit` newest events, newest first. An event's time is its series' last observation, else its
 * eventTime, else (events written through core/v1) its last timestamp, else its creation: the same
 * order `kubectl events` uses.
 */
export function newestEvents(items: readonly KubeObject[], limit = 5): GaimEvent[] {
  const events = items.map((raw): GaimEvent => {
    const event = raw as RawEvent;
    const series = typeof event.series === 'object' && event.series !== null ? event.series : undefined;
    const count = typeof series?.count === 'number' ? series.count : typeof event.deprecatedCount === 'number' ? event.deprecatedCount : 1;
    return {
      type: asText(event.type) ?? 'Normal',
      reason: asText(event.reason) ?? '?',
      note: (asText(event.note) ?? '').trim(),
      count,
      at: asText(series?.lastObservedTime) ?? asText(event.eventTime) ?? asText(event.deprecatedLastTimestamp) ?? event.metadata?.creationTimestamp,
    };
  });
  const time = (e: GaimEvent) => (e.at === undefined ? 0 : Date.parse(e.at) || 0);
  return events.sort((a, b) => time(b) - time(a)).slice(0, limit);
}
