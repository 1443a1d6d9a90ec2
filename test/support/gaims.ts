import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { MongoClient } from 'mongodb';
import { KubeClient } from '../../src/kube/client.js';
import type { KubeObject } from '../../src/kube/objects.js';
import { Resources } from '../../src/kube/resources.js';
import { stackVolumePath } from '../../stack/provisioner.js';
import type { StackEnv } from '../../stack/stack.js';
import { adminKubeConfig, stackEnv } from './stack.js';

/** A real client on the admin kubeconfig, for tests that create and change objects. */
export async function adminClient(): Promise<KubeClient> {
  return KubeClient.create(adminKubeConfig(), { userAgent: 'gaim-tests' });
}

export function gaimManifest(namespace: string, name: string, spec: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'gaim.livingcontent.io/v1alpha1',
    kind: 'Gaim',
    metadata: { name, namespace },
    spec: {
      gaimId: randomUUID(),
      displayName: `Test ${name}`,
      environments: ['stage'],
      // GKE's Filestore multishare class: shares of 100 GiB to 1 TiB.
      lancedb: { storage: { storageClassName: 'enterprise-multishare-rwx', size: '100Gi' } },
      ...spec,
    },
  };
}

/**
 * Creates a Gaim, as a user applies one: the operator generates its credentials, the store pods
 * initialise themselves from them, and the operator seeds with them.
 */
export function createGaim(client: KubeClient, namespace: string, name: string, spec: Record<string, unknown> = {}): Promise<KubeObject> {
  return client.create(Resources.gaim, gaimManifest(namespace, name, spec));
}

/**
 * Clients for a Gaim's own MongoDB and Redis in the stack: where their Services listen (the stack's
 * address map) and the credentials the operator generated (its Secrets). Close them when done.
 */
export async function gaimStores(client: KubeClient, namespace: string, name: string, stack: StackEnv = stackEnv()): Promise<{ mongo: MongoClient; redis: Redis; close(): Promise<void> }> {
  const map = JSON.parse(await readFile(stack.STORE_ADDRESS_MAP, 'utf8')) as Record<string, string>;
  const secret = async (suffix: string) => {
    const { data = {} } = await client.get<KubeObject & { data?: Record<string, string> }>(Resources.secret, `${name}-${suffix}-credentials`, namespace);
    return (key: string) => Buffer.from(data[key] ?? '', 'base64').toString('utf8');
  };
  const [mongoSecret, redisSecret] = [await secret('mongodb'), await secret('redis')];
  const mongoAddress = map[`${name}-mongodb.${namespace}.svc.cluster.local:27017`];
  const redisAddress = map[`${name}-redis.${namespace}.svc.cluster.local:6379`];
  if (mongoAddress === undefined || redisAddress === undefined) throw new Error(`no stores of ${namespace}/${name} in the stack's address map`);
  const mongo = new MongoClient(`mongodb://${mongoAddress}/`, {
    auth: { username: mongoSecret('root-username'), password: mongoSecret('root-password') }, authSource: 'admin', directConnection: true, serverSelectionTimeoutMS: 5000,
  });
  const [host, port] = redisAddress.split(':');
  const redis = new Redis({ host: host ?? '', port: Number(port), password: redisSecret('password'), lazyConnect: true, maxRetriesPerRequest: 1 });
  redis.on('error', () => undefined);
  return { mongo, redis, close: async () => { await mongo.close(); redis.disconnect(); } };
}

/**
 * A Gaim on an existing static share (the stack stands in for its Filestore server) where `stage` is
 * a file: it cannot become the environment's directory, so the seed Job fails until `unblock()`.
 */
export async function createGaimOnBlockedShare(client: KubeClient, namespace: string, name: string, spec: Record<string, unknown> = {}): Promise<{ unblock(): Promise<void> }> {
  const share = join(stackEnv().STACK_VOLUMES, 'nfs', 'filestore.test', 'vol1', 'gaims', namespace);
  await mkdir(share, { recursive: true });
  await writeFile(join(share, 'stage'), 'not a directory');
  await createGaim(client, namespace, name, { ...spec, lancedb: { storage: { nfs: { server: 'filestore.test', path: `/vol1/gaims/${namespace}` } } } });
  return { unblock: () => rm(join(share, 'stage')) };
}

/** The directory behind a claim's volume on the stack's node (its PersistentVolume says where). */
export async function claimDirectory(client: KubeClient, namespace: string, claim: string): Promise<string> {
  const { spec } = await client.get<KubeObject & { spec?: { volumeName?: string } }>(Resources.persistentVolumeClaim, claim, namespace);
  const volume = await client.get<KubeObject & { spec?: { hostPath?: { path?: string }; csi?: { volumeAttributes?: Record<string, string> } } }>(Resources.persistentVolume, spec?.volumeName ?? '');
  const dir = stackVolumePath(volume);
  if (dir === undefined) throw new Error(`claim ${namespace}/${claim} has no volume directory on the stack`);
  return dir;
}
