// Polls Firestore for wake requests of Gaims hibernated by mode Auto, on the leader: every
// GAIM_WAKE_POLL_SECONDS, one query (firestore/wake-requests.ts), and only while one sleeps. The
// first asks for requests later than the oldest such Gaim's sleep; each after that only for those
// later than the newest it has seen (less a minute, for writers whose clocks lag), so requests that
// woke nothing are not read again and again, and an old one cannot crowd out a new one. A request
// later than its Gaim's sleep asks for that Gaim's reconcile, which decides (hibernation.ts); the
// latest request of each Gaim is kept for it.
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

/** How far before the newest request seen the next query starts: a writer's clock may lag. */
const OVERLAP_MS = 60_000;

export async function pollWakeRequests(requests: WakeRequests, deps: WakePollerDeps, caches: Caches, enqueue: (key: string) => void, signal: AbortSignal): Promise<void> {
  if (deps.intervalMs === 0) return;
  let newest: number | undefined;
  let failing = false;
  while (await pause(deps.intervalMs, signal)) {
    const sleeping = new Map<string, { key: string; since: number }>();
    for (const object of caches.list<KubeObject & { spec?: { hibernation?: { mode?: unknown } }; status?: { hibernatedAt?: unknown } }>(Resources.gaim)) {
      // Most Gaims do not sleep by Auto: only those are parsed.
      if (object.spec?.hibernation?.mode !== 'Auto' || object.status?.hibernatedAt === undefined) continue;
      const parsed = parseGaim(object);
      if (!parsed.ok) continue;
      const { spec, status } = parsed.gaim;
      if (spec.hibernation?.mode !== 'Auto' || status?.hibernatedAt === undefined) continue;
      sleeping.set(spec.gaimId, { key: objectKey(object), since: Date.parse(status.hibernatedAt) });
    }
    requests.retain(new Set(sleeping.keys()));
    if (sleeping.size === 0) continue;
    const oldest = Math.min(...[...sleeping.values()].map((s) => s.since));
    const after = Math.max(oldest, (newest ?? -Infinity) - OVERLAP_MS);
    try {
      const found = await deps.firestore.wakeRequests(new Date(after), AbortSignal.any([signal, AbortSignal.timeout(deps.intervalMs + 10_000)]));
      for (const at of found.values()) newest = Math.max(newest ?? -Infinity, at.getTime());
      for (const gaimId of requests.record(found)) {
        const gaim = sleeping.get(gaimId);
        const at = found.get(gaimId);
        if (gaim !== undefined && at !== undefined && at.getTime() > gaim.since) enqueue(gaim.key);
      }
      if (failing) deps.log.info('reading wake requests from Firestore again');
      failing = false;
    } catch (error: unknown) {
      // Said once when it starts failing (a refusal, such as a permission, turns Firestore wakes off).
      if (!failing) deps.log.warn({ error: errorMessage(error) }, 'cannot read wake requests from Firestore; Gaims hibernated by mode Auto wake only by annotation or spec change until it can');
      failing = true;
    }
  }
}

/** Waits `ms`; false when `signal` aborted meanwhile (or before). */
function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal.aborted) { resolve(false); return; }
    const abort = () => { clearTimeout(timer); resolve(false); };
    const timer = setTimeout(() => { signal.removeEventListener('abort', abort); resolve(!signal.aborted); }, ms);
    signal.addEventListener('abort', abort, { once: true });
  });
}
