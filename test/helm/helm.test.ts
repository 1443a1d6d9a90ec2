// The Helm chart against the real API server: it lints and renders, the rendered manifests pass a
// server-side dry run, a wrong value is refused by values.schema.json, and its RBAC is exactly
// enough: the operator running as the chart's ServiceAccount reconciles a Gaim to Synced, and the
// same run with one needed verb removed fails with a Forbidden that names it.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse, parseAllDocuments } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/kube/objects.js';
import { Resources } from '../../src/kube/resources.js';
import { repoRoot, STACK_NFS_PATH_TEMPLATE, STACK_NFS_SERVERS, STACK_OPERATOR_IMAGE, STACK_STORE_REPOSITORIES } from '../../stack/stack.js';
import { kubectl } from '../support/crd.js';
import { createGaim, createGaimOnBlockedShare } from '../support/gaims.js';
import { condition, isSynced, waitForGaim } from '../support/operator.js';
import { adminKubeConfig, createNamespace, eventually, stackEnv } from '../support/stack.js';
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

  it('keeps one replica through a drain with two, and never blocks a drain with one', async () => {
    const budget = async (replicas: number) => {
      const rendered = await helm('template', 'gaim', chart, '--set', `replicaCount=${String(replicas)}`);
      expect(rendered.ok, rendered.output).toBe(true);
      return parseAllDocuments(rendered.output).map((d) => d.toJS() as { kind?: string; spec?: { minAvailable?: number } }).find((d) => d.kind === 'PodDisruptionBudget');
    };
    expect((await budget(2))?.spec?.minAvailable).toBe(1);
    // minAvailable 1 of 1 would refuse every eviction: kubectl drain and GKE's node upgrades wait on it.
    expect(await budget(1)).toBeUndefined();
  });

  it('gives the seed and maintenance Jobs the chart\'s image pull Secrets', async () => {
    const env = async (...set: string[]) => {
      const rendered = await helm('template', 'gaim', chart, '--show-only', 'templates/deployment.yaml', ...set.flatMap((s) => ['--set', s]));
      expect(rendered.ok, rendered.output).toBe(true);
      const deployment = parse(rendered.output) as { spec: { template: { spec: { containers: { env: { name: string; value?: string }[] }[] } } } };
      return deployment.spec.template.spec.containers[0]?.env.find((e) => e.name === 'GAIM_IMAGE_PULL_SECRETS')?.value;
    };
    expect(await env('imagePullSecrets[0].name=registry-a', 'imagePullSecrets[1].name=registry-b')).toBe('registry-a,registry-b');
    expect(await env()).toBe('');
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

  it('renders least privilege in both modes: Secrets only by name, cluster rights only for volumes and classes', async () => {
    type Rule = { apiGroups: string[]; resources: string[]; verbs: string[] };
    type Doc = { kind: string; metadata: { namespace?: string }; rules?: Rule[] };
    const render = async (...set: string[]) => {
      const out = await helm('template', 'g', chart, '-n', 'ops', '--show-only', 'templates/rbac.yaml', ...set.flatMap((v) => ['--set', v]));
      expect(out.ok, out.output).toBe(true);
      return parseAllDocuments(out.output).map((d) => d.toJS() as Doc).filter((d) => d.rules !== undefined);
    };
    const verbsOf = (docs: Doc[], kind: string, resource: string, namespace?: string) =>
      docs.filter((d) => d.kind === kind && (namespace === undefined || d.metadata.namespace === namespace))
        .flatMap((d) => d.rules ?? []).filter((r) => r.resources.includes(resource)).flatMap((r) => r.verbs);

    const clusterWide = await render();
    expect(verbsOf(clusterWide, 'ClusterRole', 'secrets')).toEqual(['get', 'create', 'patch', 'delete']);
    expect(verbsOf(clusterWide, 'ClusterRole', 'persistentvolumes')).toEqual(['get', 'list', 'watch', 'patch']); // no static NFS: no create or delete
    expect(verbsOf(clusterWide, 'ClusterRole', 'storageclasses')).toEqual(['get']);

    const namespaced = await render('operator.watchNamespaces={team-a,team-b}');
    expect(verbsOf(namespaced, 'ClusterRole', 'secrets')).toEqual([]);
    expect(namespaced.filter((d) => d.kind === 'ClusterRole').flatMap((d) => d.rules ?? []).flatMap((r) => r.resources).sort())
      .toEqual(['gaimbackuprecords', 'gaimbackuprecords/finalizers', 'gaimbackuprecords/status', 'namespaces', 'persistentvolumes', 'storageclasses', 'volumesnapshotclasses', 'volumesnapshotcontents']);
    // The release namespace too: the backup catalog's credentials copies, held claims and snapshots live there.
    for (const ns of ['team-a', 'team-b', 'ops']) expect(verbsOf(namespaced, 'Role', 'secrets', ns)).toEqual(['get', 'create', 'patch', 'delete']);

    const withNfs = await render('operator.nfs.servers={10.0.0.2}', 'operator.nfs.pathTemplate=/vol1/gaims/{namespace}');
    expect(verbsOf(withNfs, 'ClusterRole', 'persistentvolumes')).toEqual(['get', 'list', 'watch', 'patch', 'create', 'delete']);
    // Nowhere, in any mode, a listing of Secrets.
    for (const docs of [clusterWide, namespaced, withNfs]) {
      expect(docs.flatMap((d) => d.rules ?? []).filter((r) => r.resources.includes('secrets')).flatMap((r) => r.verbs)).not.toContain('list');
    }
  });

  describe('RBAC', () => {
    let releaseNs = '';
    let account = '';
    beforeAll(async () => {
      releaseNs = await createNamespace('gaim-system');
      const installed = await helm('install', 'gaim', chart, '-n', releaseNs, '--set', 'crds.install=false', '--set', 'replicaCount=1', '--wait=false',
        // The static NFS shares the stack's operators allow: their PersistentVolume rights come with them;
        // the operator's image and store images as the stack runs them: its admission policy allows them.
        '--set', `operator.nfs.servers={${STACK_NFS_SERVERS.join(',')}}`, '--set', `operator.nfs.pathTemplate=${STACK_NFS_PATH_TEMPLATE}`,
        '--set', `image.repository=${STACK_OPERATOR_IMAGE.split(':')[0] ?? ''}`, '--set', `image.tag=${STACK_OPERATOR_IMAGE.split(':')[1] ?? ''}`,
        '--set', `operator.images.allowedRepositories={${STACK_STORE_REPOSITORIES.join(',')}}`);
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
      suite.operator(ns, { ...pod, POD_NAMESPACE: releaseNs, GAIM_LEASE_NAMESPACE: releaseNs, GAIM_LEADER_ELECT: 'true', GAIM_LEASE_NAME: `leader-${ns.split(',')[0] ?? ''}` });

    it('is enough to reconcile a Gaim to Synced as the chart\'s ServiceAccount', async () => {
      const ns = await createNamespace('helm-rbac');
      const operator = await operatorAs(ns, await serviceAccountPod());
      await createGaim(suite.client, ns, 'rbac');
      await waitForGaim(suite.client, ns, 'rbac', 'to be Synced as the ServiceAccount', isSynced, 90_000);
      // It took the in-cluster path (token file and CA), not a kubeconfig.
      expect(operator.records.find((r) => r['msg'] === 'gaim-operator starting')).toMatchObject({ credentials: expect.stringMatching(/^service account/) as unknown });
    });

    it('uses every verb the chart grants it, and no other, through the life of its Gaims', async () => {
      const [a = '', b = '', c = '', d = ''] = await Promise.all(['life-a', 'life-b', 'life-c', 'life-d'].map((prefix) => createNamespace(prefix)));
      const operator = await operatorAs(`${a},${b},${c},${d}`, await serviceAccountPod());
      // alpha: a static share (Delete policy) where `stage` is a file: its seed fails, then is retried.
      const share = await createGaimOnBlockedShare(suite.client, a, 'alpha', { deletionPolicy: 'Delete' });
      await createGaim(suite.client, b, 'beta');
      // gamma: a claim the driver refuses stays Pending, and the operator reads its events to say why.
      await createGaim(suite.client, c, 'gamma', { lancedb: { storage: { storageClassName: 'enterprise-multishare-rwx', size: '50Gi' } } });
      // delta: backed up every minute, one kept (the operator creates GaimBackups, their snapshots of its
      // multishare share too, records them in the catalog, and deletes the oldest); its deletion takes a
      // final backup (deletionPolicy Snapshot).
      const delta = await createGaim(suite.client, d, 'delta', { lancedb: { storage: { storageClassName: 'enterprise-multishare-rwx', size: '100Gi' } }, backup: { schedule: '* * * * *', keep: 1 } });
      await waitForGaim(suite.client, a, 'alpha', 'to fail its seed', (g) => g.status?.errorType === 'storage', 90_000);
      await share.unblock();
      for (const [ns, name] of [[a, 'alpha'], [b, 'beta'], [d, 'delta']] as const) await waitForGaim(suite.client, ns, name, 'to be Synced', isSynced, 120_000);
      await waitForGaim(suite.client, c, 'gamma', 'to say why its claim is Pending', (g) => (condition(g, 'StorageReady')?.message ?? '').includes('ProvisioningFailed'), 60_000);
      await eventually('delta\'s second scheduled backup to complete and the first to be pruned', async () => {
        const backups = (await suite.client.list<KubeObject & { status?: { phase?: string } }>(Resources.gaimBackup, { namespace: d })).items;
        return operator.records.some((r) => r['msg'] === 'deleted a backup beyond the retention') && backups.length === 1 && backups[0]?.status?.phase === 'Completed' ? true : undefined;
      }, 240_000);
      // beta's credentials rotated (its Secrets patched, its stores' users changed), under the admission policy too.
      await suite.client.mergePatch(Resources.gaim, 'beta', b, { metadata: { annotations: { 'gaim.livingcontent.io/rotate-credentials': 'life-1' } } });
      await waitForGaim(suite.client, b, 'beta', 'to have rotated its credentials', (g) => (g.status as { rotateCredentialsHandled?: string } | undefined)?.rotateCredentialsHandled === 'life-1', 90_000);
      await suite.client.mergePatch(Resources.gaim, 'delta', d, { spec: { deletionPolicy: 'Snapshot', backup: null } });
      await waitForGaim(suite.client, d, 'delta', 'to see deletionPolicy Snapshot', (g) => g.status?.observedGeneration === 2, 60_000);
      // beta: Redis switched off (its workload goes), then deletionPolicy Delete (its volumes get their class's policy back), then deleted.
      await suite.client.mergePatch(Resources.gaim, 'beta', b, { spec: { redis: { enabled: false } } });
      await eventually('beta\'s Redis to be removed', async () => ((await suite.client.list(Resources.statefulSet, { namespace: b })).items.length === 1 ? true : undefined), 60_000);
      await suite.client.mergePatch(Resources.gaim, 'beta', b, { spec: { deletionPolicy: 'Delete' } });
      await waitForGaim(suite.client, b, 'beta', 'to see deletionPolicy Delete', (g) => g.status?.observedGeneration === 3, 60_000);
      // gamma keeps its data (Retain): its Secrets lose their owner references.
      for (const [ns, name] of [[b, 'beta'], [d, 'delta'], [a, 'alpha'], [c, 'gamma']] as const) {
        await suite.client.delete(Resources.gaim, name, ns);
        await eventually(`${name} to be finalized`, async () => suite.client.get(Resources.gaim, name, ns).then(() => undefined, () => true), 60_000);
      }
      // delta comes back from its final backup (the catalog's record, bound through static contents),
      // and that backup is deleted with its record (its snapshots go back to the driver).
      const final = (await suite.client.list<KubeObject>(Resources.gaimBackup, { namespace: d })).items.map((x) => x.metadata?.name ?? '').find((n) => n.startsWith('delta-final-')) ?? '';
      await createGaim(suite.client, d, 'delta', { gaimId: (delta['spec'] as { gaimId: string }).gaimId, lancedb: { storage: { storageClassName: 'enterprise-multishare-rwx', size: '100Gi' } }, restoreFrom: { backup: final } });
      await waitForGaim(suite.client, d, 'delta', 'to be restored and Synced', isSynced, 180_000);
      await suite.client.delete(Resources.gaimBackup, final, d);
      await eventually('the final backup\'s record to go', async () => suite.client.get(Resources.gaimBackupRecord, `${d}.${final}`).then(() => undefined, () => true), 60_000);
      await suite.client.delete(Resources.gaim, 'delta', d);
      await eventually('delta to be finalized again', async () => suite.client.get(Resources.gaim, 'delta', d).then(() => undefined, () => true), 60_000);

      const used = requestsOf(await operator.metrics());
      expect(used.filter((r) => r.code === '403'), 'requests the chart\'s RBAC or its admission policy refused').toEqual([]);
      // Discovery (the served snapshot APIs, at start) is a non-resource URL every authenticated user may read.
      const usedVerbs = new Set(used.filter((r) => r.resource !== 'discovery').flatMap((r) => rbacVerbs(r.verb, r.code).map((v) => `${v} ${r.resource}`)));
      const roles = [
        await suite.client.get<KubeObject & { rules: { resources: string[]; verbs: string[] }[] }>(Resources.clusterRole, 'gaim-gaim-operator'),
        await suite.client.request<KubeObject & { rules: { resources: string[]; verbs: string[] }[] }>('GET', 'roles', 'GET', `/apis/rbac.authorization.k8s.io/v1/namespaces/${releaseNs}/roles/gaim-gaim-operator-leader-election`),
      ];
      const granted = roles.flatMap((role) => role.rules.flatMap((rule) => rule.resources.flatMap((resource) => rule.verbs.map((verb) => `${verb} ${resource}`))));
      // Granted but never a request of the operator's own: checked by the API server on another request.
      const notRequests: Record<string, string> = {
        'update gaims/finalizers': 'OwnerReferencesPermissionEnforcement: setting blockOwnerDeletion on an owned object',
        'update gaimbackups/finalizers': 'OwnerReferencesPermissionEnforcement: a backup\'s snapshots are owned by it, with blockOwnerDeletion',
        'update gaimbackuprecords/finalizers': 'OwnerReferencesPermissionEnforcement: a record\'s credentials copy is owned by it, with blockOwnerDeletion',
        'patch events': 'an aggregated event\'s series count, written when one repeats after 30 s (test/engine/events.test.ts)',
      };
      expect(granted.filter((g) => !usedVerbs.has(g) && notRequests[g] === undefined), 'granted and never used').toEqual([]);
      expect([...usedVerbs].filter((u) => !granted.includes(u)), 'used and not granted').toEqual([]);
    }, 600_000);

    it('lets a namespace\'s editors apply Gaims and GaimBackups and its viewers read them, through the built-in roles; neither reaches the catalog', async () => {
      const ns = await createNamespace('users');
      for (const [user, role] of [['alice', 'edit'], ['bob', 'view']] as const) {
        const bound = await kubectl(['create', 'rolebinding', `${user}-${role}`, `--clusterrole=${role}`, `--user=${user}`, '-n', ns]);
        expect(bound.ok, bound.output).toBe(true);
      }
      const can = async (user: string, verb: string, resource: string, namespaced = true, subresource?: string) =>
        (await kubectl(['auth', 'can-i', verb, resource, '--as', user, ...(namespaced ? ['-n', ns] : []), ...(subresource === undefined ? [] : [`--subresource=${subresource}`])])).output.trim().split('\n')[0] ?? '';
      // (The answer is stdout's one line; kubectl's warnings, such as a cluster-scoped resource asked
      // with a namespace from the kubeconfig, follow it on stderr.)
      // The clusterrole-aggregation controller folds gaim-edit and gaim-view into the built-in roles.
      await eventually('gaim-edit to be aggregated into edit', async () => ((await can('alice', 'create', 'gaims.gaim.livingcontent.io')) === 'yes' ? true : undefined));
      expect(await can('alice', 'create', 'gaimbackups.gaim.livingcontent.io')).toBe('yes');
      expect(await can('alice', 'delete', 'gaims.gaim.livingcontent.io')).toBe('yes');
      expect(await can('bob', 'list', 'gaims.gaim.livingcontent.io')).toBe('yes');
      expect(await can('bob', 'get', 'gaimbackups.gaim.livingcontent.io')).toBe('yes');
      expect(await can('bob', 'create', 'gaims.gaim.livingcontent.io')).toBe('no');
      expect(await can('alice', 'patch', 'gaims.gaim.livingcontent.io', true, 'status')).toBe('no'); // the operator writes status
      for (const user of ['alice', 'bob']) expect(await can(user, 'list', 'gaimbackuprecords.gaim.livingcontent.io', false)).toBe('no');
      // Only what the chart's roles add: gaim-view grants no Secret (the built-in view grants none either).
      expect(await can('bob', 'get', 'secrets')).toBe('no');
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

interface Request { readonly verb: string; readonly resource: string; readonly code: string }

/** rest_client_requests_total, as the operator counted its requests to the API server. */
function requestsOf(metrics: string): Request[] {
  return metrics.split('\n').flatMap((line) => {
    const match = /^rest_client_requests_total\{(.*)\} (\d+)/.exec(line);
    if (match === null || match[2] === '0') return [];
    const labels: Record<string, string> = Object.fromEntries([...(match[1] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1] ?? '', m[2] ?? '']));
    return [{ verb: labels['verb'] ?? '', resource: labels['resource'] ?? '', code: labels['code'] ?? '' }];
  });
}

/** The RBAC verbs a request needs: a server-side apply that creates its object needs create as well as patch. */
function rbacVerbs(verb: string, code: string): string[] {
  if (verb === 'APPLY') return code === '201' ? ['patch', 'create'] : ['patch'];
  return [verb.toLowerCase()];
}
