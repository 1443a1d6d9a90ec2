import { describe, expect, it } from 'vitest';
import { parseGaim } from '../api/v1alpha1/validate.js';
import type { Gaim } from '../api/v1alpha1/gaim.js';
import type { KubeObject } from '../kube/objects.js';
import { isSubset, needsApply, withAppliedHash } from './compare.js';
import { desiredObjects, desiredSecrets } from './desired.js';
import { BUILT_IN_TIERS, tierSizes } from './tiers.js';
import { startupBudgetSeconds, wiredTigerCacheGB } from './mongodb.js';
import { parseQuantity } from './quantity.js';
import { PINNED_IMAGES } from '../config/images.js';
import { redisMaxMemoryMiB } from './redis.js';
import { seedStorageJob } from './seed-job.js';

const seedSettings = { image: 'gaim-operator:test', nodeSelector: {}, tolerations: [], storageUid: 1000, storageGid: 1000, prepareShares: true, imagePullSecrets: [] as string[], seedDeadlineSeconds: 900 };

function gaim(spec: Record<string, unknown> = {}, name = 'marvin', namespace = 'marvin'): Gaim {
  const result = parseGaim({
    apiVersion: 'gaim.livingcontent.io/v1alpha1', kind: 'Gaim',
    metadata: { name, namespace, uid: '0000-uid', generation: 1 },
    spec: {
      gaimId: '660e8400-e29b-41d4-a716-446655440001', displayName: 'Marvin', environments: ['stage'],
      lancedb: { storage: { storageClassName: 'enterprise-multishare-rwx', size: '100Gi' } },
      ...spec,
    },
  });
  if (!result.ok) throw result.error;
  return result.gaim;
}

const byKind = (objects: KubeObject[], kind: string, name?: string) =>
  objects.filter((o) => o.kind === kind && (name === undefined || o.metadata?.name === name));
const container = (sts: KubeObject | undefined) =>
  (sts as { spec: { template: { spec: { containers: Record<string, unknown>[] } } } } | undefined)?.spec.template.spec.containers[0];

describe('desiredObjects', () => {
  it.each([
    ['small', '250m', '1Gi', '10Gi', '100m', '256Mi', '2Gi'],
    ['medium', '500m', '2Gi', '50Gi', '250m', '1Gi', '8Gi'],
    ['large', '1', '8Gi', '200Gi', '500m', '4Gi', '32Gi'],
  ] as const)('sizes the %s tier', (tier, mCpu, mMem, mDisk, rCpu, rMem, rDisk) => {
    const g = gaim({ tier });
    const objects = desiredObjects(g, BUILT_IN_TIERS[tier], {}, 'gaim-system');
    const mongo = byKind(objects, 'StatefulSet', 'marvin-mongodb')[0];
    const redis = byKind(objects, 'StatefulSet', 'marvin-redis')[0];
    expect(container(mongo)?.['resources']).toEqual({ requests: { cpu: mCpu, memory: mMem }, limits: { memory: mMem } });
    expect(container(redis)?.['resources']).toEqual({ requests: { cpu: rCpu, memory: rMem }, limits: { memory: rMem } });
    expect(JSON.stringify(mongo)).toContain(`"storage":"${mDisk}"`);
    expect(JSON.stringify(redis)).toContain(`"storage":"${rDisk}"`);
  });

  it('creates the full set for a dynamic Filestore claim, with labels and owner references on every namespaced object', () => {
    const objects = desiredObjects(gaim(), BUILT_IN_TIERS.small, {}, 'gaim-system');
    expect(objects.map((o) => `${o.kind ?? ''}/${o.metadata?.name ?? ''}`)).toEqual([
      'PersistentVolumeClaim/marvin-lancedb',
      'Service/marvin-mongodb', 'StatefulSet/marvin-mongodb',
      'Service/marvin-redis', 'StatefulSet/marvin-redis',
      'ConfigMap/marvin-connections', 'NetworkPolicy/marvin-stores',
    ]);
    for (const object of objects) {
      expect(object.metadata?.namespace).toBe('marvin');
      expect(object.metadata?.labels).toMatchObject({
        'app.kubernetes.io/managed-by': 'gaim-operator', 'app.kubernetes.io/instance': 'marvin', 'app.kubernetes.io/part-of': 'living-content', 'gaim.livingcontent.io/gaim': 'marvin',
      });
      expect(object.metadata?.ownerReferences).toEqual([{ apiVersion: 'gaim.livingcontent.io/v1alpha1', kind: 'Gaim', name: 'marvin', uid: '0000-uid', controller: true, blockOwnerDeletion: true }]);
    }
    expect(byKind(objects, 'PersistentVolumeClaim')[0]?.['spec']).toEqual({
      accessModes: ['ReadWriteMany'], resources: { requests: { storage: '100Gi' } }, volumeMode: 'Filesystem', storageClassName: 'enterprise-multishare-rwx',
    });
  });

  it('binds a static NFS share through a Retain volume pre-bound to the claim, named per namespace', () => {
    const nfs = { server: '10.0.0.2', path: '/vol1/gaims/marvin' };
    const a = desiredObjects(gaim({ lancedb: { storage: { nfs } } }, 'marvin', 'team-a'), BUILT_IN_TIERS.small, {}, 'gaim-system');
    const b = desiredObjects(gaim({ lancedb: { storage: { nfs } } }, 'marvin', 'team-b'), BUILT_IN_TIERS.small, {}, 'gaim-system');
    const [volumeA] = byKind(a, 'PersistentVolume');
    const [volumeB] = byKind(b, 'PersistentVolume');
    expect(volumeA?.metadata?.name).toBe('gaim-team-a-marvin-lancedb');
    expect(volumeB?.metadata?.name).not.toBe(volumeA?.metadata?.name);
    expect(volumeA?.metadata?.ownerReferences).toBeUndefined(); // cluster-scoped
    expect(volumeA?.['spec']).toMatchObject({
      nfs, persistentVolumeReclaimPolicy: 'Retain', storageClassName: '', accessModes: ['ReadWriteMany'], capacity: { storage: '1Ti' },
      claimRef: { namespace: 'team-a', name: 'marvin-lancedb' },
    });
    expect(byKind(a, 'PersistentVolumeClaim')[0]?.['spec']).toMatchObject({ storageClassName: '', volumeName: 'gaim-team-a-marvin-lancedb' });
  });

  it('lists each environment\'s names from the data model in the connections ConfigMap', () => {
    const objects = desiredObjects(gaim({ environments: ['local', 'stage', 'prod'] }), BUILT_IN_TIERS.small, {}, 'gaim-system');
    const data = byKind(objects, 'ConfigMap')[0]?.['data'] as Record<string, string>;
    expect(data).toMatchObject({
      'local.mongodb.database': 'lco-gaim-local', 'stage.mongodb.database': 'lco-gaim-stage', 'prod.mongodb.database': 'lco-gaim-prod',
      'local.redis.taskStream': 'gaim:tasks', 'local.redis.consumerGroup': 'gaim:workers', 'local.redis.deadLetterStream': 'gaim:tasks:dlq',
      'prod.redis.taskStream': 'gaim:tasks:prod', 'prod.redis.consumerGroup': 'gaim:workers:prod', 'prod.redis.deadLetterStream': 'gaim:tasks:prod:dlq',
      'stage.lancedb.toolSelector': '/data/stage/tool_selector/tools.lance',
      'stage.lancedb.knowledgeText': '/data/stage/knowledge/knowledge_text.lance',
      'prod.lancedb.metadata': '/data/prod/knowledge/metadata',
      'mongodb.host': 'marvin-mongodb.marvin.svc.cluster.local:27017',
      'mongodb.secretName': 'marvin-mongodb-credentials',
      'redis.secretName': 'marvin-redis-credentials',
    });
    expect(JSON.stringify(data)).not.toMatch(/password"\s*:\s*"[^"]{20,}/); // names of keys only, never values
  });

  it('leaves out a disabled store entirely', () => {
    const objects = desiredObjects(gaim({ redis: { enabled: false } }), BUILT_IN_TIERS.small, {}, 'gaim-system');
    expect(objects.some((o) => o.metadata?.name?.includes('redis') === true)).toBe(false);
    expect(desiredSecrets(gaim({ redis: { enabled: false } })).map((s) => s.metadata?.name)).toEqual(['marvin-mongodb-credentials']);
  });

  it('keeps the claim size of an existing StatefulSet and never shrinks the LanceDB claim', () => {
    const objects = desiredObjects(gaim({ tier: 'large', lancedb: { storage: { storageClassName: 'x', size: '50Gi' } } }), BUILT_IN_TIERS.large,
      { mongodbClaim: '10Gi', lancedbClaim: '200Gi' }, 'gaim-system');
    expect(JSON.stringify(byKind(objects, 'StatefulSet', 'marvin-mongodb')[0])).toContain('"storage":"10Gi"');
    expect(JSON.stringify(byKind(objects, 'PersistentVolumeClaim')[0])).toContain('"storage":"200Gi"');
  });

  it('runs the stores as non-root with a read-only root filesystem and no privilege escalation', () => {
    const statefulSets = byKind(desiredObjects(gaim(), BUILT_IN_TIERS.small, {}, 'ops'), 'StatefulSet');
    expect(statefulSets.map((s) => s.metadata?.name)).toEqual(['marvin-mongodb', 'marvin-redis']);
    for (const sts of statefulSets) {
      const pod = (sts as { spec: { template: { spec: Record<string, unknown> } } }).spec.template.spec;
      expect(pod['securityContext']).toMatchObject({ runAsNonRoot: true, runAsUser: 999, seccompProfile: { type: 'RuntimeDefault' } });
      expect(container(sts)?.['securityContext']).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    }
  });

  it('probes each store as its image answers: MongoDB with a ping, Redis with an authenticated PING', () => {
    const objects = desiredObjects(gaim(), BUILT_IN_TIERS.small, {}, 'ops');
    const mongo = container(byKind(objects, 'StatefulSet', 'marvin-mongodb')[0]);
    const redis = container(byKind(objects, 'StatefulSet', 'marvin-redis')[0]);
    // Readiness: the server answers ping (bash and a wire-protocol message, not a mongosh process every 10 s).
    expect(mongo?.['readinessProbe']).toMatchObject({ exec: { command: ['bash', '-c', expect.stringContaining('/dev/tcp/127.0.0.1/27017') as unknown] }, periodSeconds: 10 });
    expect(mongo?.['livenessProbe']).toMatchObject({ tcpSocket: { port: 27017 } });
    expect(mongo?.['startupProbe']).toMatchObject({ tcpSocket: { port: 27017 } });
    expect(JSON.stringify(redis?.['readinessProbe'])).toContain('redis-cli');
    expect(JSON.stringify(redis?.['readinessProbe'])).toContain('PONG');
    expect(redis?.['livenessProbe']).toMatchObject({ tcpSocket: { port: 6379 } });
  });

  it('generates different credentials for every new Secret', () => {
    const [first] = desiredSecrets(gaim());
    const [second] = desiredSecrets(gaim());
    const password = (s: KubeObject | undefined) => (s?.['stringData'] as Record<string, string>)['root-password'];
    expect(password(first)).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(password(first)).not.toBe(password(second));
  });
});

describe('the store pods, as the official images run them', () => {
  const objects = (g = gaim(), tier: 'small' | 'medium' | 'large' = 'small') => desiredObjects(g, BUILT_IN_TIERS[tier], {}, 'ops');
  const args = (name: string, g = gaim(), tier: 'small' | 'medium' | 'large' = 'small') => container(byKind(objects(g, tier), 'StatefulSet', name)[0])?.['args'] as string[];
  const after = (list: string[], flag: string) => list[list.indexOf(flag) + 1];

  it.each([['512Mi', 0.25], ['1Gi', 0.25], ['2Gi', 0.5], ['3Gi', 1], ['8Gi', 3.5]] as const)('gives WiredTiger 50%% of (%s − 1 GiB), at least 0.25 GB', (memory, gb) => {
    expect(wiredTigerCacheGB(memory)).toBe(gb);
  });

  it('passes the cache size to mongod for each tier, and the small tier has at least 1 GiB', () => {
    expect(after(args('marvin-mongodb'), '--wiredTigerCacheSizeGB')).toBe('0.25');
    expect(after(args('marvin-mongodb', gaim({ tier: 'large' }), 'large'), '--wiredTigerCacheSizeGB')).toBe('3.5');
    expect(parseQuantity(BUILT_IN_TIERS.small.mongodb.memory)).toBeGreaterThanOrEqual(2 ** 30);
  });

  it.each([['10Gi', 360], ['200Gi', 1500], ['1Ti', 6450], ['100Ti', 14_400]] as const)('gives mongod a startup budget that grows with a %s volume: %i s', (volume, seconds) => {
    expect(startupBudgetSeconds(volume)).toBe(seconds);
    const probe = container(byKind(objects(gaim({ mongodb: { storage: volume } })), 'StatefulSet', 'marvin-mongodb')[0])?.['startupProbe'] as { periodSeconds: number; failureThreshold: number };
    expect(probe.periodSeconds * probe.failureThreshold).toBe(seconds);
  });

  it('takes the startup budget\'s base from the settings, in whole probe periods', () => {
    expect(startupBudgetSeconds('10Gi', 20)).toBe(80);
    expect(startupBudgetSeconds('2Gi', 15)).toBe(30); // 15 + 12 = 27, rounded up to the 10 s probe period
    const probe = container(byKind(desiredObjects(gaim(), BUILT_IN_TIERS.small, {}, 'ops', { images: PINNED_IMAGES, startupBaseSeconds: 20, operatorPods: {} }), 'StatefulSet', 'marvin-mongodb')[0])?.['startupProbe'] as { periodSeconds: number; failureThreshold: number };
    expect(probe.periodSeconds * probe.failureThreshold).toBe(80);
  });

  it('manages store pods in parallel, so a reverted image replaces a pod that never became ready', () => {
    for (const sts of byKind(objects(), 'StatefulSet')) expect((sts['spec'] as { podManagementPolicy: string }).podManagementPolicy).toBe('Parallel');
  });

  it('caps Redis below its container limit, and never evicts (a task queue must not lose tasks)', () => {
    expect(after(args('marvin-redis'), '--maxmemory')).toBe('179mb'); // 70 % of 256Mi
    expect(after(args('marvin-redis', gaim({ tier: 'large' }), 'large'), '--maxmemory')).toBe(`${Math.floor(4096 * 0.7)}mb`);
    expect(after(args('marvin-redis'), '--maxmemory-policy')).toBe('noeviction');
    expect(redisMaxMemoryMiB('1Gi')).toBe(716);
  });

  it('probes Redis as the operator\'s own user, whose password a rotation of the apps\' never changes, from REDISCLI_AUTH', () => {
    const redis = container(byKind(objects(), 'StatefulSet', 'marvin-redis')[0]);
    expect(redis?.['env']).toContainEqual({ name: 'REDISCLI_AUTH', valueFrom: { secretKeyRef: { name: 'marvin-redis-credentials', key: 'operator-password' } } });
    expect(JSON.stringify(redis?.['readinessProbe'])).toContain('redis-cli --user gaim-operator ping');
    expect(JSON.stringify(redis?.['readinessProbe'])).not.toMatch(/-a\b|REDIS_PASSWORD|--pass/);
  });

  it('gives Redis two users: the apps\' default user, who cannot administer the server, and the operator\'s', () => {
    const list = args('marvin-redis');
    const users = list.flatMap((arg, i) => (arg === '--user' ? [list.slice(i + 1, list.findIndex((a, j) => j > i && a.startsWith('--')))] : []));
    expect(users).toEqual([
      ['default', 'on', '>$(REDIS_PASSWORD)', '>$(REDIS_GRACE_PASSWORD)', '~*', '&*', '+@all', '-@admin'],
      ['gaim-operator', 'on', '>$(REDIS_OPERATOR_PASSWORD)', '~*', '&*', '+@all'],
    ]);
    expect(list).not.toContain('--requirepass');
    // Both from keys that always exist: a missing optional key would leave `$(VAR)` as a readable password.
    const env = container(byKind(objects(), 'StatefulSet', 'marvin-redis')[0])?.['env'];
    expect(env).toContainEqual({ name: 'REDIS_GRACE_PASSWORD', valueFrom: { secretKeyRef: { name: 'marvin-redis-credentials', key: 'grace-password' } } });
    expect(JSON.stringify(env)).not.toContain('optional');
  });

  it('puts no credential into any command, argument, probe or annotation of anything it writes', () => {
    const g = gaim();
    const secrets = desiredSecrets(g);
    const values = secrets.flatMap((secret) => Object.values(secret['stringData'] as Record<string, string>)).filter((v) => v.length >= 16);
    expect(values.length).toBeGreaterThanOrEqual(3);
    const written = [...objects(g), seedStorageJob(g, 'abc', 1, seedSettings)];
    for (const object of written) {
      const text = JSON.stringify(object);
      for (const value of values) expect(text, `${object.kind ?? ''} ${object.metadata?.name ?? ''}`).not.toContain(value);
    }
    // What the pods run sees no password either: only references the kubelet resolves from the Secret.
    for (const sts of byKind(objects(g), 'StatefulSet')) {
      const c = container(sts);
      const argv = JSON.stringify([c?.['command'], c?.['args'], c?.['readinessProbe'], c?.['livenessProbe'], c?.['startupProbe']]);
      expect(argv).not.toMatch(/password"\s*,\s*"[A-Za-z0-9_-]{16,}/i);
      expect(JSON.stringify(c?.['env'])).not.toContain('"value"');
    }
  });

  it('denies the stores every egress: they call nothing', () => {
    const policy = byKind(objects(), 'NetworkPolicy')[0]?.['spec'] as Record<string, unknown>;
    expect(policy['policyTypes']).toEqual(['Ingress', 'Egress']);
    expect(policy['egress']).toEqual([]);
  });

  it('admits the Gaim\'s own namespace and the operator\'s pods — not every pod of the operator\'s namespace', () => {
    const form = { images: PINNED_IMAGES, startupBaseSeconds: 300, operatorPods: { 'app.kubernetes.io/name': 'gaim-operator', 'app.kubernetes.io/instance': 'prod' } };
    const policy = byKind(desiredObjects(gaim(), BUILT_IN_TIERS.small, {}, 'gaim-system', form), 'NetworkPolicy')[0]?.['spec'] as { ingress: { from: unknown[] }[] };
    // One peer with both selectors: a pod must be in the operator's namespace AND carry the operator's labels.
    expect(policy.ingress[0]?.from).toEqual([
      { podSelector: {} },
      { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'gaim-system' } }, podSelector: { matchLabels: { 'app.kubernetes.io/name': 'gaim-operator', 'app.kubernetes.io/instance': 'prod' } } },
    ]);
  });

  it('publishes connection details an app can use verbatim: authSource=admin for the app user', () => {
    const data = byKind(objects(gaim({ environments: ['stage', 'prod'] })), 'ConfigMap')[0]?.['data'] as Record<string, string>;
    expect(data['mongodb.authSource']).toBe('admin');
    expect(data['prod.mongodb.uri']).toBe('mongodb://marvin-mongodb.marvin.svc.cluster.local:27017/lco-gaim-prod?authSource=admin');
  });
});

describe('the seed Job', () => {
  const job = (settings = seedSettings) => seedStorageJob(gaim({ environments: ['stage', 'prod'] }), 'abc', 2, settings) as KubeObject & {
    metadata: { name: string; labels: Record<string, string> };
    spec: { backoffLimit: number; template: { spec: { initContainers?: Record<string, unknown>[]; containers: Record<string, unknown>[]; securityContext: Record<string, unknown> } } };
  };

  it('is one Job per attempt, and leaves retrying to the operator', () => {
    expect(job().metadata.name).toBe('marvin-seed-storage-abc-2');
    expect(job().metadata.labels['gaim.livingcontent.io/seed-attempt']).toBe('2');
    expect(seedStorageJob(gaim(), 'abc', 1, seedSettings).metadata?.name).toBe('marvin-seed-storage-abc');
    expect(job().spec.backoffLimit).toBe(0);
  });

  it('prepares the share as root with only CHOWN and FOWNER, then seeds as the storage uid/gid', () => {
    const pod = job({ ...seedSettings, storageUid: 2000, storageGid: 3000 }).spec.template.spec;
    const [prepare] = pod.initContainers ?? [];
    expect(prepare?.['args']).toEqual(['prepare-share', '--root=/data', '--environments=stage,prod', '--uid=2000', '--gid=3000']);
    expect(prepare?.['securityContext']).toEqual({
      runAsUser: 0, runAsGroup: 0, runAsNonRoot: false, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'], add: ['CHOWN', 'FOWNER'] },
    });
    expect(pod.containers[0]?.['securityContext']).toMatchObject({ runAsUser: 2000, runAsGroup: 3000, runAsNonRoot: true, capabilities: { drop: ['ALL'] } });
    // fsGroup is not applied to NFS volumes: the pod does not pretend it is.
    expect(pod.securityContext).not.toHaveProperty('fsGroup');
  });

  it('has no preparation step when it is turned off, so the pod passes the restricted level', () => {
    expect(job({ ...seedSettings, prepareShares: false }).spec.template.spec.initContainers).toBeUndefined();
  });

  it('counts the seed\'s deadline from its own start, the Job\'s only as a backstop that also covers provisioning its claim', () => {
    const seeding = job({ ...seedSettings, seedDeadlineSeconds: 120 });
    expect(seeding.spec.template.spec.containers[0]?.['args']).toContain('--deadline-seconds=120');
    expect((seeding.spec as { activeDeadlineSeconds?: number }).activeDeadlineSeconds).toBe(120 + 3600);
  });

  it('pulls the operator\'s image with the pull Secrets the settings name, and with none by default', () => {
    expect((job({ ...seedSettings, imagePullSecrets: ['registry-a', 'registry-b'] }).spec.template.spec as { imagePullSecrets?: unknown }).imagePullSecrets).toEqual([{ name: 'registry-a' }, { name: 'registry-b' }]);
    expect(job(seedSettings).spec.template.spec).not.toHaveProperty('imagePullSecrets');
  });
});

describe('tierSizes', () => {
  it('takes a tier from the registry and falls back to built-in sizes per app', () => {
    const sizes = tierSizes('medium', { mongodb: { tier_defaults: { medium: { cpu: '2', memory: '4Gi', storage: '80Gi' } } } });
    expect(sizes.mongodb).toEqual({ cpu: '2', memory: '4Gi', storage: '80Gi' });
    expect(sizes.redis).toEqual(BUILT_IN_TIERS.medium.redis);
  });
});

describe('needsApply', () => {
  const desired: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', namespace: 'n', labels: { x: '1' } }, data: { k: 'v' } };

  it('is false when the observed object carries what was applied plus server-added fields', () => {
    const observed = withAppliedHash(desired);
    expect(needsApply(desired, { ...observed, metadata: { ...observed.metadata, uid: 'u', resourceVersion: '9', labels: { x: '1', extra: 'y' } } })).toBe(false);
  });

  it('is true when the object is missing, hand-edited, or the desired object changed', () => {
    const observed = withAppliedHash(desired);
    expect(needsApply(desired, undefined)).toBe(true);
    expect(needsApply(desired, { ...observed, data: { k: 'edited' } })).toBe(true);
    expect(needsApply({ ...desired, data: {} }, observed)).toBe(true); // a field the operator stopped setting
  });

  it('treats quantities written differently as equal, and omitted zero values as present', () => {
    expect(isSubset({ cpu: '1000m', memory: '1024Mi', flag: false, list: [] }, { cpu: '1', memory: '1Gi' })).toBe(true);
    expect(isSubset({ cpu: '500m' }, { cpu: '1' })).toBe(false);
    expect(isSubset({ image: 'mongo:7.0' }, { image: 'mongo:7' })).toBe(false);
  });
});
