import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ApiextensionsV1Api } from '@kubernetes/client-node';
import { repoRoot } from '../../stack/stack.js';
import { adminKubeConfig, eventually, stackEnv } from './stack.js';

const run = promisify(execFile);

/** Runs the stack's kubectl against the test stack; never throws, returns the combined output. */
export async function kubectl(args: string[], stdin?: string): Promise<{ ok: boolean; output: string }> {
  const child = run(join(repoRoot, 'bin', 'kubectl'), args, { env: { ...process.env, KUBECONFIG: stackEnv().KUBECONFIG } });
  if (stdin !== undefined) {
    child.child.stdin?.end(stdin);
  }
  try {
    const { stdout, stderr } = await child;
    return { ok: true, output: stdout + stderr };
  } catch (error: unknown) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    return { ok: false, output: stdout + stderr };
  }
}

/**
 * Installs the committed CRD as users do, with kubectl. (Not through KubernetesObjectApi: its
 * serializer maps fields by the client's model names and silently drops `enum` and the
 * `x-kubernetes-*` keys of a YAML-shaped schema.)
 */
export async function installCrd(): Promise<void> {
  const applied = await kubectl(['apply', '--server-side', '--field-manager=gaim-tests', '-f', join(repoRoot, 'crds')]);
  if (!applied.ok) throw new Error(`cannot install the Gaim CRD: ${applied.output}`);
  const crds = adminKubeConfig().makeApiClient(ApiextensionsV1Api);
  await eventually('the Gaim CRD to be Established', async () => {
    const current = await crds.readCustomResourceDefinition({ name: 'gaims.gaim.livingcontent.io' });
    return current.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True') ? true : undefined;
  });
  // Discovery (which kubectl needs) can lag the Established condition by a moment.
  await eventually('kubectl to discover gaims', async () => ((await kubectl(['get', 'gaims', '-A'])).ok ? true : undefined));
}

