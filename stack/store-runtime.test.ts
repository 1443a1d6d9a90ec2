// The stack's store processes start as the official images' entrypoints start them (store-runtime.ts
// names the sources): as the pod's user, mongo's "already initialized" files and its refusal of one
// root variable without the other, redis's umask and its own save policy. Real redis-server and
// FerretDB binaries; no Kubernetes.
import { execFile } from 'node:child_process';
import { copyFile, chmod, chown, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pingScript } from '../src/resources/mongodb-probe.js';
import { repoRoot } from './stack.js';
import { redisAnswers, StoreRuntimes, type StoreSpec } from './store-runtime.js';

const USER = { uid: 999, gid: 999, groups: [999] };

describe('the stack\'s store runtime', () => {
  let root = '';
  let runtimes: StoreRuntimes;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'store-runtime-'));
    await chmod(root, 0o755);
    const bin = join(root, 'bin');
    await mkdir(bin);
    for (const tool of ['redis-server', 'ferretdb']) await copyFile(join(repoRoot, 'bin', tool), join(bin, tool));
    runtimes = new StoreRuntimes({ bin, addressMapFile: join(root, 'addresses.json') });
  });
  afterAll(async () => {
    await runtimes.stopAll();
    await rm(root, { recursive: true, force: true });
  });

  /** A pod's data volume as the kubelet hands it over with fsGroup 999: group-writable, setgid. */
  const volume = async (name: string, files: readonly string[] = []) => {
    const dir = join(root, name, 'data');
    const pod = join(root, name, 'pod');
    await mkdir(dir, { recursive: true });
    await mkdir(pod, { recursive: true });
    for (const file of files) await mkdir(join(dir, file), { recursive: true });
    await chown(dir, 0, 999);
    await chmod(dir, 0o2770);
    return { dir, pod };
  };
  const spec = (kind: 'mongodb' | 'redis', dirs: { dir: string; pod: string }, env: Record<string, string>, args: string[] = []): StoreSpec => ({
    kind, namespace: 'ns', serviceAddress: `${kind}.ns.svc.cluster.local:1`, env, args, dataDir: dirs.dir, podDir: dirs.pod, probePassword: undefined, user: USER,
  });
  const login = async (port: number, password: string) => {
    const client = new MongoClient(`mongodb://127.0.0.1:${String(port)}/`, { auth: { username: 'root', password }, authSource: 'admin', directConnection: true, serverSelectionTimeoutMS: 3000 });
    try {
      return (await client.db('admin').command({ ping: 1 }))['ok'] === 1;
    } catch {
      return false;
    } finally {
      await client.close();
    }
  };
  const until = async (what: string, check: () => Promise<boolean>) => {
    for (let i = 0; i < 100; i++) {
      if (await check()) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`timed out waiting for ${what}`);
  };

  it('initialises mongo\'s root user on a volume with only lost+found, and not again once mongod\'s files are there', async () => {
    const dirs = await volume('fresh', ['lost+found']);
    const env = { MONGO_INITDB_ROOT_USERNAME: 'root', MONGO_INITDB_ROOT_PASSWORD: 'first-password' };
    const first = await runtimes.start('fresh-1', spec('mongodb', dirs, env));
    await until('the root user to log in', () => login(first.port, 'first-password'));
    expect((await stat(join(dirs.dir, 'WiredTiger'))).uid, 'mongod\'s file, written as the store\'s user').toBe(999);
    await runtimes.stop('fresh-1');
    // A second start with other variables: the entrypoint sees WiredTiger and initialises nothing.
    const again = await runtimes.start('fresh-2', spec('mongodb', dirs, { ...env, MONGO_INITDB_ROOT_PASSWORD: 'second-password' }));
    await until('the first password to log in again', () => login(again.port, 'first-password'));
    expect(await login(again.port, 'second-password')).toBe(false);
    await runtimes.stop('fresh-2');
  }, 30_000);

  it('answers the pod\'s MongoDB readiness probe (bash, one OP_MSG ping) once the store serves, and not once it is gone', async () => {
    const dirs = await volume('probe');
    const running = await runtimes.start('probe', spec('mongodb', dirs, { MONGO_INITDB_ROOT_USERNAME: 'root', MONGO_INITDB_ROOT_PASSWORD: 'probe-password' }));
    const probe = async () => new Promise<boolean>((resolve) => {
      execFile('bash', ['-c', pingScript('127.0.0.1', running.port)], { timeout: 5000 }, (error) => { resolve(error === null); });
    });
    await until('the probe to pass', probe);
    await runtimes.stop('probe');
    expect(await probe()).toBe(false);
  }, 30_000);

  it('exits 1 with the entrypoint\'s words when only one of the root variables is set', async () => {
    const dirs = await volume('half');
    const running = await runtimes.start('half', spec('mongodb', dirs, { MONGO_INITDB_ROOT_USERNAME: 'root' }));
    expect((await running.process.exited).code).toBe(1);
    expect(running.process.tail().trim()).toBe("error: missing 'MONGO_INITDB_ROOT_USERNAME' or 'MONGO_INITDB_ROOT_PASSWORD'\n       both must be specified for a user to be created");
    await runtimes.stop('half');
  });

  it('runs redis as the pod\'s user, with the entrypoint\'s umask and Redis\'s own save policy', async () => {
    const dirs = await volume('redis');
    const running = await runtimes.start('redis', spec('redis', dirs, {}, ['--requirepass', 'p', '--appendonly', 'yes', '--dir', dirs.dir]));
    await until('redis to answer', () => redisAnswers({ host: '127.0.0.1', port: running.port, password: 'p' }));
    const redis = new Redis({ host: '127.0.0.1', port: running.port, password: 'p', maxRetriesPerRequest: 1 });
    expect(await redis.config('GET', 'save')).toEqual(['save', '3600 1 300 100 60 10000']);
    await redis.set('k', 'v');
    await redis.save();
    redis.disconnect();
    const dump = await stat(join(dirs.dir, 'dump.rdb'));
    expect([dump.uid, (dump.mode & 0o777).toString(8)]).toEqual([999, '600']);
    const aof = await readdir(join(dirs.dir, 'appendonlydir'));
    expect(aof.length).toBeGreaterThan(0);
    expect(((await stat(join(dirs.dir, 'appendonlydir', aof[0] ?? ''))).mode & 0o777).toString(8)).toBe('600');
    await runtimes.stop('redis');
  }, 20_000);

  it('cannot write a data volume its user may not write, as on GKE', async () => {
    const dirs = await volume('locked');
    await chown(dirs.dir, 0, 0);
    await chmod(dirs.dir, 0o755);
    await writeFile(join(dirs.pod, 'x'), '');
    const running = await runtimes.start('locked', spec('redis', dirs, {}, ['--requirepass', 'p', '--appendonly', 'yes', '--dir', dirs.dir]));
    expect((await running.process.exited).code).not.toBe(0);
    expect(await readFile(join(dirs.pod, 'redis.log'), 'utf8')).toMatch(/Permission denied/);
    await runtimes.stop('locked');
  });
});
