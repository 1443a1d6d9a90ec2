// A store whose pod does not become ready within its startup budget has failed to start: a new image
// that cannot be pulled or crashes, a pod the namespace refuses. Nothing in Kubernetes ends such a
// wait (the kubelet backs off and retries for ever), so the operator does: the store's condition and
// the Gaim fail with errorType mongodb or redis, reason StartupBudgetExceeded, and the kubelet's own
// words. Reverting the image recovers by itself (the StatefulSets are Parallel: see stateful-store.ts).
//
// No pod is read while a store is fine: the operator notes when it first saw a StatefulSet not ready
// on its current revision, and reads the pod (by label, once) only when that is older than the
// budget; the pod's own creation time then decides. After an operator restart the clock starts over,
// so a stuck pod is noticed at most one budget later, never sooner than it should be.
import type { Gaim } from '../../api/v1alpha1/gaim.js';
import type { Caches } from '../../controller/caches.js';
import type { ReconcileContext } from '../../controller/result.js';
import { OperatorError, wrap } from '../../errors.js';
import type { KubeClient } from '../../kube/client.js';
import { latestEvent } from '../../kube/event-reader.js';
import type { KubeObject } from '../../kube/objects.js';
import { Resources } from '../../kube/resources.js';
import { Message } from '../../messages.js';
import { objectNames } from '../../resources/meta.js';
import { startupBudgetSeconds } from '../../resources/mongodb.js';
import { duration, READINESS_ALLOWANCE_SECONDS, startupVerdict, type PodView } from '../../resources/pod-startup.js';
import { Reason } from '../../status/reasons.js';
import type { Observed } from './observe.js';
import type { StepResult } from './step.js';

export interface StartupDeps {
  readonly caches: Caches;
  readonly client: KubeClient;
  readonly settings: { readonly storeStartupBaseSeconds: number };
}

export interface StartupCheck extends StepResult {
  /** Stores out of their budget, with why (readiness.ts settles their readiness with it). */
  readonly failed: Partial<Record<'mongodb' | 'redis', string>>;
  /** One per store out of its budget. */
  readonly errors: readonly OperatorError[];
  /** When to look again at a store still within its budget (its pod may never change to say so). */
  readonly recheckAfterMs?: number;
}

type StatefulSetView = KubeObject & { status?: { updateRevision?: string } };

const STORES = ['mongodb', 'redis'] as const;
const WAITING = new Set(['PodsPending', 'RollingUpdate', 'Progressing']);

export class StartupWatch {
  /** StatefulSet key → the revision it was first seen not ready on, and when. */
  readonly #notReadySince = new Map<string, { readonly revision: string; readonly since: number }>();

  async check(gaim: Gaim, observed: Observed, deps: StartupDeps, context: ReconcileContext, now = new Date()): Promise<StartupCheck> {
    const failed: { mongodb?: string; redis?: string } = {};
    const errors: OperatorError[] = [];
    let recheckAfterMs = Infinity;
    for (const store of STORES) {
      const readiness = observed.stores[store];
      const name = store === 'mongodb' ? objectNames(gaim).mongodb : objectNames(gaim).redis;
      const key = `${gaim.metadata.namespace}/${name}`;
      if (readiness === 'disabled' || readiness.ready || !WAITING.has(readiness.reason)) {
        this.#notReadySince.delete(key);
        continue;
      }
      const sts = deps.caches.get<StatefulSetView>(Resources.statefulSet, key);
      if (sts === undefined) continue;
      const revision = sts.status?.updateRevision ?? `generation-${String(sts.metadata?.generation ?? 0)}`;
      const seen = this.#notReadySince.get(key);
      const since = seen?.revision === revision ? seen.since : now.getTime();
      if (seen?.revision !== revision) this.#notReadySince.set(key, { revision, since });

      const budget = startupBudgetSeconds(volumeOf(observed, store), deps.settings.storeStartupBaseSeconds);
      const allowedMs = (budget + READINESS_ALLOWANCE_SECONDS) * 1000;
      const waited = now.getTime() - since;
      if (waited < allowedMs) {
        recheckAfterMs = Math.min(recheckAfterMs, allowedMs - waited + 1000);
        continue;
      }
      const stuck = await this.#judge(sts, budget, deps, context, now);
      if (stuck.remainingMs !== undefined) recheckAfterMs = Math.min(recheckAfterMs, stuck.remainingMs + 1000);
      if (stuck.message === undefined) continue;
      const error = new OperatorError(store, stuck.message, { reason: Reason.StartupBudgetExceeded });
      errors.push(error);
      failed[store] = stuck.message;
      context.log.warn({ store, statefulSet: name }, stuck.message);
    }
    return { failed, errors, ...(Number.isFinite(recheckAfterMs) ? { recheckAfterMs } : {}) };
  }

  get size(): number {
    return this.#notReadySince.size;
  }

  /** Forgets a deleted Gaim's StatefulSets (`namespace/name`). */
  forget(statefulSets: readonly string[]): void {
    for (const key of statefulSets) this.#notReadySince.delete(key);
  }

  /** The pod decides: a message when it is out of its budget, or how long it has left. */
  async #judge(sts: StatefulSetView, budget: number, deps: StartupDeps, context: ReconcileContext, now: Date): Promise<{ message?: string; remainingMs?: number }> {
    const namespace = sts.metadata?.namespace ?? '';
    const name = sts.metadata?.name ?? '';
    const podName = `${name}-0`;
    let pods: PodView[];
    try {
      pods = (await deps.client.list<PodView>(Resources.pod, { namespace, labelSelector: `statefulset.kubernetes.io/pod-name=${podName}`, signal: context.signal })).items;
    } catch (error: unknown) {
      throw wrap(error, Message.listStorePod(podName));
    }
    const pod = pods[0];
    if (pod === undefined) {
      // The StatefulSet cannot make its pod (a namespace's Pod Security, a quota): its events say why.
      const event = await latestEvent(deps.client, { kind: 'StatefulSet', name, namespace }, context.signal, ['FailedCreate']).catch(() => undefined);
      const why = event === undefined ? 'the StatefulSet has made no pod' : `${event.reason}: ${event.note}`;
      return { message: `${Message.startStore(podName)}: no pod ${duration(budget)} after the StatefulSet changed, beyond its startup budget (${why})` };
    }
    const verdict = startupVerdict(pod, budget, now);
    if (verdict.state === 'ready') return {};
    if (verdict.state === 'starting') return { remainingMs: verdict.remainingMs };
    const image = pod.spec?.containers?.[0]?.image ?? '?';
    return { message: `${Message.startStore(podName)} (image ${image}): not ready ${duration(verdict.notReadyForSeconds)} after it was created, beyond its startup budget of ${duration(budget)}: ${verdict.why}` };
  }
}

/** The size the store's budget grows with: its data claim's request, else its StatefulSet's claim template. */
function volumeOf(observed: Observed, store: 'mongodb' | 'redis'): string {
  return observed.claims.find((c) => c.store === store)?.request
    ?? (store === 'mongodb' ? observed.sizes.mongodbClaim : observed.sizes.redisClaim) ?? '10Gi';
}
