import { describe, expect, it } from 'vitest';
import type { StoresReadiness } from '../../status/gaim-status.js';
import { testGaim } from '../../testing/gaims.js';
import { forTending, settleStores, type ReadinessVerdicts } from './readiness.js';

const up = { ready: true, reason: 'Ready', message: '1/1 pods ready' };
const starting = { ready: false, reason: 'PodsPending', message: '0/1 pods ready' };
const pending = { ready: false, reason: 'ClaimPending', message: 'claim marvin-lancedb is Pending' };
const observed: StoresReadiness = { mongodb: starting, redis: up, storage: pending };

describe('settleStores: each store\'s readiness, decided once', () => {
  it.each<[string, StoresReadiness, ReadinessVerdicts, Partial<StoresReadiness>]>([
    ['as observed, when nothing else is known', observed, {}, observed],
    ['a pending claim says why, from its provisioning event', observed, { provisioning: 'ProvisioningFailed: size too large' },
      { storage: { ready: false, reason: 'ClaimPending', message: 'claim marvin-lancedb is Pending: ProvisioningFailed: size too large' } }],
    ['a provisioning event of a claim no longer pending changes nothing', { ...observed, storage: up }, { provisioning: 'ProvisioningSucceeded: ok' }, { storage: up }],
    ['a store past its start-up budget fails', observed, { startup: { mongodb: 'pod marvin-mongodb-0 has not started in 300 s' } },
      { mongodb: { ready: false, reason: 'StartupBudgetExceeded', message: 'pod marvin-mongodb-0 has not started in 300 s' }, redis: up }],
    ['a disabled store stays disabled', { ...observed, redis: 'disabled' }, { startup: { redis: 'x' } }, { redis: 'disabled' }],
    ['a share without what LanceDB needs wins over its event', observed, { provisioning: 'p', filesystem: 'the share refuses hard links' },
      { storage: { ready: false, reason: 'FilesystemUnsupported', message: 'the share refuses hard links' } }],
  ])('%s', (_name, stores, verdicts, expected) => {
    expect(settleStores(stores, verdicts)).toMatchObject(expected);
  });

  it('holds a store on its previous form from the tending steps only', () => {
    const gaim = testGaim();
    const settled = settleStores({ mongodb: up, redis: up, storage: up }, {});
    expect(forTending(settled, [], gaim)).toBe(settled);
    const held = forTending(settled, ['marvin-redis'], gaim);
    expect(held.redis).toMatchObject({ ready: false, reason: 'RolloutWaiting' });
    expect(held.mongodb).toBe(up);
  });
});
