// One store process per MongoDB or Redis pod the stack's kubelet runs, started the way the official
// images start from the pod's spec — so the credentials the operator generated are the ones the
// store accepts, as in a cluster:
// - mongo: MONGO_INITDB_ROOT_USERNAME/PASSWORD (from the pod's env, resolved from the Secret) create
//   the root user only when the data directory is empty (docker-entrypoint.sh's rule); a second start
//   on existing data keeps the users it has. FerretDB (SQLite, on the pod's data volume) stands in
//   for mongod: mongod's own flags are not imitated.
// - redis: redis-server with the pod's arguments ($(VAR) expanded as the kubelet does, mount paths
//   mapped to the volumes), on a port of its own.
// Where each Service's store listens is written to an address map, which the operator reads
// (GAIM_STORE_ADDRESS_MAP), as it would resolve the Service's name in a cluster.
import { readdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { MongoClient } from 'mongodb';
import { freePort } from './ports.js';
import { ManagedProcess } from './process.js';

export type StoreKind = 'mongodb' | 'redis';

export interface StoreSpec {
  readonly kind: StoreKind;
  readonly namespace: string;
  /** `<service>.<namespace>.svc.cluster.local:<port>`: the address the operator is given. */
  readonly serviceAddress: string;
  /** The pod's container env, resolved. */
  readonly env: Readonly<Record<string, string>>;
  /** The container's args, expanded and with mount paths mapped. */
  readonly args: readonly string[];
  /** The host directory behind the data volume. */
  readonly dataDir: string;
  /** A directory of the pod's own, for state and logs. */
  readonly podDir: string;
  /** For the readiness probe, as the pod's probe authenticates (REDISCLI_AUTH for Redis). */
  readonly probePassword: string | undefined;
  /** The user the probe logs in as (redis-cli --user); Redis's default user without one. */
  readonly probeUser?: string;
}

export interface RunningStore {
  readonly spec: StoreSpec;
  readonly port: number;
  readonly process: ManagedProcess;
}

export class StoreRuntimes {
  readonly #running = new Map<string, RunningStore>();
  /** Cut off: `<kind>` for every store of a kind, `<kind>/<namespace>` for one namespace's. */
  readonly #partitioned = new Set<string>();
  #writing = Promise.resolve();

  constructor(private readonly options: { readonly bin: string; readonly addressMapFile: string }) {}

  async start(podUid: string, spec: StoreSpec): Promise<RunningStore> {
    const port = await freePort();
    const logFile = join(spec.podDir, `${spec.kind}.log`);
    const process_ = spec.kind === 'mongodb'
      ? await this.#mongo(spec, port, logFile)
      : ManagedProcess.start({ name: 'redis-server', command: join(this.options.bin, 'redis-server'), logFile, cwd: spec.podDir,
        args: [...spec.args, '--port', String(port), '--bind', '127.0.0.1', '--save', ''], tie: 'death-signal' });
    const running = { spec, port, process: process_ };
    this.#running.set(podUid, running);
    await this.#writeMap();
    return running;
  }

  async stop(podUid: string): Promise<void> {
    const running = this.#running.get(podUid);
    if (running === undefined) return;
    this.#running.delete(podUid);
    await this.#writeMap();
    await running.process.stop();
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.#running.keys()].map((uid) => this.stop(uid)));
  }

  /** Whether the store answers as the pod's readiness probe would ask it. */
  async ready(podUid: string): Promise<boolean> {
    const running = this.#running.get(podUid);
    if (running === undefined || running.process.exit !== undefined) return false;
    if (running.spec.kind === 'mongodb') {
      const client = new MongoClient(`mongodb://127.0.0.1:${running.port}/`, { directConnection: true, serverSelectionTimeoutMS: 1000 });
      try {
        return (await client.db('admin').command({ ping: 1 }))['ok'] === 1;
      } catch {
        return false;
      } finally {
        await client.close();
      }
    }
    return redisAnswers({ host: '127.0.0.1', port: running.port, username: running.spec.probeUser, password: running.spec.probePassword });
  }

  /**
   * The operator cannot reach this kind of store any more (a network partition; the pods stay Ready,
   * as their kubelet still reaches them), or can again. Fault tests use it for store outages.
   */
  async partition(kind: StoreKind, cut: boolean, namespace?: string): Promise<void> {
    const scope = namespace === undefined ? kind : `${kind}/${namespace}`;
    if (cut) this.#partitioned.add(scope);
    else this.#partitioned.delete(scope);
    await this.#writeMap();
  }

  async #mongo(spec: StoreSpec, port: number, logFile: string): Promise<ManagedProcess> {
    const user = spec.env['MONGO_INITDB_ROOT_USERNAME'];
    const password = spec.env['MONGO_INITDB_ROOT_PASSWORD'];
    // docker-entrypoint.sh: initialise only an empty data directory, and only with both variables set.
    const empty = (await readdir(spec.dataDir)).length === 0;
    const init = empty && user !== undefined && password !== undefined;
    return ManagedProcess.start({
      name: 'ferretdb',
      command: join(this.options.bin, 'ferretdb'),
      args: [
        '--handler=sqlite', `--sqlite-url=file:${spec.dataDir}/`, `--listen-addr=127.0.0.1:${port}`, `--state-dir=${spec.podDir}`,
        '--telemetry=disable', '--debug-addr=-', '--log-level=warn', '--test-enable-new-auth',
        ...(init ? ['--setup-database=admin', `--setup-username=${user}`] : []),
      ],
      logFile,
      cwd: spec.podDir,
      env: { ...process.env, ...(init ? { FERRETDB_SETUP_PASSWORD: password } : {}) },
      tie: 'death-signal',
    });
  }

  /** Rewrites the address map atomically; a partitioned kind points at a port nothing listens on. */
  async #writeMap(): Promise<void> {
    const write = async () => {
      const map: Record<string, string> = {};
      for (const running of this.#running.values()) {
        const cut = this.#partitioned.has(running.spec.kind) || this.#partitioned.has(`${running.spec.kind}/${running.spec.namespace}`);
        map[running.spec.serviceAddress] = cut ? '127.0.0.1:1' : `127.0.0.1:${running.port}`;
      }
      const temporary = `${this.options.addressMapFile}.${process.pid}.tmp`;
      await writeFile(temporary, JSON.stringify(map, null, 1));
      await rename(temporary, this.options.addressMapFile);
    };
    this.#writing = this.#writing.then(write, write);
    await this.#writing;
  }
}

/** Whether a new connection logs in to a Redis (as `username`, or the default user) and gets a PONG. */
export async function redisAnswers(at: { host: string; port: number; username?: string | undefined; password?: string | undefined }): Promise<boolean> {
  const redis = new Redis({
    host: at.host, port: at.port, ...(at.password === undefined ? {} : { password: at.password }), ...(at.username === undefined ? {} : { username: at.username }),
    lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 1000,
  });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    await redis.ping();
    return true;
  } catch {
    return false;
  } finally {
    redis.disconnect();
  }
}
