// Hibernation's acts on the cluster and the stores (the decision is hibernation.ts): going to sleep
// flushes each running store — Redis rewrites its append-only file, MongoDB fsyncs — then scales
// its StatefulSet to zero; staying asleep keeps it at zero. Claims, Secrets, Services, the
// NetworkPolicy and the LanceDB volume are not touched. Waking needs nothing here: the reconcile's
// apply sets replicas back to the StatefulSet's desired form (server-side apply, forced, owns it).
import type { Gaim } from '../../api/v1alpha1/gaim.js';
import type { Settings } from '../../config/settings.js';
import type { Caches } from '../../controller/caches.js';
import type { ReconcileContext } from '../../controller/result.js';
import { wrap } from '../../errors.js';
import type { KubeClient } from '../../kube/client.js';
import { isNotFound } from '../../kube/errors.js';
import type { KubeObject } from '../../kube/objects.js';
import { Resources } from '../../kube/resources.js';
import { objectNames } from '../../resources/meta.js';
import { REDIS_OPERATOR_USER } from '../../resources/redis.js';
import { flushMongoDB } from '../../seeders/mongodb.js';
import { otherClients, sampleQueues } from '../../seeders/redis-queues.js';
import { rewriteAppendOnlyFile, type RedisTarget } from '../../seeders/redis.js';
import { compareText } from '../../text-order.js';
import { operatorTarget } from '../stores/store-address.js';
import { readCredentials } from './secrets.js';

type StatefulSet = KubeObject & { spec?: { replicas?: number }; status?: { replicas?: number; readyReplicas?: number } };

export interface SleepDeps {
  readonly caches: Caches;
  readonly client: KubeClient;
  readonly settings: Pick<Settings, 'overrides'>;
}

/** How long Redis may take to rewrite its append-only file before the Gaim goes to sleep. */
const AOF_REWRITE_TIMEOUT_MS = 60_000;

export interface Asleep {
  /** Pods of the stores still running (terminating): the Gaim is Hibernating until none is left. */
  readonly podsLeft: number;
  /** What the flush did, for the event of going to sleep; empty when nothing ran. */
  readonly flushed: readonly string[];
  /** Auto only: what the last look before the flush found in use; nothing was stopped. */
  readonly inUse?: string;
}

/**
 * Puts the Gaim's stores to sleep, or keeps them asleep. Going to sleep (`going`): for mode Auto, one
 * last look at the queues (the prober's sample may be seconds old: a client or a task that came since
 * cancels the sleep); then each store with a ready pod is flushed — MongoDB first, then Redis, so a
 * MongoDB that cannot flush does not cost a Redis rewrite each retry — and each StatefulSet with
 * replicas above zero is scaled to zero. A flush that fails stops here, the stores still running:
 * nothing is stopped before its data is on disk. A store without a ready pod has nothing to flush.
 */
export async function sleep(gaim: Gaim, going: boolean, deps: SleepDeps, context: ReconcileContext): Promise<Asleep> {
  const names = objectNames(gaim);
  const ns = gaim.metadata.namespace;
  const sets = [
    ...(gaim.spec.mongodb.enabled ? [{ store: 'mongodb' as const, name: names.mongodb }] : []),
    ...(gaim.spec.redis.enabled ? [{ store: 'redis' as const, name: names.redis }] : []),
  ].map((s) => ({ ...s, object: deps.caches.get<StatefulSet>(Resources.statefulSet, `${ns}/${s.name}`) }));
  const running = sets.filter((s) => s.object !== undefined && (s.object.spec?.replicas ?? 1) > 0);
  const flushed: string[] = [];
  if (going) {
    const toFlush = running.filter((s) => (s.object?.status?.readyReplicas ?? 0) > 0);
    const credentials = toFlush.length === 0 ? new Map<string, Readonly<Record<string, string>> | undefined>() : await readCredentials(gaim, deps.client, context.signal);
    const redisSecret = credentials.get(names.redisSecret);
    const redis = redisSecret === undefined ? undefined
      : await operatorTarget(gaim, 'redis', redisSecret, deps.settings.overrides);
    if (gaim.spec.hibernation?.mode === 'Auto' && redis !== undefined && toFlush.some((s) => s.store === 'redis')) {
      const inUse = await queuesInUse(gaim, redis, context.signal);
      if (inUse !== undefined) return { podsLeft: 0, flushed, inUse };
    }
    for (const { store } of [...toFlush].sort((a, b) => compareText(a.store, b.store))) {
      if (store === 'redis') {
        if (redis === undefined) { flushed.push('Redis was not flushed: its credentials Secret is missing'); continue; }
        const outcome = await rewriteAppendOnlyFile(redis, AOF_REWRITE_TIMEOUT_MS, context.signal).catch((error: unknown) => {
          throw wrap(error, 'cannot hibernate: Redis did not write its append-only file, so it keeps running', { type: 'redis', reason: 'HibernationFlushFailed' });
        });
        flushed.push(outcome === 'rewritten' ? 'Redis rewrote its append-only file' : 'Redis keeps no append-only file');
      } else {
        const secret = credentials.get(names.mongodbSecret);
        if (secret === undefined) { flushed.push('MongoDB was not flushed: its credentials Secret is missing'); continue; }
        const outcome = await flushMongoDB(await operatorTarget(gaim, 'mongodb', secret, deps.settings.overrides), context.signal).catch((error: unknown) => {
          throw wrap(error, 'cannot hibernate: MongoDB did not flush (fsync), so it keeps running', { type: 'mongodb', reason: 'HibernationFlushFailed' });
        });
        flushed.push(outcome === 'flushed' ? 'MongoDB flushed (fsync)' : 'MongoDB has no fsync command (FerretDB): each write is committed as it is made');
      }
    }
  }
  for (const { name } of running) {
    try {
      await deps.client.mergePatch(Resources.statefulSet, name, ns, { spec: { replicas: 0 } }, context.signal);
      context.log.info({ statefulSet: name }, 'scaled to zero: hibernating');
    } catch (error: unknown) {
      if (isNotFound(error)) continue;
      throw wrap(error, `cannot scale StatefulSet ${name} to zero`, { reason: 'HibernationFailed' });
    }
  }
  const podsLeft = sets.reduce((n, s) => n + (s.object?.status?.replicas ?? 0), 0);
  return { podsLeft, flushed };
}


/** What a last look finds in use: a client of the apps, or an entry pending or undelivered; undefined when idle. */
async function queuesInUse(gaim: Gaim, redis: RedisTarget, signal: AbortSignal): Promise<string | undefined> {
  const clients = await otherClients(redis, REDIS_OPERATOR_USER, signal);
  if (clients > 0) return `${String(clients)} client(s) connected to Redis`;
  const busy = (await sampleQueues(redis, gaim.spec.environments, 1, signal)).filter((s) => s.pending > 0 || (s.lag ?? 0) > 0);
  return busy.length === 0 ? undefined : `tasks pending or undelivered in ${busy.map((s) => s.env).join(', ')}`;
}
