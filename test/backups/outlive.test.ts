// Backups that outlive their namespace and move between clusters, on the stack's real
// snapshot-controller and API server:
// - a deletionPolicy Snapshot Gaim whose namespace is deleted: the namespace goes within two minutes,
//   the final backup is taken outside it (from the kept volumes) into the catalog, and restores
//   elsewhere with the data;
// - a scheduled Gaim whose namespace is deleted: its backups stay in the catalog, listed, and one
//   restores elsewhere;
// - disaster recovery across two stacks that share the drivers' snapshot store (as two GKE clusters
//   of one project share its snapshots): a backup exported from one, imported into the other, and
//   restored there with its data and credentials.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { KubeClient } from '../../src/kube/client.js';
import type { KubeObject } from '../../src/kube/objects.js';
import { Resources } from '../../src/kube/resources.js';
import { installOperatorAccount } from '../support/operator-account.js';
import { operatorEnvFor, repoRoot, Stack } from '../../stack/stack.js';
import { backupObject, expectData, kubectlGaim, sample, waitForBackup, waitForRecord, writeData, type Backup } from '../support/backups.js';
import { createGaim, gaimManifest } from '../support/gaims.js';
import { OperatorProcess } from '../support/operator-process.js';
import { isSynced, waitForGaim } from '../support/operator.js';
import { createNamespace, eventually, stackEnv } from '../support/stack.js';
import { useSuite } from '../support/suite.js';

type Secret = KubeObject & { data?: Record<string, string> };

describe('backups that outlive their namespace and move between clusters', () => {
  const suite = useSuite();
  const gone = (ns: string) => eventually(`namespace ${ns} to be gone`, () => suite.client.get(Resources.namespace, ns).then(() => undefined, () => true), 120_000);

  it('keeps a Snapshot Gaim\'s final backup and a scheduled Gaim\'s backups when their namespaces are deleted, and restores them elsewhere', async () => {
    await suite.operator();
    const [snapNs, schedNs] = await Promise.all([createNamespace('snap'), createNamespace('sched')]);
    const snap = await createGaim(suite.client, snapNs, 'snap', { deletionPolicy: 'Snapshot' });
    const sched = await createGaim(suite.client, schedNs, 'sched', { backup: { schedule: '* * * * *', keep: 2 } });
    for (const [ns, name] of [[snapNs, 'snap'], [schedNs, 'sched']] as const) await waitForGaim(suite.client, ns, name, 'to be Synced', isSynced, 180_000);
    const [snapMarker, schedMarker] = await Promise.all([writeData(suite.client, snapNs, 'snap', 'stage'), writeData(suite.client, schedNs, 'sched', 'stage')]);
    const written = Date.now();
    // Snapshot and Retain Gaims keep their volumes whatever deletes the claims.
    const volumes = (await suite.client.list<KubeObject & { spec?: { persistentVolumeReclaimPolicy?: string } }>(Resources.persistentVolume, { labelSelector: `gaim.livingcontent.io/namespace=${snapNs}` })).items;
    expect(volumes.map((v) => v.spec?.persistentVolumeReclaimPolicy)).toEqual(['Retain', 'Retain', 'Retain']);
    const scheduled = await eventually('a scheduled backup taken after the data was written to complete', async () => {
      const items = (await suite.client.list<Backup>(Resources.gaimBackup, { namespace: schedNs })).items;
      return items.find((b) => b.status?.phase === 'Completed' && Date.parse(b.metadata?.creationTimestamp ?? '') >= written);
    }, 180_000);

    const deleted = Date.now();
    await Promise.all([suite.client.delete(Resources.namespace, snapNs), suite.client.delete(Resources.namespace, schedNs)]);
    await Promise.all([gone(snapNs), gone(schedNs)]);
    expect(Date.now() - deleted, 'both namespaces gone within two minutes').toBeLessThan(120_000);

    const finalName = `${snapNs}.snap-final-${(snap.metadata?.uid ?? '').slice(0, 8)}-kept`;
    const final = await waitForRecord(suite.client, finalName, 'Completed', 180_000);
    expect(final.spec.source.trigger).toBe('final');
    expect(final.spec.snapshots?.map((s) => s.store)).toEqual(['mongodb', 'redis', 'lancedb']);
    // deletionPolicy Snapshot: once backed up, the volumes go as Delete's would.
    await eventually('the final backup\'s volumes to be deleted', async () => ((await suite.client.list(Resources.persistentVolume, { labelSelector: `gaim.livingcontent.io/namespace=${snapNs}` })).items.length === 0 ? true : undefined), 120_000);
    const listed = await kubectlGaim(['backups', '-A']);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toMatch(new RegExp(`${finalName.replaceAll('.', '\\.')}\\s+${snapNs} \\(gone\\)\\s+snap\\s+\\S+\\s+final\\s+Completed`));
    expect(listed.stdout).toMatch(new RegExp(`${schedNs}\\.${scheduled.metadata?.name ?? ''}\\s+${schedNs} \\(gone\\)\\s+sched\\s+\\S+\\s+scheduled\\s+Completed`));

    // Each restores into a namespace of its own, allowed on its record by a platform administrator.
    await Promise.all([
      { record: finalName, gaim: snap, marker: snapMarker },
      { record: `${schedNs}.${scheduled.metadata?.name ?? ''}`, gaim: sched, marker: schedMarker },
    ].map(async ({ record, gaim, marker }) => {
      const name = gaim.metadata?.name ?? '';
      const target = await createNamespace(`back-${name}`);
      const allowed = await kubectlGaim(['backup', 'allow', record, '-n', target]);
      expect(allowed.code, allowed.stderr).toBe(0);
      const spec = gaim['spec'] as Record<string, unknown>;
      await suite.client.create(Resources.gaim, gaimManifest(target, name, { ...spec, backup: undefined, restoreFrom: { record } }));
      await waitForGaim(suite.client, target, name, `${name} to be restored and Synced`, isSynced, 240_000);
      await expectData(suite.client, target, name, 'stage', marker);
    }));
  }, 900_000);

  describe('disaster recovery into another cluster', () => {
    let second: Stack | undefined;
    let secondClient: KubeClient | undefined;
    let runDir = '';
    afterAll(async () => {
      await secondClient?.close();
      await second?.stop();
      if (runDir !== '') await rm(runDir, { recursive: true, force: true });
    });

    it('exports a backup from one cluster and restores it in another with its data and credentials', async () => {
      // The second cluster: a stack of its own that reads the first one's snapshot store.
      runDir = await mkdtemp(join(repoRoot, '.run', 'dr-site-'));
      const starting = Stack.start({ runDir, seedEntry: 'compiled', snapshotsDir: join(stackEnv().STACK_NODE_ROOT, 'snapshots') });

      await suite.operator();
      const ns = await createNamespace('dr');
      await suite.client.create(Resources.gaim, await sample('minimal.yaml', ns));
      await waitForGaim(suite.client, ns, 'marvin', 'to be Synced', isSynced, 180_000);
      const marker = await writeData(suite.client, ns, 'marvin', 'stage');
      await suite.client.create(Resources.gaimBackup, backupObject(ns, 'marvin-dr', 'marvin'));
      await waitForBackup(suite.client, ns, 'marvin-dr', 'Completed');
      await waitForRecord(suite.client, `${ns}.marvin-dr`);
      const credentials = await Promise.all(['mongodb', 'redis'].map(async (store) => (await suite.client.get<Secret>(Resources.secret, `marvin-${store}-credentials`, ns)).data));
      const file = join(runDir, 'marvin-dr.yaml');
      const exported = await kubectlGaim(['backup', 'export', `${ns}.marvin-dr`, '-o', file]);
      expect(exported.code, exported.stderr).toBe(0);
      expect(await readFile(file, 'utf8')).toContain('deletionPolicy: Retain');

      second = await starting;
      const env = second.env;
      secondClient = await KubeClient.create(second.kubeConfig(), { userAgent: 'gaim-tests' });
      const client = secondClient;
      const crds = await kubectlAt(env.KUBECONFIG, ['apply', '--server-side', '-f', join(repoRoot, 'crds')]);
      expect(crds).toBe(0);
      const account = await installOperatorAccount(env, runDir);
      const operator = suite.track(await OperatorProcess.start({
        script: 'src/main.ts', args: ['run'],
        env: {
          ...operatorEnvFor(env), KUBECONFIG: '', KUBERNETES_SERVICE_HOST: account.host, KUBERNETES_SERVICE_PORT: account.port, GAIM_SERVICE_ACCOUNT_DIR: account.dir,
          POD_NAMESPACE: account.namespace, GAIM_LEADER_ELECT: 'false', GAIM_CLUSTER_NAME: 'dr-site', FIRESTORE_EMULATOR_HOST: env.FIRESTORE_EMULATOR_HOST,
        },
      }));
      const imported = await kubectlGaim(['backup', 'import', '-f', file], env);
      expect(imported.code, imported.stderr).toBe(0);
      const record = await eventually('the imported record to be Completed', async () => {
        const found = await client.get<KubeObject & { status?: { phase?: string; message?: string } }>(Resources.gaimBackupRecord, `${ns}.marvin-dr`).catch(() => undefined);
        return found?.status?.phase === 'Completed' ? found : undefined;
      });
      expect(record.status?.message).toContain('imported: a backup taken in cluster default');
      // A second import of the same record is refused, and changes nothing.
      const again = await kubectlGaim(['backup', 'import', '-f', file], env);
      expect([again.code, again.stderr.trim()]).toEqual([1, `kubectl gaim: GaimBackupRecord ${ns}.marvin-dr already exists in this cluster: delete it first, or rename the record (and its Secret) in the file`]);

      // The same namespace, rebuilt in the other cluster: the record's own namespace needs no grant.
      await client.create(Resources.namespace, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns, labels: { 'pod-security.kubernetes.io/enforce': 'baseline' } } });
      await client.create(Resources.gaim, await sample('minimal.yaml', ns, { restoreFrom: { record: `${ns}.marvin-dr` } }));
      await waitForGaim(client, ns, 'marvin', 'to be restored and Synced in the other cluster', isSynced, 240_000);
      await expectData(client, ns, 'marvin', 'stage', marker, env);
      const restored = await Promise.all(['mongodb', 'redis'].map(async (store) => (await client.get<Secret>(Resources.secret, `marvin-${store}-credentials`, ns)).data));
      expect(restored).toEqual(credentials);
      expect(operator.records.some((r) => r['msg'] === 'restored claims from a backup')).toBe(true);
    }, 900_000);
  });
});

/** kubectl against a stack by its kubeconfig; the exit code. */
function kubectlAt(kubeconfig: string, args: readonly string[]): Promise<number> {
  return new Promise((resolve) => {
    execFile(join(repoRoot, 'bin', 'kubectl'), [...args], { env: { ...process.env, KUBECONFIG: kubeconfig } }, (error) => { resolve(error === null ? 0 : 1); });
  });
}
