// The operator's in-cluster credentials for the benchmarks: a service account bound to
// cluster-admin, its token and the cluster CA in a directory found through KUBERNETES_SERVICE_HOST.
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { KubeClient } from '../../src/kube/client.js';
import type { Stack } from '../../stack/stack.js';

/** A service account token and the cluster CA in a directory: the operator's in-cluster path. */
export async function podCredentials(client: KubeClient, stack: Stack, dir: string, name: string): Promise<Record<string, string>> {
  const ns = 'kube-system';
  await client.create({ group: '', version: 'v1', plural: 'serviceaccounts', kind: 'ServiceAccount', namespaced: true }, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace: ns } });
  await client.create({ group: 'rbac.authorization.k8s.io', version: 'v1', plural: 'clusterrolebindings', kind: 'ClusterRoleBinding', namespaced: false }, {
    apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
    subjects: [{ kind: 'ServiceAccount', name, namespace: ns }],
  });
  const request = await client.request<{ status: { token: string } }>('CREATE', 'serviceaccounts', 'POST',
    `/api/v1/namespaces/${ns}/serviceaccounts/${name}/token`, { body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 3 * 3600 } } });
  const cluster = stack.kubeConfig().getCurrentCluster();
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'token'), request.status.token);
  await copyFile(cluster?.caFile ?? '', join(dir, 'ca.crt'));
  const server = new URL(cluster?.server ?? '');
  return { KUBECONFIG: '', KUBERNETES_SERVICE_HOST: server.hostname, KUBERNETES_SERVICE_PORT: server.port, GAIM_SERVICE_ACCOUNT_DIR: dir };
}
