import type { Firestore } from '@google-cloud/firestore';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { BUILT_IN_TIERS, keepRunning } from '../resources/tiers.js';
import { AppRegistry } from './app-registry.js';
import { FirestoreBreaker } from './breaker.js';

/** A Firestore whose registry documents are `docs` (absent: not found), or that is unreachable. */
function firestore(state: { reachable: boolean; docs: Record<string, unknown> }): () => Promise<Firestore> {
  const fake = {
    doc: (path: string) => ({ path }),
    getAll: (...refs: { path: string }[]) => (state.reachable
      ? Promise.resolve(refs.map((ref) => ({ exists: state.docs[ref.path] !== undefined, data: () => state.docs[ref.path] })))
      : Promise.reject(Object.assign(new Error('14 UNAVAILABLE: No connection established'), { code: 14 }))),
  };
  return () => Promise.resolve(fake as unknown as Firestore);
}
const mongodbSmall = { tier_defaults: { small: { cpu: '300m', memory: '768Mi', storage: '12Gi' } } };

describe('the app registry\'s tier sizes', () => {
  it('are unknown, never the built-in ones, while Firestore has not been read since start-up', async () => {
    const state = { reachable: false, docs: { 'tenant_manager/config/apps/mongodb': mongodbSmall } };
    const registry = new AppRegistry(firestore(state), pino({ level: 'silent' }), new FirestoreBreaker(0), 0);
    expect(await registry.sizes('small')).toBeUndefined();
    state.reachable = true;
    expect(await registry.sizes('small')).toEqual({ mongodb: { cpu: '300m', memory: '768Mi', storage: '12Gi' }, redis: BUILT_IN_TIERS.small.redis });
    // Read once: an outage later keeps the last sizes read.
    state.reachable = false;
    expect((await registry.sizes('small'))?.mongodb.cpu).toBe('300m');
  });

  it('are the built-in ones for an app without a document, and without Firestore at all', async () => {
    const registry = new AppRegistry(firestore({ reachable: true, docs: {} }), pino({ level: 'silent' }), new FirestoreBreaker(0), 0);
    expect(await registry.sizes('medium')).toEqual(BUILT_IN_TIERS.medium);
    expect(await new AppRegistry(undefined, pino({ level: 'silent' })).sizes('large')).toEqual(BUILT_IN_TIERS.large);
  });
});

describe('sizes while the registry\'s are unknown', () => {
  it('keep a running store exactly as it is, and give a store not made yet the built-in size', () => {
    expect(keepRunning(BUILT_IN_TIERS.small, { mongodb: { cpu: '300m', memory: '768Mi', storage: '12Gi' } })).toEqual({
      mongodb: { cpu: '300m', memory: '768Mi', storage: '12Gi' },
      redis: BUILT_IN_TIERS.small.redis,
    });
    // A StatefulSet without requests (made by hand) is not a size to keep.
    expect(keepRunning(BUILT_IN_TIERS.small, { redis: { storage: '4Gi' } }).redis).toEqual(BUILT_IN_TIERS.small.redis);
  });
});
