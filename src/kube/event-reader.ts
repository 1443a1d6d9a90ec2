import type { KubeClient } from './client.js';
import type { KubeObject } from './objects.js';
import { Resources } from './resources.js';

interface Event extends KubeObject {
  type?: string;
  reason?: string;
  note?: string;
  eventTime?: string | null;
  deprecatedLastTimestamp?: string | null;
  series?: { lastObservedTime?: string };
}

export interface EventSummary {
  readonly type: string;
  readonly reason: string;
  readonly note: string;
}

const when = (e: Event) => e.series?.lastObservedTime ?? e.eventTime ?? e.deprecatedLastTimestamp ?? e.metadata?.creationTimestamp ?? '';

/**
 * The newest event about an object (events.k8s.io/v1, which also serves events written through
 * core/v1, as provisioners and the Job controller write them), optionally of given reasons only; the
 * newest Warning when there is one, since that is what says what is wrong (a provisioner's
 * ProvisioningFailed, not the PV controller's periodic "waiting for the external provisioner").
 * What a user would find in `kubectl describe`, for a condition message.
 */
export async function latestEvent(client: KubeClient, regarding: { kind: string; name: string; namespace: string }, signal: AbortSignal, reasons?: readonly string[]): Promise<EventSummary | undefined> {
  const { items } = await client.list<Event>(Resources.event, {
    namespace: regarding.namespace,
    fieldSelector: `regarding.kind=${regarding.kind},regarding.name=${regarding.name}`,
    signal,
  });
  const relevant = items
    .filter((e) => reasons === undefined || reasons.includes(e.reason ?? ''))
    .sort((a, b) => (Date.parse(when(a)) || 0) - (Date.parse(when(b)) || 0));
  const newest = relevant.filter((e) => e.type === 'Warning').at(-1) ?? relevant.at(-1);
  return newest === undefined ? undefined : { type: newest.type ?? 'Normal', reason: newest.reason ?? '', note: (newest.note ?? '').trim() };
}
