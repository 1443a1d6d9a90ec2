// The operator in the integration tests runs as it runs in a cluster: as the Helm chart's
// ServiceAccount, with the chart's RBAC (not cluster-admin), its token and CA mounted where a pod
// has them, and KUBERNETES_SERVICE_HOST set, so it takes its in-cluster path.
import { execFile } from 'node:child_process';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { KubeConfig } from '@kubernetes/client-node';
import { repoRoot, type StackEnv } from './stack.js';

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

/** Renders the chart's ServiceAccount and RBAC, applies them, and mints the account's token. */
export async function installOperatorAccount(env: StackEnv, runDir: string): Promise<OperatorAccount> {
  const bin = join(repoRoot, 'bin');
  const kube = { env: { ...process.env, KUBECONFIG: env.KUBECONFIG } };
  await run(join(bin, 'kubectl'), ['create', 'namespace', OPERATOR_NAMESPACE], kube).catch(() => undefined);
  const { stdout } = await run(join(bin, 'helm'), ['template', RELEASE, join(repoRoot, 'helm', 'gaim-operator'), '-n', OPERATOR_NAMESPACE,
    '--set', 'crds.install=false', '--show-only', 'templates/serviceaccount.yaml', '--show-only', 'templates/rbac.yaml'], kube);
  const manifests = join(runDir, 'operator-rbac.yaml');
  await writeFile(manifests, stdout);
  await run(join(bin, 'kubectl'), ['apply', '--server-side', '-n', OPERATOR_NAMESPACE, '-f', manifests], kube);
  const serviceAccount = `${RELEASE}-gaim-operator`;
  const token = (await run(join(bin, 'kubectl'), ['create', 'token', serviceAccount, '-n', OPERATOR_NAMESPACE, '--duration=48h'], kube)).stdout.trim();
  const dir = join(runDir, 'operator-serviceaccount');
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'token'), token, { mode: 0o600 });
  const config = new KubeConfig();
  config.loadFromFile(env.KUBECONFIG);
  const cluster = config.getCurrentCluster();
  await copyFile(cluster?.caFile ?? '', join(dir, 'ca.crt'));
  const server = new URL(cluster?.server ?? '');
  return { namespace: OPERATOR_NAMESPACE, serviceAccount, dir, host: server.hostname, port: server.port };
}
