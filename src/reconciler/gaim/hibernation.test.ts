import { describe, expect, it } from 'vitest';
import { Resources } from '../../kube/resources.js';
import { cachesOf } from '../../testing/caches-fake.js';
import { testGaim } from '../../testing/gaims.js';
import { busy, decideHibernation, type HibernationInput } from './hibernation.js';

const now = new Date('2026-12-07T12:00:00Z');
const synced = { syncStatus: 'Synced', observedGeneration: 1 };
const asleep = { ...synced, hibernatedAt: '2026-12-07T10:00:00Z', hibernatedGeneration: 1 };
const input = (spec: Record<string, unknown>, status: Record<string, unknown>, over: Partial<HibernationInput> = {}, metadata: Record<string, unknown> = {}): HibernationInput => ({
  gaim: testGaim(spec, { status, metadata }), now, idleSince: undefined, wakeRequestedAt: undefined, busy: undefined, ...over,
});
const auto = (idleAfter = '1h') => ({ hibernation: { mode: 'Auto', idleAfter } });

describe('decideHibernation', () => {
  const cases: [string, HibernationInput, Record<string, unknown>][] = [
    ['no hibernation: awake', input({}, synced), { kind: 'awake' }],
    ['Off after a sleep: wakes', input({ hibernation: { mode: 'Off' } }, asleep), { kind: 'waking', by: 'spec.hibernation.mode is Off' }],
    ['On: goes to sleep', input({ hibernation: { mode: 'On' } }, synced), { kind: 'asleep' }],
    ['On, not Synced: still goes to sleep (the user asked)', input({ hibernation: { mode: 'On' } }, { syncStatus: 'Failed' }), { kind: 'asleep' }],
    ['On, a backup under way: held', input({ hibernation: { mode: 'On' } }, synced, { busy: 'backup b is under way' }), { kind: 'held', why: 'backup b is under way' }],
    ['On, asleep: stays asleep whatever is asked', input({ hibernation: { mode: 'On' } }, asleep, { wakeRequestedAt: new Date('2026-12-07T11:00:00Z') }, { annotations: { 'gaim.livingcontent.io/wake': 'now' } }), { kind: 'asleep' }],
    ['Auto, queues in use: awake', input(auto(), synced), { kind: 'awake' }],
    ['Auto, idle less than idleAfter: awake until then', input(auto(), synced, { idleSince: new Date('2026-12-07T11:30:00Z') }), { kind: 'awake', hibernateAt: new Date('2026-12-07T12:30:00Z') }],
    ['Auto, idle for idleAfter: goes to sleep', input(auto(), synced, { idleSince: new Date('2026-12-07T11:00:00Z') }), { kind: 'asleep' }],
    ['Auto, idle but not Synced: held awake', input(auto(), { syncStatus: 'Progressing', observedGeneration: 1 }, { idleSince: new Date('2026-12-07T10:00:00Z') }), { kind: 'awake', held: 'it is not Synced' }],
    ['Auto, idle but a spec change not acted on: held awake', input(auto(), synced, { idleSince: new Date('2026-12-07T10:00:00Z') }, { generation: 2 }), { kind: 'awake', held: 'it is not Synced' }],
    ['Auto, idle but busy: held awake', input(auto(), synced, { idleSince: new Date('2026-12-07T10:00:00Z'), busy: 'its credentials are being rotated' }), { kind: 'awake', held: 'its credentials are being rotated' }],
    ['Auto, asleep, nothing asked: stays asleep', input(auto(), asleep), { kind: 'asleep' }],
    ['Auto, asleep, the wake annotation: wakes', input(auto(), asleep, {}, { annotations: { 'gaim.livingcontent.io/wake': '2026-12-07T11:59:00Z' } }), { kind: 'waking', by: 'the gaim.livingcontent.io/wake annotation (2026-12-07T11:59:00Z)' }],
    ['Auto, asleep, an annotation already handled: stays asleep', input(auto(), { ...asleep, wakeHandled: 'w1' }, {}, { annotations: { 'gaim.livingcontent.io/wake': 'w1' } }), { kind: 'asleep' }],
    ['Auto, asleep, a spec change: wakes', input(auto(), asleep, {}, { generation: 2 }), { kind: 'waking', by: 'its spec changed (generation 2)' }],
    ['Auto, asleep, a Firestore request after the sleep: wakes', input(auto(), asleep, { wakeRequestedAt: new Date('2026-12-07T11:00:00Z') }), { kind: 'waking', by: 'wake_requested_at in Firestore (2026-12-07T11:00:00.000Z)' }],
    ['Auto, asleep, a Firestore request from before the sleep: stays asleep', input(auto(), asleep, { wakeRequestedAt: new Date('2026-12-07T09:00:00Z') }), { kind: 'asleep' }],
  ];
  it.each(cases)('%s', (_name, given, expected) => {
    expect(decideHibernation(given)).toMatchObject(expected);
  });
});

describe('busy: what sleep must not cut short', () => {
  const gaim = (spec: Record<string, unknown> = {}, status: Record<string, unknown> = synced, annotations: Record<string, string> = {}) => testGaim(spec, { status, metadata: { annotations } });
  const backup = (phase: string) => ({ apiVersion: 'gaim.livingcontent.io/v1alpha1', kind: 'GaimBackup', metadata: { name: 'b1', namespace: 'team' }, spec: { gaim: 'marvin' }, status: { phase } });
  const grace = 600;
  const cases: [string, ReturnType<typeof gaim>, ReturnType<typeof cachesOf>, string | undefined][] = [
    ['nothing under way', gaim(), cachesOf(), undefined],
    ['a restore not done', gaim({ restoreFrom: { backup: 'b0' } }), cachesOf(), 'it is being restored'],
    ['a backup running', gaim(), cachesOf([[Resources.gaimBackup, backup('Running')]]), 'backup b1 is under way'],
    ['a backup that ended', gaim(), cachesOf([[Resources.gaimBackup, backup('Completed')]]), undefined],
    ['a rotation asked for', gaim({}, synced, { 'gaim.livingcontent.io/rotate-credentials': 'r1' }), cachesOf(), 'its credentials are being rotated'],
    ['a rotation in its grace period', gaim({}, { ...synced, credentialsRotatedAt: '2026-12-07T11:55:00Z' }), cachesOf(), 'the previous credentials\' grace period has not ended'],
    ['a rotation past its grace period', gaim({}, { ...synced, credentialsRotatedAt: '2026-12-07T11:00:00Z' }), cachesOf(), undefined],
    ['a claim growing', gaim({}, { ...synced, claims: [{ name: 'data-marvin-redis-0', store: 'redis', requested: '4Gi', capacity: '2Gi' }] }), cachesOf(), 'claim data-marvin-redis-0 is growing'],
    ['Auto, a scheduled backup due and not taken', gaim({ ...auto(), backup: { schedule: '0 * * * *' } }, { ...synced, lastScheduleTime: '2026-12-07T11:00:00Z' }), cachesOf(), 'a scheduled backup (2026-12-07T12:00:00.000Z) is due'],
    ['Auto, the next slot within five minutes', gaim({ ...auto(), backup: { schedule: '3 * * * *' } }, { ...synced, lastScheduleTime: '2026-12-07T11:03:00Z' }), cachesOf(), 'its backup schedule\'s next slot (2026-12-07T12:03:00.000Z) is near'],
    ['Auto, the slot taken and the next far', gaim({ ...auto(), backup: { schedule: '30 * * * *' } }, { ...synced, lastScheduleTime: '2026-12-07T11:30:00Z' }), cachesOf(), undefined],
    ['On ignores the schedule (a backup of a sleeping Gaim snapshots its volumes)', gaim({ hibernation: { mode: 'On' }, backup: { schedule: '0 * * * *' } }, { ...synced, lastScheduleTime: '2026-12-07T11:00:00Z' }), cachesOf(), undefined],
  ];
  it.each(cases)('%s', (_name, g, caches, expected) => {
    expect(busy(g, caches, grace, now)).toBe(expected);
  });
});
