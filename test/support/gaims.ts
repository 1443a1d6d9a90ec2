import { randomUUID } from 'node:crypto';
import { KubeClient } from '../../src/kube/client.js';
import type { KubeObject } from '../../src/kube/objects.js';
import { Resources } from '../../src/kube/resources.js';
import { adminKubeConfig, stackEnv } from './stack.js';

/** A real client on the admin kubeconfig, for tests that create and change objects. */
export async function adminClient(): Promise<KubeClient> {
  return KubeClient.create(adminKubeConfig(), { userAgent: 'gaim-tests' });
}

export function gaimManifest(namespace: string, name: string, spec: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'gaim.livingcontent.io/v1alpha1',
    kind: 'Gaim',
    metadata: { name, namespace },
    spec: {
      gaimId: randomUUID(),
      displayName: `Test ${name}`,
      environments: ['stage'],
      lancedb: { storage: { storageClassName: 'enterprise-multishare-rwx', size: '1Gi' } },
      ...spec,
    },
  };
}

/**
 * Creates a Gaim. Unless `generatedCredentials` is set, its credentials Secrets are created first
 * with the stack's store passwords — as a platform team may pre-create them; the operator keeps an
 * existing Secret — so the operator, reaching the stack's FerretDB and Redis through its address
 * overrides, can log in and seed them.
 */
export async function createGaim(client: KubeClient, namespace: string, name: string, spec: Record<string, unknown> = {}, options: { generatedCredentials?: boolean } = {}): Promise<KubeObject> {
  if (options.generatedCredentials !== true) {
    const env = stackEnv();
    const mongo = new URL(env.MONGODB_URL);
    const redis = new URL(env.REDIS_URL);
    const labels = { 'app.kubernetes.io/managed-by': 'gaim-operator', 'gaim.livingcontent.io/gaim': name };
    await client.create(Resources.secret, {
      apiVersion: 'v1', kind: 'Secret', metadata: { name: `${name}-mongodb-credentials`, namespace, labels },
      stringData: { 'root-username': decodeURIComponent(mongo.username), 'root-password': decodeURIComponent(mongo.password), 'app-username': `${name}-app`, 'app-password': 'app-password' },
    });
    await client.create(Resources.secret, {
      apiVersion: 'v1', kind: 'Secret', metadata: { name: `${name}-redis-credentials`, namespace, labels },
      stringData: { password: decodeURIComponent(redis.password) },
    });
  }
  return client.create(Resources.gaim, gaimManifest(namespace, name, spec));
}
