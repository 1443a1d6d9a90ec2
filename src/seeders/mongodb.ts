// The driver is loaded on first use, not at start-up: it holds about 25 MiB (code, and a buffer pool
// outside the heap) that an operator whose Gaims are all seeded uses only when something changes.
import type { Db, MongoClient } from 'mongodb';
import type { Environment } from '../api/v1alpha1/gaim.js';
import { databaseName, MONGO_COLLECTIONS } from '../datamodel.js';
import { abortedByDeadline, wrap } from '../errors.js';
import { Message } from '../messages.js';
import { setFcvCommand } from '../resources/feature-compatibility.js';
import { mongoUserCommands, type RotationState } from '../resources/rotation.js';
import { type AdminCommand, type AppUserOutcome, appUserRole, runUserCommands, seedAppUser, userExists } from './mongodb-users.js';

export type { AppUserOutcome } from './mongodb-users.js';

/** Indexes that serve the data model's access patterns, named explicitly so they are recognised later. */
export const MONGO_INDEXES: Readonly<Record<string, readonly { name: string; key: Record<string, 1 | -1> }[]>> = {
  [MONGO_COLLECTIONS.contentSessions]: [
    { name: 'sessions_by_user_recent', key: { userId: 1, lastAccessed: -1 } },
  ],
  [MONGO_COLLECTIONS.notifications]: [
    { name: 'notifications_by_user_unseen_recent', key: { userId: 1, seen: 1, createdAt: -1 } },
    { name: 'notifications_by_session', key: { contentSessionId: 1 } },
  ],
};

/** Where a GAIM's MongoDB listens, and the root credentials from its Secret. */
export interface MongoTarget {
  /** host:port */
  readonly address: string;
  readonly username: string;
  readonly password: string;
}

export interface MongoSeedReport {
  readonly created: string[];
  /** Things found in a form the operator would not have made; left as they are. */
  readonly notes: string[];
  readonly appUser: AppUserOutcome;
}

/**
 * Seeds each environment's database: collections and indexes when absent, and the application user
 * with readWrite on every environment database. Nothing existing is dropped, renamed or changed: an
 * index that exists under the same name is kept even if its keys differ (and noted), and an existing
 * user keeps its password; only missing roles are granted. The client lives for this call only and
 * is closed when `signal` aborts.
 */
export async function seedMongoDB(target: MongoTarget, environments: readonly Environment[], appUser: { username: string; password: string }, signal?: AbortSignal): Promise<MongoSeedReport> {
  const report = { created: [] as string[], notes: [] as string[], appUser: 'exists' as AppUserOutcome };
  await withMongo(target, Message.seedMongoDB, signal, async (client) => {
    for (const env of environments) await seedDatabase(client.db(databaseName(env)), report);
    report.appUser = await seedAppUser((command) => client.db('admin').command(command), environments, appUser);
  });
  return report;
}

/**
 * A credential rotation's apply or expire step on the app users (commands from resources/rotation.ts):
 * `unsupported` where the server cannot create users with roles (FerretDB), having changed nothing.
 */
export async function rotateAppUsers(target: MongoTarget, step: 'apply' | 'expire', state: RotationState, environments: readonly Environment[], signal?: AbortSignal): Promise<'done' | 'unsupported'> {
  let outcome: 'done' | 'unsupported' = 'done';
  await withMongo(target, Message.rotateCredentials('mongodb'), signal, async (client) => {
    const admin: AdminCommand = (command) => client.db('admin').command(command);
    const pending = state.pending?.username;
    const pendingExists = pending === undefined ? false : await userExists(admin, pending);
    outcome = await runUserCommands(admin, mongoUserCommands(step, state, pendingExists, environments.map(appUserRole)));
  });
  return outcome;
}

/** What a MongoDB says of its version: the server's, and its featureCompatibilityVersion where it has one. */
export interface ServerVersion {
  readonly server: string;
  readonly featureCompatibilityVersion?: string;
}

/**
 * buildInfo and getParameter featureCompatibilityVersion, as root. A server that cannot answer the
 * latter (FerretDB, some MongoDB-compatible services) has no featureCompatibilityVersion.
 */
export async function readServerVersion(target: MongoTarget, signal?: AbortSignal): Promise<ServerVersion> {
  let result: ServerVersion = { server: '' };
  await withMongo(target, Message.readMongoVersion, signal, async (client) => {
    const admin = client.db('admin');
    const info = await admin.command({ buildInfo: 1 }) as { version?: unknown };
    const server = typeof info.version === 'string' ? info.version : '';
    try {
      const reply = await admin.command({ getParameter: 1, featureCompatibilityVersion: 1 }) as { featureCompatibilityVersion?: { version?: unknown } };
      const version = reply.featureCompatibilityVersion?.version;
      result = typeof version === 'string' ? { server, featureCompatibilityVersion: version } : { server };
    } catch (error: unknown) {
      if (!isUnsupportedCommand(error)) throw error;
      result = { server };
    }
  });
  return result;
}

/** setFeatureCompatibilityVersion, as root (it waits for the server to finish the upgrade of its catalog). */
export async function raiseFeatureCompatibility(target: MongoTarget, to: string, signal?: AbortSignal): Promise<void> {
  await withMongo(target, Message.raiseFeatureCompatibility(to), signal, async (client) => {
    await client.db('admin').command(setFcvCommand(to));
  });
}

/**
 * Before a snapshot: `fsync` (without a lock), so the data files are flushed and the journal's replay
 * at a restore is short. A snapshot of a journaled WiredTiger volume is consistent without it; a
 * server that cannot (FerretDB) answers `unsupported`.
 */
export async function flushMongoDB(target: MongoTarget, signal?: AbortSignal): Promise<'flushed' | 'unsupported'> {
  let outcome: 'flushed' | 'unsupported' = 'flushed';
  await withMongo(target, Message.flushMongoDB, signal, async (client) => {
    try {
      await client.db('admin').command({ fsync: 1 });
    } catch (error: unknown) {
      if (!isUnsupportedCommand(error)) throw error;
      outcome = 'unsupported';
    }
  });
  return outcome;
}

/** One client for `work`, closed afterwards or when `signal` aborts; errors become OperatorErrors. */
async function withMongo(target: MongoTarget, what: string, signal: AbortSignal | undefined, work: (client: MongoClient) => Promise<void>): Promise<void> {
  const { MongoClient: Client } = await import('mongodb');
  const client = new Client(`mongodb://${target.address}/`, {
    auth: { username: target.username, password: target.password },
    authSource: 'admin',
    serverSelectionTimeoutMS: 10_000,
    // Shorter than the selection timeout, so a server that accepts and never answers is recorded as a
    // timeout (MongoNetworkTimeoutError) before selection gives up.
    connectTimeoutMS: 5_000,
    socketTimeoutMS: 30_000,
    directConnection: true,
  });
  const abort = () => { void client.close(true); };
  signal?.addEventListener('abort', abort, { once: true });
  try {
    signal?.throwIfAborted();
    await work(client);
  } catch (error: unknown) {
    const timedOut = (error instanceof Error && error.name === 'MongoNetworkTimeoutError') || noAnswer(error) || (signal !== undefined && abortedByDeadline(signal));
    throw wrap(error, what, { type: timedOut ? 'timeout' : 'mongodb', reason: timedOut ? 'MongoDBTimeout' : 'MongoDBSeedFailed' });
  } finally {
    signal?.removeEventListener('abort', abort);
    await client.close();
  }
}

async function seedDatabase(db: Db, report: { created: string[]; notes: string[] }): Promise<void> {
  const existing = new Set((await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name));
  for (const [collection, indexes] of Object.entries(MONGO_INDEXES)) {
    if (!existing.has(collection)) {
      await db.createCollection(collection);
      report.created.push(`${db.databaseName}.${collection}`);
    }
    const current = (await db.collection(collection).listIndexes().toArray()) as { name: string; key: Record<string, number> }[];
    for (const index of indexes) {
      const sameName = current.find((i) => i.name === index.name);
      const sameKeys = current.find((i) => JSON.stringify(i.key) === JSON.stringify(index.key));
      if (sameName !== undefined) {
        if (JSON.stringify(sameName.key) !== JSON.stringify(index.key)) {
          report.notes.push(`${db.databaseName}.${collection}: index ${index.name} has keys ${JSON.stringify(sameName.key)}; left as it is`);
        }
        continue;
      }
      if (sameKeys !== undefined) continue; // the same index under another name: someone made it; keep it
      await db.collection(collection).createIndexes([{ key: index.key, name: index.name }]);
      report.created.push(`${db.databaseName}.${collection}/${index.name}`);
    }
  }
}

/**
 * Server selection gave up because the server accepted connections and never answered (its
 * description's error is a network timeout), as opposed to refusing them.
 */
function noAnswer(error: unknown): boolean {
  if (!(error instanceof Error) || error.name !== 'MongoServerSelectionError') return false;
  const servers = (error as { reason?: { servers?: Map<string, { error?: { name?: string } | null }> } }).reason?.servers;
  return [...(servers?.values() ?? [])].some((server) => server.error?.name === 'MongoNetworkTimeoutError');
}

/** NotImplemented, CommandNotFound (59), InvalidOptions (72) or NoSuchKey (4): a server without that parameter. */
function isUnsupportedCommand(error: unknown): boolean {
  return [238, 59, 72, 4].includes((error as { code?: unknown } | null)?.code as number);
}
