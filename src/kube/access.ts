// How the client reaches and authenticates to the API server. In a pod, that is the service
// account's token and CA, read directly; anywhere else, a kubeconfig, read by @kubernetes/client-node.
//
// Why not KubeConfig in the pod too: importing @kubernetes/client-node loads its whole generated
// API, about 85 MiB of RSS and 30 MiB of heap measured on Node 24 (hack/bench prints the operator's
// memory), which is most of the operator's budget; in a pod the token file is all it needs.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';

export interface TlsOptions {
  readonly ca?: Buffer;
  readonly cert?: Buffer;
  readonly key?: Buffer;
  readonly rejectUnauthorized?: boolean;
  readonly servername?: string;
}

export interface ClusterAccess {
  /** The API server's base URL, without a trailing slash. */
  readonly server: string;
  readonly tls: TlsOptions;
  /** The Authorization header for the next requests (tokens rotate, so callers re-ask every few seconds). */
  authorization(): Promise<string | undefined>;
  /** Where the credentials came from, for logs: never the credentials themselves. */
  readonly source: string;
}

/** Where the kubelet mounts a pod's service account token and CA. */
export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/**
 * In a pod (KUBERNETES_SERVICE_HOST set, no KUBECONFIG): the service account mounted in
 * `serviceAccountDir`. Otherwise the kubeconfig from KUBECONFIG or ~/.kube/config, as kubectl would
 * choose it (client-node reads KUBECONFIG from the process environment).
 */
export async function loadClusterAccess(serviceAccountDir: string = SERVICE_ACCOUNT_DIR, env: NodeJS.ProcessEnv = process.env): Promise<ClusterAccess> {
  const host = env['KUBERNETES_SERVICE_HOST'];
  if (host !== undefined && host !== '' && (env['KUBECONFIG'] ?? '') === '') {
    return inClusterAccess(host, env['KUBERNETES_SERVICE_PORT'] ?? '443', serviceAccountDir);
  }
  const { KubeConfig: Config } = await import('@kubernetes/client-node');
  const kubeConfig = new Config();
  kubeConfig.loadFromDefault();
  return kubeConfigAccess(kubeConfig);
}

export async function inClusterAccess(host: string, port: string, dir: string): Promise<ClusterAccess> {
  const tokenFile = join(dir, 'token');
  const ca = await readFile(join(dir, 'ca.crt')).catch((error: unknown) => {
    throw new Error(`cannot read the service account CA ${join(dir, 'ca.crt')}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  });
  await readFile(tokenFile); // fail at start-up, not on the first request
  return {
    server: `https://${host.includes(':') ? `[${host}]` : host}:${port}`,
    tls: { ca },
    source: `service account (${dir})`,
    // Bound tokens are rotated by the kubelet in place; read the file each time asked.
    authorization: async () => `Bearer ${(await readFile(tokenFile, 'utf8')).trim()}`,
  };
}

/** A kubeconfig's current context: client certificates, tokens, exec and auth-provider plugins. */
export async function kubeConfigAccess(kubeConfig: KubeConfig): Promise<ClusterAccess> {
  const { HttpMethod, RequestContext } = await import('@kubernetes/client-node');
  const cluster = kubeConfig.getCurrentCluster();
  if (cluster === null) throw new Error('kubeconfig has no current cluster');
  const https: { ca?: Buffer; cert?: Buffer; key?: Buffer; rejectUnauthorized?: boolean; servername?: string } = {};
  await kubeConfig.applyToHTTPSOptions(https as Parameters<KubeConfig['applyToHTTPSOptions']>[0]);
  const tls = Object.fromEntries((['ca', 'cert', 'key', 'rejectUnauthorized', 'servername'] as const)
    .filter((key) => https[key] !== undefined)
    .map((key) => [key, https[key]])) as TlsOptions;
  const server = cluster.server.replace(/\/+$/, '');
  return {
    server,
    tls,
    source: `kubeconfig context ${kubeConfig.getCurrentContext()}`,
    authorization: async () => {
      const context = new RequestContext(server, HttpMethod.GET);
      await kubeConfig.applySecurityAuthentication(context);
      return Object.entries(context.getHeaders()).find(([k]) => k.toLowerCase() === 'authorization')?.[1];
    },
  };
}
