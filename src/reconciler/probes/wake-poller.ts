// Polls Firestore for wake requests of Gaims hibernated by mode Auto, on the leader: every
// GAIM_WAKE_POLL_SECONDS, one query (firestore/wake-requests.ts) for requests later than the oldest
// such Gaim's sleep, and only while one sleeps. A request later than its Gaim's sleep asks for that
// Gaim's reconcile, which decides (hibernation.ts); the latest request of each Gaim is kept for it.
import { parseGaim } from '../../api/v1alpha1/validate.js';
import type { Caches } from '../../controller/caches.js';
import { errorMessage } from '../../errors.js';
import type { PlatformFirestore } from '../../firestore/client.js';
import { objectKey, type KubeObject } from '../../kube/objects.js';
import { Resources } from '../../kube/resources.js';
import type { Logger } from '../../observability/logger.js';

/** The latest wake request seen for each gaimId: written by the poller, read by the Gaim reconcile. */
export class WakeRequests {
  readonly #latest = new Map<string, Date>();

  get(gaimId: string): Date | undefined {
    return this.#latest.get(gaimId);
  }

  /** Records `requests`; the gaimIds whose request is new. */
  record(requests: ReadonlyMap<string, Date>): string[] {
    const fresh: string[] = [];
    for (const [gaimId, at] of requests) {
      if (this.#latest.get(gaimId)?.getTime() === at.getTime()) continue;
      this.#latest.set(gaimId, at);
      fresh.push(gaimId);
    }
    return fresh;
  }

  /** Keeps only the gaimIds still asleep: the map stays as small as the set of sleeping Gaims. */
  retain(gaimIds: ReadonlySet<string>): void {
    for (const id of this.#latest.keys()) if (!gaimIds.has(id)) this.#latest.delete(id);
  }
}

export interface WakePollerDeps {
  readonly firestore: Pick<PlatformFirestore, 'wakeRequests'>;
  readonly log: Logger;
  readonly intervalMs: number;
}

export async function pollWakeRequests(requests: WakeRequests, deps: WakePollerDeps, caches: Caches, enqueue: (key: string) => void, signal: AbortSignal): Promise<void> {
  if (deps.intervalMs === 0) return;
  while (await pause(deps.intervalMs, signal)) {
    const sleeping = new Map<string, { key: string; since: number }>();
    for (const object of caches.list<KubeObject>(Resources.gaim)) {
      const parsed = parseGaim(object);
      if (!parsed.ok) continue;
      const { spec, status } = parsed.gaim;
      if (spec.hibernation?.mode !== 'Auto' || status?.hibernatedAt === undefined) continue;
      sleeping.set(spec.gaimId, { key: objectKey(object), since: Date.parse(status.hibernatedAt) });
    }
    requests.retain(new Set(sleeping.keys()));
    if (sleeping.size === 0) continue;
    const oldest = Math.min(...[...sleeping.values()].map((s) => s.since));
    try {
      const found = await deps.firestore.wakeRequests(new Date(oldest), AbortSignal.any([signal, AbortSignal.timeout(deps.intervalMs + 10_000)]));
      for (const gaimId of requests.record(found)) {
        const gaim = sleeping.get(gaimId);
        const at = found.get(gaimId);
        if (gaim !== undefined && at !== undefined && at.getTime() > gaim.since) enqueue(gaim.key);
      }
    } catch (error: unknown) {
      deps.log.debug({ error: errorMessage(error) }, 'cannot read wake requests; will try again');
    }
  }
}

/** Waits `ms`; false when `signal` aborted meanwhile (or before). */
function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal.aborted) { resolve(false); return; }
    const timer = setTimeout(() => { resolve(!signal.aborted); }, ms);
    signal.addEventListener('abort', () => { clearTimeout(timer); resolve(false); }, { once: true });
  });
}
