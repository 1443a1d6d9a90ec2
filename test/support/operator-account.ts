// The operator in the integration tests runs as it runs in a cluster: as the Helm chart's
// ServiceAccount, with the chart's RBAC (not cluster-admin), its token and CA mounted where a pod
// has them, and KUBERNETES_SERVICE_HOST set, so it takes its in-cluster path.
import { execFile } from 'node:child_process';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { KubeConfig } from '@kubernetes/client-node';
import { repoRoot, STACK_NFS_PATH_TEMPLATE, STACK_NFS_SERVERS, STACK_OPERATOR_IMAGE, STACK_STORE_REPOSITORIES, type StackEnv } from '../../stack/stack.js';

const run = promisify(execFile);

export interface OperatorAccount {
  /** The operator's namespace (its Lease, its Role), as the chart's release namespace. */
  readonly namespace: string;
  readonly serviceAccount: string;
  /** A pod's service account directory: token and ca.crt. */
  readonly dir: string;
  readonly host: string;
  readonly port: string;
}

export const OPERATOR_NAMESPACE = 'gaim-system';
const RELEASE = 'stack';

/**
 * Renders the chart's ServiceAccount and RBAC (with `set`: chart values, such as a namespaced
 * mode's operator.watchNamespaces), applies them, and mints the account's token.
 */
export async function installOperatorAccount(env: StackEnv, runDir: string, options: { release?: string; namespace?: string; set?: readonly string[] } = {}): Promise<OperatorAccount> {
  const release = options.release ?? RELEASE;
  const namespace = options.namespace ?? OPERATOR_NAMESPACE;
  const bin = join(repoRoot, 'bin');
  const kube = { env: { ...process.env, KUBECONFIG: env.KUBECONFIG } };
  await run(join(bin, 'kubectl'), ['create', 'namespace', namespace], kube).catch(() => undefined);
  // The chart's values for what the stack's operators are allowed: static NFS (its PersistentVolume
  // rights), the operator's image as the stack runs it, the store images the tests use (one no
  // registry serves among them); the admission policy is rendered with them, as a release would be.
  const stackValues = [`operator.nfs.servers={${STACK_NFS_SERVERS.join(',')}}`, `operator.nfs.pathTemplate=${STACK_NFS_PATH_TEMPLATE}`,
    `image.repository=${STACK_OPERATOR_IMAGE.split(':')[0] ?? ''}`, `image.tag=${STACK_OPERATOR_IMAGE.split(':')[1] ?? ''}`,
    `operator.images.allowedRepositories={${STACK_STORE_REPOSITORIES.join(',')}}`];
  const { stdout } = await run(join(bin, 'helm'), ['template', release, join(repoRoot, 'helm', 'gaim-operator'), '-n', namespace,
    '--set', 'crds.install=false', ...[...stackValues, ...(options.set ?? [])].flatMap((value) => ['--set', value]),
    '--show-only', 'templates/serviceaccount.yaml', '--show-only', 'templates/rbac.yaml', '--show-only', 'templates/admission-policy.yaml'], kube);
  const manifests = join(runDir, `operator-rbac-${release}.yaml`);
  await writeFile(manifests, stdout);
  // Every object names its namespace (the release's, or a watched one's for a namespaced mode's Roles).
  await run(join(bin, 'kubectl'), ['apply', '--server-side', '-f', manifests], kube);
  const serviceAccount = `${release}-gaim-operator`;
  const token = (await run(join(bin, 'kubectl'), ['create', 'token', serviceAccount, '-n', namespace, '--duration=48h'], kube)).stdout.trim();
  const dir = join(runDir, `operator-serviceaccount-${release}`);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'token'), token, { mode: 0o600 });
  const config = new KubeConfig();
  config.loadFromFile(env.KUBECONFIG);
  const cluster = config.getCurrentCluster();
  await copyFile(cluster?.caFile ?? '', join(dir, 'ca.crt'));
  const server = new URL(cluster?.server ?? '');
  return { namespace, serviceAccount, dir, host: server.hostname, port: server.port };
}
