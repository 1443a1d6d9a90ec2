import { describe, expect, it } from 'vitest';
import type { GaimStatus } from '../api/v1alpha1/gaim.js';
import type { Readiness } from '../resources/readiness.js';
import { buildStatus, sameStatus, type StatusInput } from './gaim-status.js';

const now = new Date('2026-03-04T05:06:07Z');
const up: Readiness = { ready: true, reason: 'Ready', message: '1/1 pods ready' };
const down: Readiness = { ready: false, reason: 'PodsPending', message: '0/1 pods ready' };
const bound: Readiness = { ready: true, reason: 'ClaimBound', message: 'claim is Bound' };
const seededAll = { seeded: { mongodb: 'a', redis: 'b', storage: 'c', firestore: 'd' }, pending: [], failed: [] };
const gaim = (status?: GaimStatus): StatusInput['gaim'] => ({ metadata: { name: 'marvin', namespace: 'marvin', generation: 3 }, status });
const input = (over: Partial<StatusInput>): StatusInput => ({ gaim: gaim(), now, ledger: { retryCount: 0 }, ...over });
const conditions = (status: GaimStatus) => Object.fromEntries((status.conditions ?? []).map((c) => [c.type, `${c.status}/${c.reason}`]));

describe('buildStatus', () => {
  it.each<[string, Partial<StatusInput>, Partial<GaimStatus>, Record<string, string>]>([
    ['every store ready and seeded: Synced',
      { stores: { mongodb: up, redis: up, storage: bound }, seeding: seededAll, firestore: { ok: true, message: 'ok' } },
      { syncStatus: 'Synced', message: 'all stores are ready and seeded' },
      { Ready: 'True/Ready', MongoDBReady: 'True/Ready', RedisReady: 'True/Ready', StorageReady: 'True/ClaimBound', Seeded: 'True/Seeded', FirestoreSynced: 'True/FirestoreWritten' }],
    ['a store not ready: Progressing, Ready False naming it',
      { stores: { mongodb: up, redis: down, storage: bound }, seeding: { ...seededAll, pending: ['redis'] } },
      { syncStatus: 'Progressing', message: 'RedisReady: 0/1 pods ready; waiting to seed: redis' },
      { Ready: 'False/Progressing', RedisReady: 'False/PodsPending', Seeded: 'False/SeedPending' }],
    ['only Firestore left to seed: Ready (the Kubernetes side), still Progressing',
      { stores: { mongodb: up, redis: up, storage: bound }, seeding: { ...seededAll, pending: ['firestore'] }, firestore: { ok: false, message: 'unreachable' } },
      { syncStatus: 'Progressing', message: 'stores are ready; waiting to seed: firestore' },
      { Ready: 'True/Ready', Seeded: 'False/SeedPending', FirestoreSynced: 'False/FirestoreUnavailable' }],
    ['a disabled store counts as ready, with reason Disabled',
      { stores: { mongodb: 'disabled', redis: up, storage: bound }, seeding: seededAll },
      { syncStatus: 'Synced' },
      { MongoDBReady: 'True/Disabled', Ready: 'True/Ready' }],
    ['an error wins over readiness: Failed with its type and reason',
      { stores: { mongodb: up, redis: up, storage: bound }, seeding: { ...seededAll, failed: ['mongodb'] },
        error: { type: 'mongodb', message: 'cannot seed mongodb: auth failed', reason: 'MongoDBSeedFailed' }, ledger: { retryCount: 2, lastRetryAt: '2026-03-04T05:06:07.000Z', nextRetryAt: '2026-03-04T05:06:09.000Z' } },
      { syncStatus: 'Failed', errorType: 'mongodb', message: 'cannot seed mongodb: auth failed', retryCount: 2, nextRetryAt: '2026-03-04T05:06:09.000Z' },
      { Ready: 'False/MongoDBSeedFailed', Seeded: 'False/SeedFailed' }],
    ['a validation error alone (nothing observed)',
      { error: { type: 'validation', message: 'spec.tier: invalid', reason: 'InvalidSpec' } },
      { syncStatus: 'Failed', errorType: 'validation', observedGeneration: 3 },
      { Ready: 'False/InvalidSpec' }],
  ])('%s', (_name, over, expected, expectedConditions) => {
    const status = buildStatus(input(over));
    expect(status).toMatchObject({ observedGeneration: 3, ...expected });
    expect(conditions(status)).toMatchObject(expectedConditions);
    if (over.error === undefined) expect(status).not.toHaveProperty('errorType');
  });

  it('keeps a seeding warning until its store is seeded again, even when another store finishes later', () => {
    const warning = { store: 'mongodb' as const, reason: 'AppUserUnsupported', message: 'cannot create the mongodb app user' };
    const stores = { mongodb: up, redis: up, storage: bound };
    // MongoDB is seeded (with the warning) while the LanceDB Job still runs ...
    const first = buildStatus(input({ stores, seeding: { ...seededAll, pending: ['storage'], justSeeded: ['mongodb', 'redis'], warnings: [warning] } }));
    expect(conditions(first)['Seeded']).toBe('False/SeedPending');
    // ... and when the Job completes later, Seeded says what MongoDB could not do.
    const second = buildStatus(input({ gaim: gaim(first), stores, seeding: { ...seededAll, justSeeded: ['storage'] } }));
    expect(conditions(second)['Seeded']).toBe('True/AppUserUnsupported');
    expect(second.seedWarnings).toEqual([warning]);
    expect(second.syncStatus).toBe('Synced');
    // Seeded again without the problem (a new environment on a server that can): the warning goes.
    const third = buildStatus(input({ gaim: gaim(second), stores, seeding: { ...seededAll, justSeeded: ['mongodb'] } }));
    expect(conditions(third)['Seeded']).toBe('True/Seeded');
    expect(third).not.toHaveProperty('seedWarnings');
  });

  it('says Deleting while the finalizer runs, keeping every other field as the last reconcile left it', () => {
    const running = buildStatus(input({ stores: { mongodb: up, redis: up, storage: bound }, seeding: seededAll, endpoints: { mongodb: 'm' }, claims: [{ name: 'c', store: 'mongodb', requested: '10Gi', capacity: '10Gi' }], ledger: { retryCount: 2, lastRetryAt: 'x' } }));
    const deleting = buildStatus({ gaim: gaim(running), now, deleting: { reason: 'FinalBackupPending', message: 'deleting: waiting for the final backup' } });
    expect(deleting).toMatchObject({ syncStatus: 'Progressing', message: 'deleting: waiting for the final backup', retryCount: 2, lastRetryAt: 'x', seeded: running.seeded, endpoints: running.endpoints, claims: running.claims });
    expect(conditions(deleting)).toMatchObject({ Ready: 'False/FinalBackupPending', MongoDBReady: 'True/Ready', Seeded: 'True/Seeded' });
    const failed = buildStatus(input({ error: { type: 'storage', message: 'm', reason: 'VolumeResizeFailed' } }));
    const { syncStatus: _s, message: _m, conditions: _c, ...rest } = failed;
    expect(buildStatus({ gaim: gaim(failed), now, deleting: { reason: 'Deleting', message: 'deleting' } })).toMatchObject({ ...rest, errorType: 'storage', syncStatus: 'Progressing' });
    expect(sameStatus(deleting, buildStatus({ gaim: gaim(deleting), now, deleting: { reason: 'FinalBackupPending', message: 'deleting: waiting for the final backup' } }))).toBe(true);
  });

  it('keeps the previous sync status while suspended, and says so', () => {
    const status = buildStatus(input({ gaim: gaim({ syncStatus: 'Synced' }), suspended: true }));
    expect(status).toMatchObject({ syncStatus: 'Synced', message: 'suspended: spec.suspend is true, no changes are made' });
    expect(conditions(status)).toEqual({ Ready: 'False/Suspended' });
  });

  it('carries what this reconcile did not look at (endpoints, seeded, retry-now) from the previous status', () => {
    const previous: GaimStatus = { endpoints: { lancedbClaim: 'marvin-lancedb' }, seeded: { storage: 'x' }, retryNowHandled: 'r1', retryCount: 1, lastRetryAt: '2026-03-04T05:00:00.000Z' };
    const status = buildStatus({ gaim: gaim(previous), now, error: { type: 'validation', message: 'bad', reason: 'InvalidSpec' } });
    expect(status).toMatchObject({ endpoints: previous.endpoints, seeded: previous.seeded, retryNowHandled: 'r1', retryCount: 1, lastRetryAt: previous.lastRetryAt });
  });

  it('is stable: the same input twice gives a status that needs no write', () => {
    const first = buildStatus(input({ stores: { mongodb: up, redis: up, storage: bound }, seeding: seededAll }));
    const second = buildStatus(input({ gaim: gaim(first), now: new Date('2026-03-05T00:00:00Z'), stores: { mongodb: up, redis: up, storage: bound }, seeding: seededAll }));
    expect(sameStatus(first, second)).toBe(true);
    expect(sameStatus(first, { ...second, retryCount: 1 })).toBe(false);
  });
});

describe('the same error, failing again and again', () => {
  const failing = (retryCount: number, reason = 'StorageFailed', type: 'storage' | 'redis' = 'storage') => ({
    error: { type, message: `cannot seed (${reason})`, reason }, ledger: { retryCount },
  });
  /** Attempts in sequence, each building on the status the previous one wrote. */
  const run = (attempts: Partial<StatusInput>[]) => attempts.reduce<GaimStatus | undefined>((status, over) => buildStatus(input({ gaim: gaim(status), degradedAfterFailures: 3, ...over })), undefined);

  it('counts the failures in a row and says degraded from the threshold on, while still retrying', () => {
    const twice = run([failing(1), failing(2)]);
    expect(twice).toMatchObject({ sameErrorStreak: 2, degraded: false, syncStatus: 'Failed' });
    expect(run([failing(1), failing(2), failing(3)])).toMatchObject({ sameErrorStreak: 3, degraded: true });
  });

  it('starts over for another error, and forgets the streak after a success', () => {
    expect(run([failing(1), failing(2), failing(3), failing(4, 'RedisSeedFailed', 'redis')])).toMatchObject({ sameErrorStreak: 1, degraded: false });
    const healed = run([failing(1), failing(2), failing(3), { stores: { mongodb: up, redis: up, storage: bound }, seeding: seededAll, ledger: { retryCount: 0 } }]);
    expect(healed?.sameErrorStreak).toBeUndefined();
    expect(healed?.degraded).toBeUndefined();
  });

  it('does not count a report that counted no attempt (the ledger did not move)', () => {
    expect(run([failing(1), failing(2), failing(2)])).toMatchObject({ sameErrorStreak: 2 });
  });

  it('never calls a terminal error degraded (it is Failed for good until the spec changes)', () => {
    const terminal = { error: { type: 'validation' as const, message: 'spec.tier: invalid', reason: 'InvalidSpec', terminal: true }, ledger: { retryCount: 0 } };
    expect(run([terminal, terminal, terminal, terminal])?.degraded).toBe(false);
  });
});

describe('hibernation in status', () => {
  const stores = { mongodb: up, redis: up, storage: bound } as const;
  const awake = buildStatus(input({ stores, seeding: seededAll }));
  const since = '2026-03-04T05:00:00.000Z';

  it('asleep: Synced (what the spec asks, reached), Ready False, Hibernated True, the stores stopped, hibernatedAt kept', () => {
    const status = buildStatus(input({ gaim: gaim(awake), hibernation: { state: 'asleep', shown: true, since, generation: 3, message: 'spec.hibernation.mode is On', deferred: ['the credential rotation asked for runs on wake'] } }));
    expect(status).toMatchObject({ syncStatus: 'Synced', hibernatedAt: since, hibernatedGeneration: 3,
      message: `hibernated since ${since}: spec.hibernation.mode is On; the credential rotation asked for runs on wake` });
    expect(conditions(status)).toMatchObject({ Ready: 'False/Hibernated', Hibernated: 'True/Hibernated', MongoDBReady: 'False/Hibernated', RedisReady: 'False/Hibernated', StorageReady: 'True/ClaimBound', Seeded: 'True/Seeded' });
    expect(status.seeded).toEqual(awake.seeded);
  });

  it('going to sleep (pods still stopping): Progressing, Hibernated False/Hibernating', () => {
    const status = buildStatus(input({ gaim: gaim(awake), hibernation: { state: 'hibernating', shown: true, since, generation: 3, message: '1 pod(s) still stopping' } }));
    expect(status).toMatchObject({ syncStatus: 'Progressing', hibernatedAt: since });
    expect(conditions(status)).toMatchObject({ Ready: 'False/Hibernating', Hibernated: 'False/Hibernating' });
  });

  it('waking: hibernatedAt goes, Hibernated says Waking until Synced, then Awake', () => {
    const asleep = buildStatus(input({ gaim: gaim(awake), hibernation: { state: 'asleep', shown: true, since, generation: 3, message: 'm' } }));
    const starting = buildStatus(input({ gaim: gaim(asleep), stores: { mongodb: down, redis: down, storage: bound }, seeding: seededAll, hibernation: { state: 'waking', shown: true, message: 'the annotation' } }));
    expect(starting).toMatchObject({ syncStatus: 'Progressing' });
    expect(starting).not.toHaveProperty('hibernatedAt');
    expect(starting).not.toHaveProperty('hibernatedGeneration');
    expect(conditions(starting)).toMatchObject({ Hibernated: 'False/Waking', MongoDBReady: 'False/PodsPending' });
    const still = buildStatus(input({ gaim: gaim(starting), stores: { mongodb: up, redis: down, storage: bound }, seeding: seededAll, hibernation: { state: 'awake', shown: true, message: 'the stores run' } }));
    expect(conditions(still)['Hibernated']).toBe('False/Waking');
    const up2 = buildStatus(input({ gaim: gaim(still), stores, seeding: seededAll, hibernation: { state: 'awake', shown: true, message: 'the stores run' } }));
    expect(up2.syncStatus).toBe('Synced');
    expect(conditions(up2)['Hibernated']).toBe('False/Awake');
  });

  it('no condition for a Gaim that never hibernates; the wake annotation recorded whatever the state', () => {
    const status = buildStatus(input({ gaim: gaim(awake), stores, seeding: seededAll, hibernation: { state: 'awake', shown: false, message: 'the stores run', wakeHandled: 'w1' } }));
    expect(conditions(status)).not.toHaveProperty('Hibernated');
    expect(status.wakeHandled).toBe('w1');
    expect(sameStatus(awake, buildStatus(input({ gaim: gaim(awake), stores, seeding: seededAll, hibernation: { state: 'awake', shown: false, message: 'the stores run' } })))).toBe(true);
  });

  it('an error while asleep (a scheduled backup that failed) keeps what status said of hibernation', () => {
    const asleep = buildStatus(input({ gaim: gaim(awake), hibernation: { state: 'asleep', shown: true, since, generation: 3, message: 'm' } }));
    const failed = buildStatus(input({ gaim: gaim(asleep), error: { type: 'redis', message: 'cannot hibernate', reason: 'HibernationFlushFailed' } }));
    expect(failed).toMatchObject({ syncStatus: 'Failed', hibernatedAt: since });
    expect(conditions(failed)).toMatchObject({ Hibernated: 'True/Hibernated', Ready: 'False/HibernationFlushFailed' });
  });
});
