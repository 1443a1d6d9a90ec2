// The bare client the operator is measured against: for each Gaim, with the operator's own builders
// and seeders, it creates the same objects, waits for the same readiness, seeds the same stores and
// writes the same Firestore documents — with no cache, queue, status or retry machinery. Objects carry
// another managed-by value so no operator's caches would ever hold them.
import { randomUUID } from 'node:crypto';
import type { Firestore } from '@google-cloud/firestore';
import type { Gaim } from '../../src/api/v1alpha1/gaim.js';
import { parseGaim } from '../../src/api/v1alpha1/validate.js';
import type { KubeClient } from '../../src/kube/client.js';
import { Labels, MANAGED_BY } from '../../src/kube/labels.js';
import type { KubeObject } from '../../src/kube/objects.js';
import { resourceOf, Resources } from '../../src/kube/resources.js';
import { desiredObjects } from '../../src/resources/desired.js';
import { objectNames } from '../../src/resources/meta.js';
import { statefulSetReadiness } from '../../src/resources/readiness.js';
import { seedStorageJob, storageFingerprint } from '../../src/resources/seed-job.js';
import { BUILT_IN_TIERS } from '../../src/resources/tiers.js';
import { seedFirestoreConfig } from '../../src/firestore/config-docs.js';
import { syncToFirestore } from '../../src/firestore/sync.js';
import { seedMongoDB } from '../../src/seeders/mongodb.js';
import { seedRedis } from '../../src/seeders/redis.js';
import type { Watch } from './observe.js';

export const BASELINE_MANAGER = 'gaim-bench-baseline';

export interface BaselineContext {
  readonly client: KubeClient;
  readonly firestore: Firestore;
  readonly mongodbUrl: string;
  readonly redisUrl: string;
  readonly seedPlacement: Parameters<typeof seedStorageJob>[3];
  readonly watches: {
    readonly statefulSets: Watch<KubeObject>;
    readonly claims: Watch<KubeObject>;
    readonly jobs: Watch<KubeObject & { status?: { succeeded?: number } }>;
  };
}

/** The operator's object, as a bare client would own it: its own label, no owner to collect it. */
function asBaseline(object: KubeObject): KubeObject {
  const copy = JSON.parse(JSON.stringify(object).replaceAll(`"${Labels.managedBy}":"${MANAGED_BY}"`, `"${Labels.managedBy}":"${BASELINE_MANAGER}"`)) as KubeObject;
  if (copy.metadata !== undefined) delete copy.metadata.ownerReferences;
  return copy;
}

/** The Gaim as the API server would return it (defaults applied), for the builders. */
export function baselineGaim(manifest: KubeObject): Gaim {
  const parsed = parseGaim({ ...manifest, metadata: { ...manifest.metadata, uid: randomUUID(), generation: 1 } });
  if (!parsed.ok) throw new Error(`bench manifest is invalid: ${parsed.error.message}`);
  return parsed.gaim;
}

const key = (o: KubeObject) => `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;

/** Everything the operator does for one Gaim to reach Synced, done straight. */
export async function convergeBare(gaim: Gaim, ctx: BaselineContext): Promise<void> {
  const ns = gaim.metadata.namespace;
  const names = objectNames(gaim);
  const { client, watches } = ctx;
  for (const object of desiredObjects(gaim, BUILT_IN_TIERS[gaim.spec.tier], {}, 'gaim-system')) {
    await client.apply(resourceOf(object), asBaseline(object), { fieldManager: BASELINE_MANAGER });
  }
  await seedFirestoreConfig(ctx.firestore, gaim.spec.gaimId, gaim.spec.environments, gaim.spec.config);

  const storage = (async () => {
    // As the operator does: the Job is the claim's first consumer (WaitForFirstConsumer binds the
    // claim only once its pod is scheduled), so it starts as soon as the claim exists.
    await watches.claims.until((c) => key(c) === `${ns}/${names.lancedbClaim}`);
    const job = asBaseline(seedStorageJob(gaim, storageFingerprint(gaim), 1, ctx.seedPlacement));
    await client.create(Resources.job, job);
    await watches.jobs.until((j) => key(j) === key(job) && (j.status?.succeeded ?? 0) > 0);
  })();
  const mongodb = (async () => {
    await watches.statefulSets.until((s) => key(s) === `${ns}/${names.mongodb}` && statefulSetReadiness(s).ready);
    const url = new URL(ctx.mongodbUrl);
    await seedMongoDB({ address: url.host, username: decodeURIComponent(url.username), password: decodeURIComponent(url.password) },
      gaim.spec.environments, { username: `${gaim.metadata.name}-app`, password: 'app-password' });
  })();
  const redis = (async () => {
    await watches.statefulSets.until((s) => key(s) === `${ns}/${names.redis}` && statefulSetReadiness(s).ready);
    const url = new URL(ctx.redisUrl);
    await seedRedis({ address: url.host, password: decodeURIComponent(url.password) }, gaim.spec.environments);
  })();
  await Promise.all([storage, mongodb, redis]);
  await syncToFirestore(ctx.firestore, gaim, { syncStatus: 'Synced', errorType: undefined, ledger: { retryCount: 0 }, generation: 1, cluster: 'bench', leaderEpoch: 0 });
}
