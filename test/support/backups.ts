// What the backup tests share: GaimBackups made and awaited, the catalog's records, the samples as a
// user applies them, and the data a restore must bring back — a MongoDB document, a Redis stream
// entry and a file on the LanceDB share, written before the backup and read after the restore with
// the restored Secrets' credentials.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import type { KubeClient } from '../../src/kube/client.js';
import type { KubeObject } from '../../src/kube/objects.js';
import { Resources } from '../../src/kube/resources.js';
import { repoRoot, type StackEnv } from '../../stack/stack.js';
import { claimDirectory, gaimStores } from './gaims.js';
import { eventually, stackEnv } from './stack.js';

export type Backup = KubeObject & {
  spec: { gaim: string };
  status?: {
    phase?: string; message?: string; method?: string; record?: string; notes?: string[]; gaimId?: string;
    claims?: { store: string; claim: string; volumeSnapshot?: string; supported: boolean; readyToUse: boolean; restoreSize?: string; error?: string; queued?: string }[];
  };
};
export type BackupRecord = KubeObject & {
  spec: { source: { namespace: string; gaim: string; gaimId: string; trigger: string }; snapshots?: { store: string; snapshotHandle: string; volumeSnapshotContent?: string }[]; allowedNamespaces?: string[]; credentialsSecret: string };
  status?: { phase?: string; message?: string };
};

export const backupObject = (namespace: string, name: string, gaim: string): KubeObject =>
  ({ apiVersion: 'gaim.livingcontent.io/v1alpha1', kind: 'GaimBackup', metadata: { name, namespace }, spec: { gaim } });

export function waitForBackup(client: KubeClient, namespace: string, name: string, phase: string, timeoutMs = 120_000): Promise<Backup> {
  return eventually(`GaimBackup ${namespace}/${name} to be ${phase}`, async () => {
    const backup = await client.get<Backup>(Resources.gaimBackup, name, namespace);
    if (['Completed', 'Failed'].includes(backup.status?.phase ?? '') && backup.status?.phase !== phase) throw new Error(`it is ${backup.status?.phase ?? ''}: ${backup.status?.message ?? ''}`);
    return backup.status?.phase === phase ? backup : undefined;
  }, timeoutMs);
}

export function waitForRecord(client: KubeClient, name: string, phase = 'Completed', timeoutMs = 120_000): Promise<BackupRecord> {
  return eventually(`GaimBackupRecord ${name} to be ${phase}`, async () => {
    const record = await client.get<BackupRecord>(Resources.gaimBackupRecord, name).catch(() => undefined);
    if (record?.status?.phase === 'Failed' && phase !== 'Failed') throw new Error(`it failed: ${record.status.message ?? ''}`);
    return record?.status?.phase === phase ? record : undefined;
  }, timeoutMs);
}

/** A sample of config/samples/, as `kubectl apply` would send it to a namespace (with more spec, such as restoreFrom). */
export async function sample(file: string, namespace: string, spec: Record<string, unknown> = {}): Promise<KubeObject & { metadata: { name: string }; spec: { gaimId: string; environments: string[] } }> {
  const manifest = parse(await readFile(join(repoRoot, 'config', 'samples', file), 'utf8')) as KubeObject & { metadata: { name: string }; spec: { gaimId: string; environments: string[] } };
  return { ...manifest, metadata: { ...manifest.metadata, namespace }, spec: { ...manifest.spec, ...spec } };
}

const taskStream = (env: string) => (env === 'local' ? 'gaim:tasks' : `gaim:tasks:${env}`);

/** Writes a document, a task and a LanceDB file for the Gaim's first environment; the marker they carry. */
export async function writeData(client: KubeClient, namespace: string, gaim: string, env: string, stack: StackEnv = stackEnv()): Promise<string> {
  const marker = randomBytes(8).toString('hex');
  const stores = await gaimStores(client, namespace, gaim, stack);
  try {
    await stores.mongo.db(`lco-gaim-${env}`).collection('content_sessions').insertOne({ userId: marker, lastAccessed: new Date() });
    await stores.redis.connect();
    await stores.redis.xadd(taskStream(env), '*', 'marker', marker);
  } finally {
    await stores.close();
  }
  await writeFile(join(await claimDirectory(client, namespace, `${gaim}-lancedb`), env, 'restore-marker.txt'), marker);
  return marker;
}

/** The Gaim holds the marker's document, task and file, read with the credentials its Secrets hold now. */
export async function expectData(client: KubeClient, namespace: string, gaim: string, env: string, marker: string, stack: StackEnv = stackEnv()): Promise<void> {
  const stores = await gaimStores(client, namespace, gaim, stack);
  try {
    const document = await stores.mongo.db(`lco-gaim-${env}`).collection('content_sessions').findOne({ userId: marker });
    if (document === null) throw new Error(`${namespace}/${gaim}: no content_sessions document ${marker} in lco-gaim-${env}`);
    await stores.redis.connect();
    const entries = await stores.redis.xrange(taskStream(env), '-', '+');
    if (!entries.some(([, fields]) => fields.includes(marker))) throw new Error(`${namespace}/${gaim}: no task ${marker} in ${taskStream(env)}`);
  } finally {
    await stores.close();
  }
  const file = await readFile(join(await claimDirectory(client, namespace, `${gaim}-lancedb`), env, 'restore-marker.txt'), 'utf8');
  if (file !== marker) throw new Error(`${namespace}/${gaim}: the LanceDB share holds ${file}, not ${marker}`);
}

const PLUGIN = join(repoRoot, 'dist', 'src', 'kubectl-gaim.js');

/** The compiled kubectl plugin, as a platform administrator runs it against a stack. */
export async function kubectlGaim(args: readonly string[], stack: StackEnv = stackEnv()): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(join(repoRoot, 'bin', 'node'), [PLUGIN, ...args], {
      env: { PATH: process.env['PATH'], HOME: process.env['HOME'], KUBECONFIG: stack.KUBECONFIG, FIRESTORE_EMULATOR_HOST: stack.FIRESTORE_EMULATOR_HOST, GOOGLE_CLOUD_PROJECT: stack.GOOGLE_CLOUD_PROJECT },
    });
    return { code: 0, stdout, stderr };
  } catch (error: unknown) {
    const { code = 1, stdout = '', stderr = '' } = error as { code?: number; stdout?: string; stderr?: string };
    return { code, stdout, stderr };
  }
}
