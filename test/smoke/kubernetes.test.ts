// Proves the local stack's Kubernetes is real: a real API server with RBAC, CRDs with a status
// subresource and server-side apply, and controllers + kwok that make workloads Ready and bind claims.
import {
  ApiextensionsV1Api,
  AppsV1Api,
  BatchV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
  RbacAuthorizationV1Api,
  Watch,
  setHeaderOptions,
  type KubernetesObject,
} from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { adminKubeConfig, apiStatus, createNamespace, eventually } from '../support/stack.js';

const group = 'smoke.gaim.test';
const plural = 'widgets';

interface Widget extends KubernetesObject {
  spec?: { size?: number; color?: string };
  status?: { phase?: string };
}

/** What a pod needs to land on one of kwok's nodes, which are tainted in the stack. */
const onKwok = { nodeSelector: { type: 'kwok' }, tolerations: [{ key: 'kwok.x-k8s.io/node', operator: 'Equal', value: 'fake', effect: 'NoSchedule' }] };

describe('kubernetes in the local stack', () => {
  const kc = adminKubeConfig();

  it('serves a CRD whose resources can be created, watched, server-side applied and status-patched', async () => {
    const ns = await createNamespace('smoke-crd');
    const crds = kc.makeApiClient(ApiextensionsV1Api);
    await crds.createCustomResourceDefinition({
      body: {
        metadata: { name: `${plural}.${group}` },
        spec: {
          group,
          scope: 'Namespaced',
          names: { plural, singular: 'widget', kind: 'Widget' },
          versions: [{
            name: 'v1',
            served: true,
            storage: true,
            subresources: { status: {} },
            schema: {
              openAPIV3Schema: {
                type: 'object',
                properties: {
                  spec: { type: 'object', properties: { size: { type: 'integer', minimum: 1 }, color: { type: 'string' } } },
                  status: { type: 'object', properties: { phase: { type: 'string' } } },
                },
              },
            },
          }],
        },
      },
    }).catch((error: unknown) => { if (apiStatus(error) !== 409) throw error; });
    await eventually('the CRD to be Established', async () => {
      const crd = await crds.readCustomResourceDefinition({ name: `${plural}.${group}` });
      return crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True') ? true : undefined;
    });

    // Right after a CRD is Established its watch cache may still be initialising and answer 429
    // with Retry-After; retry as an informer would.
    const seen: string[] = [];
    const objects = KubernetesObjectApi.makeApiClient(kc);
    let probes = 0;
    const watcher = await eventually('a watch on widgets to deliver events', async () => {
      let failed: Error | undefined;
      const controller = await new Watch(kc).watch(`/apis/${group}/v1/namespaces/${ns}/${plural}`, {},
        (phase, obj: Widget) => seen.push(`${phase} ${obj.metadata?.name ?? ''}`), (error: unknown) => (failed = error instanceof Error ? error : new Error('watch closed')));
      // Healthy means it delivers: a probe object's creation must arrive on it.
      const probe = `probe${String((probes += 1))}`;
      await objects.create({ apiVersion: `${group}/v1`, kind: 'Widget', metadata: { name: probe, namespace: ns }, spec: { size: 1 } });
      try {
        return await eventually(`the watch to see ${probe}`, () => {
          if (failed !== undefined) throw failed;
          return Promise.resolve(seen.includes(`ADDED ${probe}`) ? controller : undefined);
        }, 10_000);
      } catch (error: unknown) {
        controller.abort();
        throw error;
      }
    });
    try {
      const widget: Widget = { apiVersion: `${group}/v1`, kind: 'Widget', metadata: { name: 'w1', namespace: ns }, spec: { size: 1 } };
      await objects.patch(widget, undefined, undefined, 'smoke-test', true, PatchStrategy.ServerSideApply);
      const applied = await objects.patch<Widget>({ ...widget, spec: { size: 2, color: 'blue' } },
        undefined, undefined, 'smoke-test', true, PatchStrategy.ServerSideApply);
      expect(applied.spec).toEqual({ size: 2, color: 'blue' });
      expect(applied.metadata?.managedFields?.map((f) => f.manager)).toContain('smoke-test');

      // The schema is enforced by the API server.
      await expect(objects.patch({ ...widget, spec: { size: 0 } }, undefined, undefined, 'smoke-test', true,
        PatchStrategy.ServerSideApply)).rejects.toMatchObject({ code: 422 });

      const custom = kc.makeApiClient(CustomObjectsApi);
      await custom.patchNamespacedCustomObjectStatus(
        { group, version: 'v1', namespace: ns, plural, name: 'w1', body: { status: { phase: 'Ready' } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
      const read = (await custom.getNamespacedCustomObject({ group, version: 'v1', namespace: ns, plural, name: 'w1' })) as Widget;
      expect(read.status?.phase).toBe('Ready');
      // A status write through the main resource is ignored: the subresource is real.
      await custom.patchNamespacedCustomObject(
        { group, version: 'v1', namespace: ns, plural, name: 'w1', body: { status: { phase: 'Hacked' } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
      const again = (await custom.getNamespacedCustomObject({ group, version: 'v1', namespace: ns, plural, name: 'w1' })) as Widget;
      expect(again.status?.phase).toBe('Ready');

      // Added, then modified by the second apply and by the status patch.
      await eventually('the watch to see the widget added and modified twice', () =>
        Promise.resolve(seen.filter((s) => s === 'MODIFIED w1').length >= 2 ? true : undefined), 10_000)
        .catch((error: unknown) => { throw new Error(`${String(error)}; the watch saw: ${seen.join(', ')}`); });
      expect(seen.filter((e) => e.endsWith(' w1'))[0]).toBe('ADDED w1');
    } finally {
      watcher.abort();
    }
  });

  it('runs a StatefulSet to a Ready pod on a kwok node with a Bound claim', async () => {
    const ns = await createNamespace('smoke-sts');
    const apps = kc.makeApiClient(AppsV1Api);
    const core = kc.makeApiClient(CoreV1Api);
    await apps.createNamespacedStatefulSet({
      namespace: ns,
      body: {
        metadata: { name: 'db' },
        spec: {
          serviceName: 'db',
          replicas: 1,
          selector: { matchLabels: { app: 'db' } },
          template: {
            metadata: { labels: { app: 'db' } },
            // kwok's nodes are tainted: the stack's own kubelet runs the operator's pods.
            spec: { ...onKwok, containers: [{ name: 'db', image: 'mongo:7.0', volumeMounts: [{ name: 'data', mountPath: '/data/db' }] }] },
          },
          volumeClaimTemplates: [{
            metadata: { name: 'data' },
            spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
          }],
        },
      },
    });
    await eventually('statefulset db to have 1 ready replica', async () => {
      const sts = await apps.readNamespacedStatefulSet({ name: 'db', namespace: ns });
      return sts.status?.readyReplicas === 1 ? true : undefined;
    });
    const pod = await core.readNamespacedPod({ name: 'db-0', namespace: ns });
    expect(pod.spec?.nodeName).toMatch(/^kwok-node-/);
    expect(pod.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
    const claim = await core.readNamespacedPersistentVolumeClaim({ name: 'data-db-0', namespace: ns });
    expect(claim.status?.phase).toBe('Bound');
    expect(claim.spec?.storageClassName).toBe('standard-rwo'); // GKE's default class
  });

  it('binds a Filestore claim only once a pod that uses it is scheduled (WaitForFirstConsumer), at the size the driver makes', async () => {
    const ns = await createNamespace('smoke-rwx');
    const core = kc.makeApiClient(CoreV1Api);
    const claim = (name: string, storageClassName: string, storage: string) => core.createNamespacedPersistentVolumeClaim({
      namespace: ns,
      body: { metadata: { name }, spec: { storageClassName, accessModes: ['ReadWriteMany'], resources: { requests: { storage } } } },
    });
    await claim('lancedb', 'enterprise-multishare-rwx', '100Gi');
    await claim('small', 'standard-rwx', '1Gi');
    await eventually('the PV controller to say it waits for a consumer', async () => {
      const events = await core.listNamespacedEvent({ namespace: ns, fieldSelector: 'involvedObject.name=lancedb' });
      return events.items.some((e) => e.reason === 'WaitForFirstConsumer') ? true : undefined;
    });
    expect((await core.readNamespacedPersistentVolumeClaim({ name: 'lancedb', namespace: ns })).status?.phase).toBe('Pending');

    for (const name of ['lancedb', 'small']) {
      await core.createNamespacedPod({
        namespace: ns,
        body: { metadata: { name: `uses-${name}` }, spec: { ...onKwok, containers: [{ name: 'c', image: 'busybox' }], volumes: [{ name: 'v', persistentVolumeClaim: { claimName: name } }] } },
      });
    }
    const bound = async (name: string) => eventually(`claim ${name} to be Bound`, async () => {
      const found = await core.readNamespacedPersistentVolumeClaim({ name, namespace: ns });
      return found.status?.phase === 'Bound' ? found : undefined;
    });
    const lancedb = await bound('lancedb');
    expect(lancedb.metadata?.annotations?.['volume.kubernetes.io/selected-node']).toMatch(/^kwok-node-/);
    const volume = await core.readPersistentVolume({ name: lancedb.spec?.volumeName ?? '' });
    expect(volume.spec?.accessModes).toEqual(['ReadWriteMany']);
    expect(volume.spec?.capacity?.['storage']).toBe('100Gi');
    // Filestore basic HDD rounds a small request up to its minimum, as the driver does.
    expect((await bound('small')).status?.capacity?.['storage']).toBe('100Gi');
  });

  it('runs a Job to completion', async () => {
    const ns = await createNamespace('smoke-job');
    const batch = kc.makeApiClient(BatchV1Api);
    await batch.createNamespacedJob({
      namespace: ns,
      body: {
        metadata: { name: 'once' },
        spec: {
          backoffLimit: 0,
          template: { spec: { ...onKwok, restartPolicy: 'Never', containers: [{ name: 'once', image: 'busybox' }] } },
        },
      },
    });
    await eventually('job once to complete', async () => {
      const job = await batch.readNamespacedJob({ name: 'once', namespace: ns });
      return job.status?.succeeded === 1 ? true : undefined;
    });
  });

  it('denies a ServiceAccount without rights and allows it after a RoleBinding (RBAC)', async () => {
    const ns = await createNamespace('smoke-rbac');
    const core = kc.makeApiClient(CoreV1Api);
    const rbac = kc.makeApiClient(RbacAuthorizationV1Api);
    await core.createNamespacedServiceAccount({ namespace: ns, body: { metadata: { name: 'reader' } } });
    await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'settings' }, data: { a: '1' } } });
    const token = await core.createNamespacedServiceAccountToken({
      name: 'reader', namespace: ns, body: { spec: { audiences: [], expirationSeconds: 600 } },
    });
    const cluster = kc.getCurrentCluster();
    if (cluster === null) throw new Error('admin kubeconfig has no cluster');
    const asReader = new KubeConfig();
    asReader.loadFromOptions({
      clusters: [cluster],
      users: [{ name: 'reader', token: token.status?.token ?? '' }],
      contexts: [{ name: 'reader', cluster: cluster.name, user: 'reader' }],
      currentContext: 'reader',
    });
    const readerCore = asReader.makeApiClient(CoreV1Api);

    const denied = await readerCore.listNamespacedConfigMap({ namespace: ns }).then(() => undefined, (e: unknown) => e);
    expect(apiStatus(denied)).toBe(403);
    expect(String((denied as { body?: unknown }).body)).toContain(`system:serviceaccount:${ns}:reader`);

    await rbac.createNamespacedRole({
      namespace: ns,
      body: { metadata: { name: 'read-configmaps' }, rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['list'] }] },
    });
    await rbac.createNamespacedRoleBinding({
      namespace: ns,
      body: {
        metadata: { name: 'reader-reads' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'read-configmaps' },
        subjects: [{ kind: 'ServiceAccount', name: 'reader', namespace: ns }],
      },
    });
    const list = await eventually('the RoleBinding to take effect', () => readerCore.listNamespacedConfigMap({ namespace: ns }));
    expect(list.items.map((c) => c.metadata?.name)).toContain('settings');
    // Still only what the Role grants.
    const stillDenied = await readerCore.listNamespacedSecret({ namespace: ns }).then(() => undefined, (e: unknown) => e);
    expect(apiStatus(stillDenied)).toBe(403);
  });
});
