import { describe, expect, it } from 'vitest';
import {
  acceptedCredentials, alternateUsername, mongoUserCommands, nextCredential, nextRotationStep, redisAclCommand,
  type RotationState, type RotationStep,
} from './rotation.js';

const now = new Date('2026-11-23T12:00:00Z');
const later = new Date('2026-11-24T12:00:00Z');
const app = { username: 'gaim-app', password: 'old' };
const app2 = { username: 'gaim-app-2', password: 'new' };
const roles = [{ role: 'readWrite', db: 'lco-gaim-local' }];

/**
 * Walks a rotation the way the reconcile does: one step at a time, the Secret updated after each,
 * the store's accepted credentials tracked. Stops after `stopAfter` steps (the operator killed).
 */
function walk(start: RotationState, requested: string, alternate: boolean, stopAfter = Infinity, state = start, accepted = new Set(acceptedCredentials(start).map((c) => c.password))) {
  const steps: RotationStep['kind'][] = [];
  let applied = false;
  for (let i = 0; i < 10 && steps.length < stopAfter; i++) {
    const step = nextRotationStep(state, requested, applied, now);
    if (step.kind === 'idle' || step.kind === 'wait') break;
    steps.push(step.kind);
    switch (step.kind) {
      case 'generate': state = { ...state, pending: nextCredential(state.current, alternate, `p${String(i)}`), request: step.request }; applied = false; break;
      case 'apply': for (const c of acceptedCredentials(state)) accepted.add(c.password); applied = true; break;
      case 'switch': if (state.pending) state = { current: state.pending, previous: state.current, graceEndsAt: later, request: state.request }; break;
      case 'expire': if (state.previous) accepted.delete(state.previous.password); state = { current: state.current, request: state.request }; break;
    }
    // The invariant: whatever the Secret calls current, the store accepts.
    expect(accepted.has(state.current.password)).toBe(true);
  }
  return { steps, state, accepted };
}

describe('nextRotationStep', () => {
  it('does nothing without a request, or for a request already taken up', () => {
    expect(nextRotationStep({ current: app }, undefined, false, now)).toEqual({ kind: 'idle' });
    expect(nextRotationStep({ current: app, request: 'r1' }, 'r1', false, now)).toEqual({ kind: 'idle' });
  });

  it('walks generate → apply → switch, then waits out the grace period with both credentials accepted', () => {
    const { steps, state, accepted } = walk({ current: app }, 'r1', true);
    expect(steps).toEqual(['generate', 'apply', 'switch']);
    expect(state).toMatchObject({ current: { username: 'gaim-app-2' }, previous: app, request: 'r1' });
    expect([...accepted].sort()).toEqual(['old', 'p0']);
    expect(nextRotationStep(state, 'r1', true, now)).toEqual({ kind: 'wait', untilMs: later.getTime() - now.getTime() });
  });

  it('expires the previous credential once the grace period is over, and only then', () => {
    const inGrace: RotationState = { current: app2, previous: app, graceEndsAt: later, request: 'r1' };
    expect(nextRotationStep(inGrace, 'r1', true, now).kind).toBe('wait');
    expect(nextRotationStep(inGrace, 'r1', true, later)).toEqual({ kind: 'expire' });
    expect(nextRotationStep({ current: app2, previous: app, request: 'r1' }, 'r1', true, now)).toEqual({ kind: 'expire' });
  });

  it('re-applies during the grace period when the store may have forgotten (a Redis restart)', () => {
    expect(nextRotationStep({ current: app2, previous: app, graceEndsAt: later, request: 'r1' }, 'r1', false, now)).toEqual({ kind: 'apply' });
  });

  it('ends a grace period early for a newer request, then rotates again', () => {
    const { steps, state } = walk({ current: app2, previous: app, graceEndsAt: later, request: 'r1' }, 'r2', true);
    expect(steps).toEqual(['expire', 'generate', 'apply', 'switch']);
    expect(state).toMatchObject({ current: { username: 'gaim-app' }, previous: { username: 'gaim-app-2' }, request: 'r2' });
  });

  it('finishes an interrupted rotation from what the Secret holds, at every step, never with a current credential the store refuses', () => {
    for (let stopAfter = 1; stopAfter <= 3; stopAfter++) {
      const first = walk({ current: app }, 'r1', false, stopAfter);
      // Killed: the in-memory "applied" is lost, the Secret and the store keep what they had.
      const resumed = walk(first.state, 'r1', false, Infinity, first.state, first.accepted);
      expect(resumed.state.current.password).not.toBe('old');
      expect(resumed.state.previous?.password).toBe('old');
      expect(resumed.accepted.has('old')).toBe(true);
    }
  });
});

describe('credentials', () => {
  it('alternates MongoDB\'s two app users and keeps Redis\'s one', () => {
    expect(alternateUsername('gaim-app')).toBe('gaim-app-2');
    expect(alternateUsername('gaim-app-2')).toBe('gaim-app');
    expect(nextCredential(app, false, 'x')).toEqual({ username: 'gaim-app', password: 'x' });
  });

  it('lists what the store accepts, current first', () => {
    expect(acceptedCredentials({ current: app2, previous: app, pending: { username: 'gaim-app', password: 'p' } }).map((c) => c.password)).toEqual(['new', 'p', 'old']);
  });
});

describe('store commands', () => {
  it('sets exactly the Secret\'s passwords on the Redis user (idempotent: resetpass first)', () => {
    expect(redisAclCommand('default', ['new', 'old'])).toEqual(['ACL', 'SETUSER', 'default', 'resetpass', '>new', '>old']);
  });

  it('creates the pending MongoDB user with the app roles, or updates one an interrupted apply left', () => {
    const state: RotationState = { current: app, pending: app2 };
    expect(mongoUserCommands('apply', state, false, roles)).toEqual([{ createUser: 'gaim-app-2', pwd: 'new', roles }]);
    expect(mongoUserCommands('apply', state, true, roles)).toEqual([{ updateUser: 'gaim-app-2', pwd: 'new', roles }]);
    expect(mongoUserCommands('apply', { current: app }, false, roles)).toEqual([]);
  });

  it('drops only the previous MongoDB user, never the current one', () => {
    expect(mongoUserCommands('expire', { current: app2, previous: app }, false, roles)).toEqual([{ dropUser: 'gaim-app' }]);
    expect(mongoUserCommands('expire', { current: app, previous: app }, false, roles)).toEqual([]);
  });
});
