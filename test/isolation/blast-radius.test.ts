// An attacker holding the operator's token, on the stack's real API server with the chart's RBAC and
// admission policy: every escalation the operator's verbs would otherwise allow is refused by the API
// server, naming the rule — and with the policy's binding removed, each attempt succeeds, so the test
// has teeth. A release of its own (its own ServiceAccount, policy and binding), so removing its
// binding leaves every other test's operator under its policy.
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeClient } from '../../src/kube/client.js';
import { inClusterAccess } from '../../src/kube/access.js';
import { KubeApiError } from '../../src/kube/errors.js';
import type { KubeObject } from '../../src/kube/objects.js';
import { Resources, type Resource } from '../../src/kube/resources.js';
import { installOperatorAccount } from '../support/operator-account.js';
import { repoRoot, STACK_OPERATOR_IMAGE } from '../../stack/stack.js';
import { createGaim } from '../support/gaims.js';
import { isSynced, waitForGaim } from '../support/operator.js';
import { createNamespace, eventually, stackEnv } from '../support/stack.js';
import { useSuite } from '../support/suite.js';

const RELEASE = 'attack';
const POLICY_BINDING: Resource = { group: 'admissionregistration.k8s.io', version: 'v1', plural: 'validatingadmissionpolicybindings', kind: 'ValidatingAdmissionPolicyBinding', namespaced: false };

describe('a stolen operator token', () => {
  const suite = useSuite();
  let runDir = '';
  let releaseNs = '';
  let attacker: KubeClient | undefined;
  const token = () => { if (attacker === undefined) throw new Error('no attacker client'); return attacker; };

  beforeAll(async () => {
    runDir = await mkdtemp(join(repoRoot, '.run', 'attack-'));
    releaseNs = await createNamespace('attack-system');
    const account = await installOperatorAccount(stackEnv(), runDir, { release: RELEASE, namespace: releaseNs });
    attacker = await KubeClient.create(await inClusterAccess(account.host, account.port, account.dir), { userAgent: 'attacker' });
    // A new policy binding reaches the API server's admission through a watch: wait until it refuses.
    const probe = await createNamespace('probe');
    await eventually('the admission policy to be in force', async () => {
      const result = await attempt(Resources.secret, { apiVersion: 'v1', kind: 'Secret', type: 'Opaque', metadata: { name: 'probe', namespace: probe, labels: { 'app.kubernetes.io/managed-by': 'gaim-operator' } } });
      if (result.status === 201) await suite.client.delete(Resources.secret, 'probe', probe);
      return result.status === 403 ? true : undefined;
    });
  });
  afterAll(async () => {
    await attacker?.close();
    await rm(runDir, { recursive: true, force: true });
  });

  /** The escalations, each as the operator's verbs would allow it: what to create, and the rule that refuses it. */
  const escalations = (tenant: string): { what: string; resource: Resource; object: KubeObject; rule: string }[] => {
    const podSpec = (over: Record<string, unknown>, container: Record<string, unknown> = {}) => ({
      restartPolicy: 'Never', automountServiceAccountToken: false,
      containers: [{ name: 'c', image: STACK_OPERATOR_IMAGE, args: ['seed-storage', '--root=/data'], ...container }], ...over,
    });
    const job = (name: string, spec: Record<string, unknown>) => ({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name, namespace: tenant, labels: { 'app.kubernetes.io/managed-by': 'gaim-operator' } }, spec: { template: { spec } } });
    return [
      {
        what: 'a service-account token Secret for kube-system\'s default account (the token controller would fill it in)',
        resource: Resources.secret, rule: 'gaim-operator-scope/secret-type',
        object: { apiVersion: 'v1', kind: 'Secret', type: 'kubernetes.io/service-account-token', metadata: { name: 'stolen-token', namespace: 'kube-system', labels: { 'app.kubernetes.io/managed-by': 'gaim-operator' }, annotations: { 'kubernetes.io/service-account.name': 'default' } } },
      },
      {
        what: 'an Opaque Secret of another name', resource: Resources.secret, rule: 'gaim-operator-scope/secret-name',
        object: { apiVersion: 'v1', kind: 'Secret', type: 'Opaque', metadata: { name: 'payload', namespace: tenant, labels: { 'app.kubernetes.io/managed-by': 'gaim-operator' } }, stringData: { x: 'y' } },
      },
      {
        what: 'a Job running another image', resource: Resources.job, rule: 'gaim-operator-scope/job-image',
        object: job('other-image', podSpec({}, { image: 'busybox', args: ['seed-storage'] })),
      },
      {
        what: 'a Job running another command of the operator\'s image', resource: Resources.job, rule: 'gaim-operator-scope/job-command',
        object: job('other-command', podSpec({}, { command: ['sh', '-c', 'cat /var/run/secrets/*'], args: undefined })),
      },
      {
        what: 'a Job running as another ServiceAccount', resource: Resources.job, rule: 'gaim-operator-scope/job-account',
        object: job('other-account', podSpec({ serviceAccountName: 'deployer', automountServiceAccountToken: true })),
      },
      {
        what: 'a privileged Job on the host\'s filesystem', resource: Resources.job, rule: 'gaim-operator-scope/job-privilege',
        object: job('privileged', podSpec({ volumes: [{ name: 'root', hostPath: { path: '/' } }] }, { securityContext: { privileged: true } })),
      },
      {
        what: 'a StatefulSet running another image', resource: Resources.statefulSet, rule: 'gaim-operator-scope/statefulset-image',
        object: {
          apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'miner', namespace: tenant, labels: { 'app.kubernetes.io/managed-by': 'gaim-operator' } },
          spec: { serviceName: 'miner', selector: { matchLabels: { app: 'miner' } }, template: { metadata: { labels: { app: 'miner' } }, spec: { containers: [{ name: 'c', image: 'evil.example/miner:1' }] } } },
        },
      },
      {
        what: 'an NFS PersistentVolume outside the allow-list (another tenant\'s directory)', resource: Resources.persistentVolume, rule: 'gaim-operator-scope/volume-nfs',
        object: {
          apiVersion: 'v1', kind: 'PersistentVolume',
          metadata: { name: `steal-${tenant}`, labels: { 'app.kubernetes.io/managed-by': 'gaim-operator', 'gaim.livingcontent.io/namespace': tenant, 'gaim.livingcontent.io/gaim': 'x' } },
          spec: { capacity: { storage: '1Gi' }, accessModes: ['ReadWriteMany'], persistentVolumeReclaimPolicy: 'Retain', storageClassName: '', nfs: { server: '10.0.0.2', path: '/vol1/gaims/another-tenant' } },
        },
      },
    ];
  };
  const attempt = async (resource: Resource, object: KubeObject) => {
    try {
      await token().create(resource, object);
      return { status: 201, message: '' };
    } catch (error: unknown) {
      return { status: error instanceof KubeApiError ? error.status : 0, message: error instanceof Error ? error.message : String(error) };
    }
  };

  it('is refused every escalation by the API server, with the rule named; without the policy each succeeds', async () => {
    const tenant = await createNamespace('victim');
    for (const { what, resource, object, rule } of escalations(tenant)) {
      const refused = await attempt(resource, object);
      expect([refused.status, refused.message.includes(rule)], `${what}: ${refused.message}`).toEqual([403, true]);
    }
    // Changing a Secret the operator did not make, and deleting a volume that is not its own, likewise.
    await suite.client.create(Resources.secret, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'app-mongodb-credentials', namespace: tenant }, stringData: { 'root-password': 'theirs' } });
    await expect(token().mergePatch(Resources.secret, 'app-mongodb-credentials', tenant, { stringData: { 'root-password': 'mine' } })).rejects.toThrow('gaim-operator-scope/secret-owner');

    // The teeth: the bindings removed, the very same requests go through (the operator's RBAC allows them all).
    const names = ['secrets', 'jobs', 'statefulsets', 'volumes'].map((kind) => `${RELEASE}-gaim-operator-scope-${kind}`);
    const bindings = await Promise.all(names.map((name) => suite.client.get<KubeObject>(POLICY_BINDING, name)));
    for (const name of names) await suite.client.delete(POLICY_BINDING, name);
    try {
      const other = await createNamespace('victim-unbound');
      for (const { what, resource, object } of escalations(other)) {
        const name = `${object.metadata?.name ?? ''}-2`;
        const named: KubeObject = { ...object, metadata: { ...object.metadata, name } };
        const allowed = await eventuallyAllowed(() => attempt(resource, named));
        expect(allowed.status, `${what}: ${allowed.message}`).toBe(201);
        await suite.client.delete(resource, name, resource.namespaced ? object.metadata?.namespace : undefined).catch(() => undefined);
      }
    } finally {
      for (const { metadata, ...rest } of bindings) await suite.client.create(POLICY_BINDING, { ...rest, metadata: { name: metadata?.name, labels: metadata?.labels } });
    }
  }, 180_000);

  it('keeps the stores\' NetworkPolicy to the Gaim\'s namespace and the operator\'s own pods', async () => {
    await suite.operator();
    const ns = await createNamespace('netpol');
    await createGaim(suite.client, ns, 'net');
    await waitForGaim(suite.client, ns, 'net', 'to be Synced', isSynced, 120_000);
    const policy = await suite.client.get<KubeObject & { spec: { ingress: { from: unknown[] }[]; egress?: unknown[] } }>(Resources.networkPolicy, 'net-stores', ns);
    // The stack enforces no NetworkPolicy (no CNI): the selectors, as objects, are what a CNI enforces.
    expect(policy.spec.ingress[0]?.from).toEqual([
      { podSelector: {} },
      { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'gaim-system' } }, podSelector: { matchLabels: { 'app.kubernetes.io/name': 'gaim-operator' } } },
    ]);
    expect(policy.spec.egress ?? []).toEqual([]); // no rule: nothing leaves (the API server keeps no empty list)
  });
});

/** Admission changes take a moment to reach the API server's policy cache: the attempt again, until the policy is gone from its answer. */
async function eventuallyAllowed(attempt: () => Promise<{ status: number; message: string }>): Promise<{ status: number; message: string }> {
  for (let i = 0; i < 50; i++) {
    const result = await attempt();
    if (!result.message.includes('gaim-operator-scope')) return result;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return attempt();
}
