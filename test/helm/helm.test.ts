// The Helm chart against the real API server: it lints and renders, the rendered manifests pass a
// server-side dry run, a wrong value is refused by values.schema.json, and its RBAC is exactly
// enough: the operator running as the chart's ServiceAccount reconciles a Gaim to Synced, and the
// same run with one needed verb removed fails with a Forbidden that names it.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/kube/objects.js';
import { Resources } from '../../src/kube/resources.js';
import { repoRoot } from '../stack/stack.js';
import { kubectl } from '../support/crd.js';
import { createGaim } from '../support/gaims.js';
import { isSynced, waitForGaim } from '../support/operator.js';
import { adminKubeConfig, createNamespace, stackEnv } from '../support/stack.js';
import { useSuite } from '../support/suite.js';

const run = promisify(execFile);
const chart = join(repoRoot, 'helm', 'gaim-operator');

async function helm(...args: string[]): Promise<{ ok: boolean; output: string }> {
  try {
    const { stdout, stderr } = await run(join(repoRoot, 'bin', 'helm'), args, { env: { ...process.env, KUBECONFIG: stackEnv().KUBECONFIG } });
    return { ok: true, output: stdout + stderr };
  } catch (error: unknown) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    return { ok: false, output: stdout + stderr };
  }
}

describe('helm chart', () => {
  const suite = useSuite();

  it('lints, renders, and passes a server-side dry run', async () => {
    expect((await helm('lint', chart, '--strict')).ok).toBe(true);
    const ns = await createNamespace('helm-dry');
    const rendered = await helm('template', 'gaim', chart, '-n', ns, '--kube-version', '1.34.4',
      '--set', 'serviceMonitor.enabled=false', '--set', 'serviceAccount.annotations.iam\\.gke\\.io/gcp-service-account=op@p.iam.gserviceaccount.com');
    expect(rendered.ok).toBe(true);
    const file = join(stackEnv().STACK_DIR, `rendered-${ns}.yaml`);
    await writeFile(file, rendered.output);
    const dryRun = await kubectl(['apply', '--server-side', '--dry-run=server', '--force-conflicts', '-n', ns, '-f', file]);
    expect(dryRun.output).not.toContain('error');
    expect(dryRun.ok).toBe(true);
    expect(dryRun.output).toContain('deployment.apps/gaim-gaim-operator serverside-applied (server dry run)');
    expect(dryRun.output).toContain('clusterrole.rbac.authorization.k8s.io/gaim-gaim-operator serverside-applied (server dry run)');
  });

  it('runs the operator pod under the restricted Pod Security standard', async () => {
    const ns = await createNamespace('helm-restricted');
    await suite.client.mergePatch(Resources.namespace, ns, undefined, { metadata: { labels: { 'pod-security.kubernetes.io/enforce': 'restricted', 'pod-security.kubernetes.io/enforce-version': 'latest' } } });
    const rendered = await helm('template', 'gaim', chart, '-n', ns, '--kube-version', '1.34.4', '--show-only', 'templates/deployment.yaml');
    const deployment = parse(rendered.output) as { spec: { template: { metadata: Record<string, unknown>; spec: Record<string, unknown> } } };
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'operator-pod', namespace: ns, labels: deployment.spec.template.metadata['labels'] }, spec: { ...deployment.spec.template.spec, serviceAccountName: 'default' } };
    // PodSecurity admission checks Pods: a server-side dry run of the operator's pod is refused if it is not restricted.
    const accepted = await suite.client.request<KubeObject>('CREATE', 'pods', 'POST', `/api/v1/namespaces/${ns}/pods`, { query: { dryRun: 'All' }, body: pod });
    expect(accepted.metadata?.name).toBe('operator-pod');
    // The check has teeth: the same pod running as root is refused.
    const rootPod = { ...pod, spec: { ...pod.spec, securityContext: { runAsNonRoot: false, runAsUser: 0, seccompProfile: { type: 'RuntimeDefault' } } } };
    await expect(suite.client.request('CREATE', 'pods', 'POST', `/api/v1/namespaces/${ns}/pods`, { query: { dryRun: 'All' }, body: rootPod }))
      .rejects.toThrow(/violates PodSecurity "restricted:latest"/);
  });

  it.each([
    [['--set', 'replicaCount=0'], "at '/replicaCount'"],
    [['--set', 'operator.workers=lots'], "at '/operator/workers'"],
    [['--set', 'operator.logLevel=loud'], "at '/operator/logLevel'"],
    [['--set', 'operator.leaderElektion=true'], 'additional properties \'leaderElektion\' not allowed'],
  ])('refuses a wrong value (%j) through values.schema.json', async (args, message) => {
    const result = await helm('template', 'gaim', chart, '--kube-version', '1.34.4', ...args);
    expect(result.ok).toBe(false);
    expect(result.output).toContain(message);
  });

  describe('RBAC', () => {
    let releaseNs = '';
    let account = '';
    beforeAll(async () => {
      releaseNs = await createNamespace('gaim-system');
      const installed = await helm('install', 'gaim', chart, '-n', releaseNs, '--set', 'crds.install=false', '--set', 'replicaCount=1', '--wait=false');
      expect(installed.output).toContain('STATUS: deployed');
      account = 'gaim-gaim-operator';
    });

    /**
     * What the kubelet would mount for the chart's ServiceAccount (a token and the cluster's CA), and
     * the environment of a pod: the operator takes its in-cluster path, as it does in the chart.
     */
    async function serviceAccountPod(): Promise<Record<string, string>> {
      const token = (await kubectl(['create', 'token', account, '-n', releaseNs, '--duration=1h'])).output.trim();
      const cluster = adminKubeConfig().getCurrentCluster();
      const dir = join(stackEnv().STACK_DIR, `sa-${randomBytes(4).toString('hex')}`);
      await mkdir(dir);
      await writeFile(join(dir, 'token'), token);
      await copyFile(cluster?.caFile ?? '', join(dir, 'ca.crt'));
      const server = new URL(cluster?.server ?? '');
      return { KUBECONFIG: '', KUBERNETES_SERVICE_HOST: server.hostname, KUBERNETES_SERVICE_PORT: server.port, GAIM_SERVICE_ACCOUNT_DIR: dir };
    }

    const operatorAs = (ns: string, pod: Record<string, string>) =>
      suite.operator(ns, { ...pod, POD_NAMESPACE: releaseNs, GAIM_LEASE_NAMESPACE: releaseNs, GAIM_LEADER_ELECT: 'true', GAIM_LEASE_NAME: `leader-${ns}` });

    it('is enough to reconcile a Gaim to Synced as the chart\'s ServiceAccount', async () => {
      const ns = await createNamespace('helm-rbac');
      const operator = await operatorAs(ns, await serviceAccountPod());
      await createGaim(suite.client, ns, 'rbac');
      await waitForGaim(suite.client, ns, 'rbac', 'to be Synced as the ServiceAccount', isSynced, 90_000);
      // It took the in-cluster path (token file and CA), not a kubeconfig.
      expect(operator.records.find((r) => r['msg'] === 'gaim-operator starting')).toMatchObject({ credentials: expect.stringMatching(/^service account/) as unknown });
    });

    it('has teeth: without one needed verb the reconcile fails with a Forbidden that names it', async () => {
      const role = await suite.client.get<KubeObject & { rules: { apiGroups: string[]; resources: string[]; verbs: string[] }[] }>(Resources.clusterRole, 'gaim-gaim-operator');
      const withoutPatch = role.rules.map((rule) => rule.resources.includes('statefulsets') ? { ...rule, verbs: rule.verbs.filter((v) => v !== 'patch') } : rule);
      await suite.client.mergePatch(Resources.clusterRole, 'gaim-gaim-operator', undefined, { rules: withoutPatch });
      try {
        const ns = await createNamespace('helm-rbac-no');
        await operatorAs(ns, await serviceAccountPod());
        await createGaim(suite.client, ns, 'denied');
        const failed = await waitForGaim(suite.client, ns, 'denied', 'to fail', (g) => g.status?.syncStatus === 'Failed');
        expect(failed.status?.errorType).toBe('kubernetes');
        expect(failed.status?.message).toContain('forbidden');
        expect(failed.status?.message).toContain('cannot patch resource "statefulsets" in API group "apps"');
      } finally {
        await suite.client.mergePatch(Resources.clusterRole, 'gaim-gaim-operator', undefined, { rules: role.rules });
      }
    });
  });
});
