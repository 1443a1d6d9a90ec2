// The application user's MongoDB commands, sent through one function that runs an admin command: what
// is sent, and how every answer is classified, live here (and are proven by a table test against
// MongoDB's documented fields); the connection is mongodb.ts's.
import type { Environment } from '../api/v1alpha1/gaim.js';
import { databaseName } from '../datamodel.js';
import type { MongoUserCommand } from '../resources/rotation.js';

/** A command document or reply (the driver's `Document`, without importing the driver here). */
type Document = Record<string, unknown>;

/** Runs one command on the `admin` database and returns its reply (the driver's `Db.command`). */
export type AdminCommand = (command: Document) => Promise<Document>;

/** `unsupported`: the server cannot create users with roles (FerretDB, the stack's stand-in for MongoDB). */
export type AppUserOutcome = 'created' | 'granted' | 'exists' | 'unsupported';

/** MongoDB's error codes the app user's commands act on (src/mongo/base/error_codes.yml). */
export const MongoCode = { UserNotFound: 11, NotImplemented: 238 } as const;

export const appUserRole = (env: Environment) => ({ role: 'readWrite', db: databaseName(env) });

/**
 * What the app user needs, from what usersInfo returned: to be created with readWrite on every
 * environment database, or granted the roles it lacks (an existing user keeps its password), or nothing.
 */
export function appUserPlan(existingRoles: readonly { role: string; db: string }[] | undefined, environments: readonly Environment[]):
  { readonly action: 'create' | 'grant' | 'none'; readonly roles: { role: string; db: string }[] } {
  const wanted = environments.map(appUserRole);
  if (existingRoles === undefined) return { action: 'create', roles: wanted };
  const missing = wanted.filter((r) => !existingRoles.some((have) => have.role === r.role && have.db === r.db));
  return missing.length === 0 ? { action: 'none', roles: [] } : { action: 'grant', roles: missing };
}

/**
 * Creates the app user with readWrite on every environment database, or grants the roles it lacks;
 * an existing user keeps its password. `unsupported` only where FerretDB says it cannot.
 */
export async function seedAppUser(admin: AdminCommand, environments: readonly Environment[], { username, password }: { username: string; password: string }): Promise<AppUserOutcome> {
  const info = await admin({ usersInfo: { user: username, db: 'admin' } }) as { users?: { roles?: { role: string; db: string }[] }[] };
  const existing = info.users?.[0];
  const plan = appUserPlan(existing === undefined ? undefined : existing.roles ?? [], environments);
  try {
    switch (plan.action) {
      case 'create':
        await admin({ createUser: username, pwd: password, roles: plan.roles });
        return 'created';
      case 'grant':
        await admin({ grantRolesToUser: username, roles: plan.roles });
        return 'granted';
      case 'none':
        return 'exists';
    }
  } catch (error: unknown) {
    if (await unsupportedBy(admin, error)) return 'unsupported';
    throw error;
  }
}

/**
 * A rotation step's commands (resources/rotation.ts), in order. A user to drop that is gone already
 * (dropped before an interruption) is fine; `unsupported` only where FerretDB says it cannot, having
 * changed nothing (its first command is the one it refuses).
 */
export async function runUserCommands(admin: AdminCommand, commands: readonly MongoUserCommand[]): Promise<'done' | 'unsupported'> {
  for (const command of commands) {
    try {
      await admin({ ...command });
    } catch (error: unknown) {
      if ('dropUser' in command && codeOf(error) === MongoCode.UserNotFound) continue;
      if (await unsupportedBy(admin, error)) return 'unsupported';
      throw error;
    }
  }
  return 'done';
}

/** Whether the pending user of a rotation exists already (an interrupted `apply` may have created it). */
export async function userExists(admin: AdminCommand, username: string): Promise<boolean> {
  const info = await admin({ usersInfo: { user: username, db: 'admin' } }) as { users?: unknown[] };
  return (info.users?.length ?? 0) > 0;
}

/**
 * NotImplemented from a server that reports itself as FerretDB in buildInfo (its `ferretdbVersion`
 * extension): FerretDB creates users only without roles. A real mongod answering NotImplemented to
 * a user command is a fault, not a limitation, and fails the Gaim.
 */
async function unsupportedBy(admin: AdminCommand, error: unknown): Promise<boolean> {
  if (codeOf(error) !== MongoCode.NotImplemented) return false;
  const info = await admin({ buildInfo: 1 }).catch((): Document => ({}));
  return typeof info['ferretdbVersion'] === 'string';
}

function codeOf(error: unknown): unknown {
  return (error as { code?: unknown } | null)?.code;
}
