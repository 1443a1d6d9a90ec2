// The user's own kubeconfig, chosen as kubectl chooses it, for tools that run on a workstation (the
// kubectl plugin): $KUBECONFIG (its files merged) or ~/.kube/config, its current context unless one
// is named, and that context's namespace unless one is named. Never a service account: a plugin
// acts with the rights of the person running it.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { errorMessage } from '../errors.js';
import { KubeClient, type ClientOptions } from './client.js';

export interface UserKubeConfigOptions {
  /** A kubeconfig file instead of $KUBECONFIG or ~/.kube/config (kubectl's --kubeconfig). */
  readonly kubeconfig?: string | undefined;
  /** A context instead of the current one (kubectl's --context). */
  readonly context?: string | undefined;
  /** A namespace instead of the context's (kubectl's -n). */
  readonly namespace?: string | undefined;
}

export interface UserCluster {
  readonly client: KubeClient;
  readonly context: string;
  /** The namespace asked for, else the context's, else `default`, as kubectl resolves it. */
  readonly namespace: string;
}

/** The kubeconfig cannot be read, or names no usable context: the user has to fix it, not retry. */
export class KubeConfigError extends Error {
  override name = 'KubeConfigError';
}

/** A client with the user's credentials (client certificates, tokens, exec plugins such as gke-gcloud-auth-plugin). */
export async function connectAsUser(options: UserKubeConfigOptions, clientOptions: ClientOptions, env: NodeJS.ProcessEnv = process.env): Promise<UserCluster> {
  const { KubeConfig } = await import('@kubernetes/client-node');
  const kubeConfig = new KubeConfig();
  const fromEnv = env['KUBECONFIG'] ?? '';
  const home = join(homedir(), '.kube', 'config');
  // client-node falls back to http://localhost:8080 when there is no file at all; kubectl does the
  // same and then fails with "connection refused", which does not say what is missing.
  if (options.kubeconfig === undefined && fromEnv === '' && !existsSync(home)) {
    throw new KubeConfigError(`cannot load a kubeconfig: KUBECONFIG is not set and ${home} does not exist`);
  }
  try {
    if (options.kubeconfig !== undefined) kubeConfig.loadFromFile(options.kubeconfig);
    else kubeConfig.loadFromDefault();
  } catch (error: unknown) {
    throw new KubeConfigError(`cannot load the kubeconfig ${options.kubeconfig ?? (fromEnv === '' ? home : fromEnv)}: ${errorMessage(error)}`, { cause: error });
  }
  if (options.context !== undefined) {
    if (kubeConfig.getContextObject(options.context) === null) {
      throw new KubeConfigError(`cannot use context ${options.context}: the kubeconfig has no such context (it has: ${kubeConfig.getContexts().map((c) => c.name).join(', ') || 'none'})`);
    }
    kubeConfig.setCurrentContext(options.context);
  }
  const context = kubeConfig.getCurrentContext();
  if (kubeConfig.getCurrentCluster() === null) {
    throw new KubeConfigError(`cannot use context ${context === '' ? '(none)' : context}: it names no cluster in the kubeconfig`);
  }
  const namespace = options.namespace ?? kubeConfig.getContextObject(context)?.namespace ?? 'default';
  return { client: await KubeClient.create(kubeConfig, clientOptions), context, namespace };
}
