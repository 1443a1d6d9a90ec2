// The reconcile's wiring, on fake caches, a recording client and a fake Firestore: which steps run,
// in what order they write, and how their results make the status — no API server, no store.
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { Gaim, GaimStatus } from '../../api/v1alpha1/gaim.js';
import { parseSettings } from '../../config/settings.js';
import type { PlatformFirestore } from '../../firestore/client.js';
import type { KubeClient } from '../../kube/client.js';
import { OperatorError } from '../../errors.js';
import { KubeApiError } from '../../kube/errors.js';
import type { KubeObject } from '../../kube/objects.js';
import { Resources, type Resource } from '../../kube/resources.js';
import { Metrics } from '../../observability/metrics.js';
import { desiredObjects } from '../../resources/desired.js';
import { ROTATE_CREDENTIALS } from '../../resources/rotation.js';
import { BUILT_IN_TIERS } from '../../resources/tiers.js';
import { cachesOf } from '../../testing/caches-fake.js';
import { recordingClient } from '../../testing/client-fake.js';
import { testGaim } from '../../testing/gaims.js';
import { seedFingerprints } from '../stores/seed.js';
import { FINALIZER } from './finalizer.js';
import { GaimReconciler } from './gaim-reconciler.js';

const settings = parseSettings({});
const b64 = (text: string) => Buffer.from(text).toString('base64');
const redisSecret = { metadata: { name: 'marvin-redis-credentials', namespace: 'team' }, data: { password: b64('p'), 'operator-password': b64('o'), 'grace-password': b64('p') } };
/** The Redis StatefulSet as the operator would apply it, rolled out and ready (so apply leaves it be). */
function readyRedis(gaim: Gaim): KubeObject {
  const form = { images: settings.images, startupBaseSeconds: settings.storeStartupBaseSeconds, operatorPods: settings.operatorPodLabels };
  const desired = desiredObjects(gaim, BUILT_IN_TIERS.small, {}, 'gaim-system', form).find((o) => o.kind === 'StatefulSet' && o.metadata?.name === 'marvin-redis');
  if (desired === undefined) throw new Error('no Redis StatefulSet in the plan');
  return { ...desired, metadata: { ...desired.metadata, generation: 1 }, status: { observedGeneration: 1, replicas: 1, readyReplicas: 1, updatedReplicas: 1 } };
}
const boundClaim = { metadata: { name: 'marvin-lancedb', namespace: 'team' }, spec: { storageClassName: 'enterprise-multishare-rwx', resources: { requests: { storage: '100Gi' } } }, status: { phase: 'Bound', capacity: { storage: '100Gi' } } };

/** A reconciler of one Gaim; `client` may refuse some writes. */
function reconcilerFor(gaim: Gaim, caches: [Resource, KubeObject][], client: KubeClient, registryDown = false) {
  const seededConfig: string[] = [];
  const firestore = {
    registry: { sizes: () => (registryDown ? Promise.reject(new OperatorError('firestore', 'Firestore is unavailable')) : Promise.resolve(BUILT_IN_TIERS.small)) },
    seedConfig: (gaimId: string) => { seededConfig.push(gaimId); return Promise.resolve({ created: [] }); },
    syncGaim: () => Promise.resolve({ outcome: 'written', known: undefined }),
    close: () => Promise.resolve(),
  } as unknown as PlatformFirestore;
  const reconciler = new GaimReconciler({
    caches: cachesOf([[Resources.gaim, gaim], ...caches]), client, firestore, settings, backoff: settings.backoff, clusterName: 'c', leaderEpoch: () => 1,
    events: { record: () => undefined }, fieldManager: 'gaim-operator', operatorNamespace: 'gaim-system', metrics: new Metrics(),
  });
  const context = { signal: AbortSignal.timeout(10_000), stop: new AbortController().signal, attempt: 0, log: pino({ level: 'silent' }) };
  return { reconcile: () => reconciler.reconcile('team/marvin', context), seededConfig };
}
const statusWritten = (writes: readonly { verb: string; target: string; body?: unknown }[]) =>
  (writes.filter((w) => w.target === 'Gaim team/marvin/status').at(-1)?.body as { status?: GaimStatus } | undefined)?.status;

describe('the Gaim reconcile, wired', () => {
  it('refuses a second Gaim in a namespace before any read or store object, even with Firestore down', async () => {
    const first = testGaim({}, { metadata: { name: 'first', uid: 'u-0', creationTimestamp: '2026-01-01T00:00:00Z' } });
    const gaim = testGaim({}, { metadata: { finalizers: [FINALIZER], creationTimestamp: '2026-02-01T00:00:00Z' } });
    const { client, writes } = recordingClient();
    await reconcilerFor(gaim, [[Resources.gaim, first]], client, true).reconcile();
    expect(writes.map((w) => `${w.verb} ${w.target}`)).toEqual(['apply Gaim team/marvin/status']);
    expect(statusWritten(writes)).toMatchObject({ syncStatus: 'Failed', errorType: 'conflict' });
  });

  it('guards the Secrets of a Snapshot Gaim before refusing a shrink (a final backup needs them)', async () => {
    const gaim = testGaim({ mongodb: { enabled: false }, redis: { storage: '1Gi' }, deletionPolicy: 'Snapshot' }, { metadata: { finalizers: [FINALIZER] } });
    const dataClaim = { metadata: { name: 'data-marvin-redis-0', namespace: 'team' }, spec: { storageClassName: 'standard-rwo', resources: { requests: { storage: '2Gi' } } }, status: { phase: 'Bound', capacity: { storage: '2Gi' } } };
    const { client, writes } = recordingClient({ 'Secret team/marvin-redis-credentials': redisSecret });
    await reconcilerFor(gaim, [[Resources.persistentVolumeClaim, dataClaim], [Resources.persistentVolumeClaim, boundClaim]], client).reconcile();
    expect(writes.map((w) => `${w.verb} ${w.target}`)).toEqual(['patch Secret team/marvin-redis-credentials', 'apply Gaim team/marvin/status']);
    expect(writes[0]?.body).toEqual({ metadata: { finalizers: [FINALIZER] } });
    expect(statusWritten(writes)).toMatchObject({ syncStatus: 'Failed', errorType: 'validation' });
  });

  it('keeps what seeding did when a later step fails: a rotation that cannot write the Secret still reports the seed', async () => {
    // Redis and the share are seeded already; Firestore's config is not: this reconcile seeds it.
    const base = testGaim({ mongodb: { enabled: false } });
    const { firestore: _notYet, ...seeded } = seedFingerprints(base);
    const gaim = testGaim({ mongodb: { enabled: false } }, {
      metadata: { finalizers: [FINALIZER], annotations: { [ROTATE_CREDENTIALS]: 'r1' } },
      status: { seeded, observedGeneration: 1 },
    });
    const { client, writes } = recordingClient({ 'Secret team/marvin-redis-credentials': redisSecret },
      (verb, resource) => (verb === 'patch' && resource === Resources.secret ? new KubeApiError(500, 'InternalError', 'etcd is unavailable') : undefined));
    const { reconcile, seededConfig } = reconcilerFor(gaim, [[Resources.statefulSet, readyRedis(gaim)], [Resources.persistentVolumeClaim, boundClaim]], client);

    await reconcile();

    expect(seededConfig).toEqual([gaim.spec.gaimId]);
    const status = statusWritten(writes);
    expect(status).toMatchObject({ syncStatus: 'Failed', seeded: { ...seeded, firestore: seedFingerprints(base).firestore } });
    expect(status?.message).toContain('marvin-redis-credentials');
  });

  it('puts an On Gaim to sleep: its StatefulSets scaled to zero by replicas alone, and nothing else written', async () => {
    const gaim = testGaim({ mongodb: { enabled: false }, hibernation: { mode: 'On' } }, { metadata: { finalizers: [FINALIZER] }, status: { syncStatus: 'Synced', observedGeneration: 1 } });
    // The Redis pod is not Ready (it crashed): nothing runs to flush, so no store is called.
    const redis = { ...readyRedis(gaim), status: { observedGeneration: 1, replicas: 1, readyReplicas: 0 } };
    const { client, writes } = recordingClient();
    await reconcilerFor(gaim, [[Resources.statefulSet, redis], [Resources.persistentVolumeClaim, boundClaim]], client).reconcile();
    expect(writes.map((w) => `${w.verb} ${w.target}`)).toEqual(['patch StatefulSet team/marvin-redis', 'apply Gaim team/marvin/status']);
    expect(writes[0]?.body).toEqual({ spec: { replicas: 0 } });
    // Its pod still stops: Hibernating, hibernatedAt set (the sleep is decided and done).
    const status = statusWritten(writes);
    expect(status).toMatchObject({ syncStatus: 'Progressing', hibernatedGeneration: 1 });
    expect(status?.hibernatedAt).toMatch(/^\d{4}-/);
    expect(status?.conditions?.find((c) => c.type === 'Hibernated')).toMatchObject({ status: 'False', reason: 'Hibernating' });
  });

  it('refuses a second Gaim in a namespace even asleep: no StatefulSet is touched', async () => {
    const first = testGaim({}, { metadata: { name: 'first', uid: 'u-0', creationTimestamp: '2026-01-01T00:00:00Z' } });
    const gaim = testGaim({ hibernation: { mode: 'On' } }, { metadata: { finalizers: [FINALIZER], creationTimestamp: '2026-02-01T00:00:00Z' } });
    // A StatefulSet of this Gaim's name, running (left by an earlier owner, say): a sleep would scale it.
    const { client, writes } = recordingClient();
    await reconcilerFor(gaim, [[Resources.gaim, first], [Resources.statefulSet, readyRedis(gaim)]], client).reconcile();
    expect(writes.map((w) => `${w.verb} ${w.target}`)).toEqual(['apply Gaim team/marvin/status']);
    expect(statusWritten(writes)).toMatchObject({ syncStatus: 'Failed', errorType: 'conflict' });
  });

  it('holds an On Gaim awake while a backup of it runs, and says why', async () => {
    const gaim = testGaim({ mongodb: { enabled: false }, hibernation: { mode: 'On' } }, { metadata: { finalizers: [FINALIZER] } });
    const backup = { apiVersion: 'gaim.livingcontent.io/v1alpha1', kind: 'GaimBackup', metadata: { name: 'b1', namespace: 'team' }, spec: { gaim: 'marvin' }, status: { phase: 'Running' } };
    const { client, writes } = recordingClient({ 'Secret team/marvin-redis-credentials': redisSecret });
    await reconcilerFor(gaim, [[Resources.statefulSet, readyRedis(gaim)], [Resources.persistentVolumeClaim, boundClaim], [Resources.gaimBackup, backup]], client).reconcile();
    expect(writes.filter((w) => w.verb === 'patch' && w.target.startsWith('StatefulSet'))).toEqual([]);
    expect(statusWritten(writes)?.conditions?.find((c) => c.type === 'Hibernated')).toMatchObject({ status: 'False', reason: 'HibernationHeld', message: 'hibernation waits: backup b1 is under way' });
  });
});
