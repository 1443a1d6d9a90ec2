import type { Db, MongoClient } from 'mongodb';
import type { Environment } from '../api/v1alpha1/gaim.js';
import { databaseName, MONGO_COLLECTIONS } from '../datamodel.js';
import { OperatorError } from '../errors.js';

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

export interface MongoSeedReport {
  readonly created: string[];
  /** Things found in a form the operator would not have made; left as they are. */
  readonly notes: string[];
  readonly appUser: 'created' | 'granted' | 'exists' | 'unsupported';
}

/**
 * Seeds each environment's database: collections and indexes when absent, and the application user
 * with readWrite on every environment database. Nothing existing is dropped, renamed or changed: an
 * index that exists under the same name is kept even if its keys differ (and noted), and an existing
 * user keeps its password; only missing roles are granted.
 */
export async function seedMongoDB(client: MongoClient, environments: readonly Environment[], appUser: { username: string; password: string }): Promise<MongoSeedReport> {
  const report = { created: [] as string[], notes: [] as string[], appUser: 'exists' as MongoSeedReport['appUser'] };
  try {
    for (const env of environments) await seedDatabase(client.db(databaseName(env)), report);
    report.appUser = await seedAppUser(client.db('admin'), environments, appUser);
  } catch (error: unknown) {
    throw new OperatorError('mongodb', `cannot seed mongodb: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  return report;
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

async function seedAppUser(admin: Db, environments: readonly Environment[], { username, password }: { username: string; password: string }): Promise<MongoSeedReport['appUser']> {
  const roles = environments.map((env) => ({ role: 'readWrite', db: databaseName(env) }));
  const info = await admin.command({ usersInfo: { user: username, db: 'admin' } }) as { users?: { roles?: { role: string; db: string }[] }[] };
  const user = info.users?.[0];
  try {
    if (user === undefined) {
      await admin.command({ createUser: username, pwd: password, roles });
      return 'created';
    }
    const missing = roles.filter((r) => !(user.roles ?? []).some((have) => have.role === r.role && have.db === r.db));
    if (missing.length === 0) return 'exists';
    await admin.command({ grantRolesToUser: username, roles: missing });
    return 'granted';
  } catch (error: unknown) {
    // FerretDB (the test stand-in for MongoDB) implements createUser only without roles. Real
    // MongoDB never answers NotImplemented here.
    if (isNotImplemented(error)) return 'unsupported';
    throw error;
  }
}

function isNotImplemented(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return code === 238 || (error instanceof Error && /not implemented/i.test(error.message));
}
