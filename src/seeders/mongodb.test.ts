import { describe, expect, it } from 'vitest';
import { appUserPlan } from './mongodb.js';

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
