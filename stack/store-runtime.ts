// One store process per MongoDB or Redis pod the stack's kubelet runs, started the way the official
// images start from the pod's spec — so the credentials the operator generated are the ones the
// store accepts, as in a cluster (docs/stack-fidelity.md lists each rule with its source):
// - both run as the pod's user, group and supplementary groups (the images' own user is uid 999:
//   docker-library/mongo and redis Dockerfiles, `useradd --uid 999`), so a data volume that user
//   cannot write fails here as on GKE;
// - mongo (docker-library/mongo docker-entrypoint.sh): only one of MONGO_INITDB_ROOT_USERNAME and
//   _PASSWORD set exits 1 with the entrypoint's message; both set create the root user unless the
//   data directory already holds one of WiredTiger, journal, local.0 or storage.bson (the
//   entrypoint's "already initialized" test). FerretDB (SQLite, on the pod's data volume) stands in
//   for mongod, and leaves the `WiredTiger` file mongod writes at its first start, so that test
//   reads a volume as it would; mongod's own flags are not imitated.
// - redis (docker-library/redis docker-entrypoint.sh): redis-server with the pod's arguments ($(VAR)
//   expanded as the kubelet does, mount paths mapped to the volumes) and nothing added — RDB saves
//   follow Redis's built-in `save 3600 1 300 100 60 10000` — under the entrypoint's `umask 0077`, on
//   a port of its own.
// A MongoDB pod is Ready when the store answers `ping` with no credential, the meaning of the pod's
// own probe (bash and one OP_MSG, src/resources/mongodb-probe.ts; store-runtime.test.ts runs that
// script against FerretDB). Not the script itself, every period: forking this process (it hosts every
// stand-in) for each probe slowed the whole stack — 20 Redis rollouts took 366 s instead of 95.
// Where each Service's store listens is written to an address map, which the operator reads
// (GAIM_STORE_ADDRESS_MAP), as it would resolve the Service's name in a cluster.
import { access, chown, mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createServer, type Server, type Socket } from 'node:net';
import { Redis } from 'ioredis';
import { MongoClient } from 'mongodb';
import { freePort } from './ports.js';
import { ManagedProcess } from './process.js';

export type StoreKind = 'mongodb' | 'redis';

/** The files whose presence tells the mongo image's entrypoint a data directory is initialised. */
const MONGOD_FILES = ['WiredTiger', 'journal', 'local.0', 'storage.bson'] as const;

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
  /** The container's user, group and supplementary groups (the pod's fsGroup among them). */
  readonly user: { readonly uid: number; readonly gid: number; readonly groups: readonly number[] };
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
  /** Silenced, scoped the same way: connections are accepted and never answered (a hung store, a black-holed route). */
  readonly #silenced = new Set<string>();
  #blackHole: Promise<{ port: number; server: Server; sockets: Set<Socket> }> | undefined;
  #writing = Promise.resolve();

  /** `bin`: where redis-server and ferretdb are, in a directory every user may traverse (they run as the pods' users). */
  constructor(private readonly options: { readonly bin: string; readonly addressMapFile: string }) {}

  async start(podUid: string, spec: StoreSpec): Promise<RunningStore> {
    const port = await freePort();
    const logFile = join(spec.podDir, `${spec.kind}.log`);
    const stateDir = join(spec.podDir, `${spec.kind}-state`);
    await mkdir(stateDir, { recursive: true, mode: 0o700 });
    await chown(stateDir, spec.user.uid, spec.user.gid);
    const process_ = spec.kind === 'mongodb'
      ? await this.#mongo(spec, port, logFile, stateDir)
      : ManagedProcess.start({ name: 'redis-server', command: join(this.options.bin, 'redis-server'), logFile, cwd: stateDir,
        args: [...spec.args, '--port', String(port), '--bind', '127.0.0.1'], tie: 'death-signal', user: spec.user, umask: '0077' });
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
  async partition(kind: StoreKind, mode: 'cut' | 'silence' | 'heal', namespace?: string): Promise<void> {
    const scope = namespace === undefined ? kind : `${kind}/${namespace}`;
    this.#partitioned.delete(scope);
    this.#silenced.delete(scope);
    if (mode === 'cut') this.#partitioned.add(scope);
    if (mode === 'silence') {
      this.#silenced.add(scope);
      this.#blackHole ??= blackHole();
      await this.#blackHole;
    }
    await this.#writeMap();
    // Healed: what the black hole holds is dropped, as a route coming back resets nothing but new connections see the store.
    if (mode === 'heal' && this.#silenced.size === 0 && this.#blackHole !== undefined) {
      for (const socket of (await this.#blackHole).sockets) socket.destroy();
    }
  }

  /** Closes the black hole, if one was opened. */
  async close(): Promise<void> {
    const hole = await this.#blackHole;
    if (hole === undefined) return;
    for (const socket of hole.sockets) socket.destroy();
    await new Promise<void>((resolve) => { hole.server.close(() => { resolve(); }); });
  }

  async #mongo(spec: StoreSpec, port: number, logFile: string, stateDir: string): Promise<ManagedProcess> {
    const user = spec.env['MONGO_INITDB_ROOT_USERNAME'];
    const password = spec.env['MONGO_INITDB_ROOT_PASSWORD'];
    if ((user === undefined) !== (password === undefined)) {
      // The entrypoint's refusal, verbatim: the container exits 1 before mongod starts.
      return ManagedProcess.start({
        name: 'mongod', command: 'sh', logFile, cwd: stateDir, tie: 'death-signal', user: spec.user,
        args: ['-c', `printf '%s\n' '' "error: missing 'MONGO_INITDB_ROOT_USERNAME' or 'MONGO_INITDB_ROOT_PASSWORD'" '       both must be specified for a user to be created' '' >&2; exit 1`],
      });
    }
    const initialised = (await Promise.all(MONGOD_FILES.map((file) => access(join(spec.dataDir, file)).then(() => true, () => false)))).some(Boolean);
    const init = !initialised && user !== undefined && password !== undefined;
    // What mongod leaves at its first start (as the store's user: it fails as mongod would on a volume it cannot write).
    const marker = initialised ? [] : ['-c', `printf '%s\n' 'FerretDB stands in for mongod here' > ${JSON.stringify(join(spec.dataDir, 'WiredTiger'))} && exec "$0" "$@"`];
    return ManagedProcess.start({
      name: 'ferretdb',
      command: marker.length === 0 ? join(this.options.bin, 'ferretdb') : 'sh',
      args: [
        ...marker, ...(marker.length === 0 ? [] : [join(this.options.bin, 'ferretdb')]),
        '--handler=sqlite', `--sqlite-url=file:${spec.dataDir}/`, `--listen-addr=127.0.0.1:${port}`, `--state-dir=${stateDir}`,
        '--telemetry=disable', '--debug-addr=-', '--log-level=warn', '--test-enable-new-auth',
        ...(init ? ['--setup-database=admin', `--setup-username=${user}`] : []),
      ],
      logFile,
      cwd: stateDir,
      env: { ...process.env, ...(init ? { FERRETDB_SETUP_PASSWORD: password } : {}) },
      tie: 'death-signal',
      user: spec.user,
    });
  }

  /** Rewrites the address map atomically; a partitioned kind points at a port nothing listens on. */
  async #writeMap(): Promise<void> {
    const write = async () => {
      const map: Record<string, string> = {};
      const hole = this.#silenced.size === 0 ? undefined : await this.#blackHole;
      const scoped = (set: Set<string>, spec: StoreSpec) => set.has(spec.kind) || set.has(`${spec.kind}/${spec.namespace}`);
      for (const running of this.#running.values()) {
        const address = scoped(this.#partitioned, running.spec) ? '127.0.0.1:1'
          : hole !== undefined && scoped(this.#silenced, running.spec) ? `127.0.0.1:${String(hole.port)}` : `127.0.0.1:${String(running.port)}`;
        map[running.spec.serviceAddress] = address;
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

/** A TCP server that accepts every connection and never sends a byte: a store that hangs. */
async function blackHole(): Promise<{ port: number; server: Server; sockets: Set<Socket> }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  server.unref();
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('black hole has no port');
  return { port: address.port, server, sockets };
}
