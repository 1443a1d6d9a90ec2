import { describe, expect, it } from 'vitest';
import { type AdminCommand, appUserPlan, runUserCommands, seedAppUser } from './mongodb-users.js';
import { mongoUserCommands } from '../resources/rotation.js';

// What the seeder asks a real MongoDB for (FerretDB, the stack's stand-in, refuses roles, so the
// integration test can only show that the seeder reports that; the command sequence is proven here).
describe('appUserPlan', () => {
  const rw = (db: string) => ({ role: 'readWrite', db });

  it.each([
    ['a missing user is created with readWrite on every environment database', undefined, ['stage', 'prod'],
      { action: 'create', roles: [rw('lco-gaim-stage'), rw('lco-gaim-prod')] }],
    ['an existing user with every role is left alone (its password too)', [rw('lco-gaim-stage'), rw('lco-gaim-prod')], ['stage', 'prod'],
      { action: 'none', roles: [] }],
    ['an existing user gets only the roles it lacks, for an added environment', [rw('lco-gaim-stage'), { role: 'read', db: 'other' }], ['stage', 'local'],
      { action: 'grant', roles: [rw('lco-gaim-local')] }],
    ['a role on another database does not count', [{ role: 'readWrite', db: 'lco-gaim-prod' }], ['stage'],
      { action: 'grant', roles: [rw('lco-gaim-stage')] }],
    ['a user with no roles at all is granted them', [], ['prod'], { action: 'grant', roles: [rw('lco-gaim-prod')] }],
  ] as const)('%s', (_name, existing, environments, expected) => {
    expect(appUserPlan(existing, environments)).toEqual(expected);
  });
});

/**
 * Each command's documented fields (MongoDB Manual, "Database Commands" > "User Management Commands":
 * createUser, updateUser, dropUser, grantRolesToUser, usersInfo; "Diagnostic Commands" > buildInfo).
 * The command's name is its first field: MongoDB reads the command from the document's first key.
 */
const DOCUMENTED: Record<string, readonly string[]> = {
  createUser: ['createUser', 'pwd', 'customData', 'roles', 'writeConcern', 'authenticationRestrictions', 'mechanisms', 'digestPassword', 'comment'],
  updateUser: ['updateUser', 'pwd', 'customData', 'roles', 'writeConcern', 'authenticationRestrictions', 'mechanisms', 'digestPassword', 'comment'],
  dropUser: ['dropUser', 'writeConcern', 'comment'],
  grantRolesToUser: ['grantRolesToUser', 'roles', 'writeConcern', 'comment'],
  usersInfo: ['usersInfo', 'showCredentials', 'showCustomData', 'showPrivileges', 'showAuthenticationRestrictions', 'filter', 'comment'],
  buildInfo: ['buildInfo'],
};
/** MongoDB's built-in database user roles ("Built-In Roles"). */
const BUILT_IN_ROLES = ['read', 'readWrite', 'dbAdmin', 'dbOwner', 'userAdmin'];

interface Failure { error: { code: number; codeName: string } }
type Reply = Record<string, unknown> | Failure;

/** An admin database that answers each command by its name from `replies`, and records what it was sent. */
function fakeAdmin(replies: Record<string, Reply>): { admin: AdminCommand; sent: Record<string, unknown>[] } {
  const sent: Record<string, unknown>[] = [];
  const admin: AdminCommand = (command) => {
    sent.push(command);
    const name = Object.keys(command)[0] ?? '';
    const reply = replies[name] ?? { ok: 1 };
    if ('error' in reply) {
      const { error } = reply as Failure;
      return Promise.reject(Object.assign(new Error(error.codeName), error));
    }
    return Promise.resolve({ ...reply, ok: 1 });
  };
  return { admin, sent };
}

function expectDocumented(sent: readonly Record<string, unknown>[]): void {
  for (const command of sent) {
    const [name = '', ...rest] = Object.keys(command);
    expect(DOCUMENTED[name], `${name} is a documented command`).toBeDefined();
    for (const field of rest) expect(DOCUMENTED[name], `${name}.${field}`).toContain(field);
    for (const role of (command['roles'] as { role: string; db: string }[] | undefined) ?? []) {
      expect(BUILT_IN_ROLES).toContain(role.role);
      expect(role.db).toMatch(/^lco-gaim-(local|stage|prod)$/);
    }
  }
}

const notImplemented = { error: { code: 238, codeName: 'NotImplemented' } };
const mongod = { version: '8.0.4', gitVersion: 'abc' };
const ferretdb = { version: '7.0.42', ferretdbVersion: 'v1.24.2' };
const user = { username: 'gaim-app', password: 'pw' };
const rw = (db: string) => ({ role: 'readWrite', db });

describe('the app user\'s commands, as sent', () => {
  it.each([
    ['a missing user: created with its password and readWrite on each environment database',
      { usersInfo: { users: [] } },
      [{ usersInfo: { user: 'gaim-app', db: 'admin' } }, { createUser: 'gaim-app', pwd: 'pw', roles: [rw('lco-gaim-stage'), rw('lco-gaim-prod')] }], 'created'],
    ['a user lacking a role: granted only that, its password untouched',
      { usersInfo: { users: [{ roles: [rw('lco-gaim-stage')] }] } },
      [{ usersInfo: { user: 'gaim-app', db: 'admin' } }, { grantRolesToUser: 'gaim-app', roles: [rw('lco-gaim-prod')] }], 'granted'],
    ['a user with every role: nothing but the question',
      { usersInfo: { users: [{ roles: [rw('lco-gaim-stage'), rw('lco-gaim-prod')] }] } },
      [{ usersInfo: { user: 'gaim-app', db: 'admin' } }], 'exists'],
  ] as const)('%s', async (_name, replies, expected, outcome) => {
    const { admin, sent } = fakeAdmin(replies);
    expect(await seedAppUser(admin, ['stage', 'prod'], user)).toBe(outcome);
    expect(sent).toEqual(expected);
    expectDocumented(sent);
  });

  it.each([
    ['apply, the pending user missing: created', 'apply', false,
      [{ createUser: 'gaim-app-2', pwd: 'new', roles: [rw('lco-gaim-prod')] }]],
    ['apply, the pending user there (an interrupted apply): its password and roles set', 'apply', true,
      [{ updateUser: 'gaim-app-2', pwd: 'new', roles: [rw('lco-gaim-prod')] }]],
  ] as const)('rotation: %s', async (_name, step, pendingExists, expected) => {
    const { admin, sent } = fakeAdmin({});
    const state = { current: { username: 'gaim-app', password: 'old' }, pending: { username: 'gaim-app-2', password: 'new' } };
    expect(await runUserCommands(admin, mongoUserCommands(step, state, pendingExists, [rw('lco-gaim-prod')]))).toBe('done');
    expect(sent).toEqual(expected);
    expectDocumented(sent);
  });

  it('rotation: expire drops the previous user, and only it', async () => {
    const { admin, sent } = fakeAdmin({});
    const state = { current: { username: 'gaim-app-2', password: 'new' }, previous: { username: 'gaim-app', password: 'old' } };
    expect(await runUserCommands(admin, mongoUserCommands('expire', state, false, [rw('lco-gaim-prod')]))).toBe('done');
    expect(sent).toEqual([{ dropUser: 'gaim-app' }]);
    expectDocumented(sent);
  });
});

describe('how each answer is classified', () => {
  const seed = (replies: Record<string, Reply>) => seedAppUser(fakeAdmin(replies).admin, ['prod'], user);
  const drop = (replies: Record<string, Reply>) => runUserCommands(fakeAdmin(replies).admin, [{ dropUser: 'gaim-app' }]);
  const create = (replies: Record<string, Reply>) => runUserCommands(fakeAdmin(replies).admin, [{ createUser: 'gaim-app-2', pwd: 'new', roles: [rw('lco-gaim-prod')] }]);

  it('NotImplemented from FerretDB (it says so in buildInfo): unsupported, nothing else sent', async () => {
    const { admin, sent } = fakeAdmin({ usersInfo: { users: [] }, createUser: notImplemented, buildInfo: ferretdb });
    expect(await seedAppUser(admin, ['prod'], user)).toBe('unsupported');
    expect(sent.map((c) => Object.keys(c)[0])).toEqual(['usersInfo', 'createUser', 'buildInfo']);
    expect(await create({ createUser: notImplemented, buildInfo: ferretdb })).toBe('unsupported');
  });

  it('NotImplemented from a real mongod: a fault that fails the Gaim', async () => {
    await expect(seed({ usersInfo: { users: [] }, createUser: notImplemented, buildInfo: mongod })).rejects.toMatchObject({ code: 238 });
    await expect(create({ createUser: notImplemented, buildInfo: mongod })).rejects.toMatchObject({ code: 238 });
    // A server that cannot say what it is is not assumed to be FerretDB.
    await expect(create({ createUser: notImplemented, buildInfo: { error: { code: 13, codeName: 'Unauthorized' } } })).rejects.toMatchObject({ code: 238 });
  });

  it.each([
    ['UserAlreadyExists (51003)', 51003, 'UserAlreadyExists'],
    ['Unauthorized (13)', 13, 'Unauthorized'],
    ['RoleNotFound (31)', 31, 'RoleNotFound'],
    ['UserNotFound (11) on a create', 11, 'UserNotFound'],
  ] as const)('%s from FerretDB or mongod: thrown, never unsupported', async (_name, code, codeName) => {
    for (const server of [mongod, ferretdb]) {
      await expect(seed({ usersInfo: { users: [] }, createUser: { error: { code, codeName } }, buildInfo: server })).rejects.toMatchObject({ code });
      await expect(create({ createUser: { error: { code, codeName } }, buildInfo: server })).rejects.toMatchObject({ code });
    }
  });

  it('UserNotFound on dropping the previous user: already dropped (an interrupted expire), done', async () => {
    expect(await drop({ dropUser: { error: { code: 11, codeName: 'UserNotFound' } } })).toBe('done');
    await expect(drop({ dropUser: { error: { code: 13, codeName: 'Unauthorized' } } })).rejects.toMatchObject({ code: 13 });
  });
});
