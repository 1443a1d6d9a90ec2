import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { Resources } from '../../kube/resources.js';
import { cachesOf } from '../../testing/caches-fake.js';
import { testGaim } from '../../testing/gaims.js';
import { pollWakeRequests, WakeRequests } from './wake-poller.js';

const ID = '660e8400-e29b-41d4-a716-446655440001';
const OTHER = '660e8400-e29b-41d4-a716-446655440002';
const asleepSince = '2026-12-07T10:00:00.000Z';
const sleeping = testGaim({ gaimId: ID, hibernation: { mode: 'Auto' } }, { status: { hibernatedAt: asleepSince } });

/** Runs the poller over `answers`, one per poll, and stops after the last; what it asked and enqueued. */
async function poll(answers: readonly (ReadonlyMap<string, Date> | Error)[], gaims = [sleeping]) {
  const asked: string[] = [];
  const enqueued: string[] = [];
  const stop = new AbortController();
  let call = 0;
  const firestore = {
    wakeRequests: (after: Date) => {
      asked.push(after.toISOString());
      const answer = answers[call++];
      if (call >= answers.length) stop.abort();
      return answer instanceof Error ? Promise.reject(answer) : Promise.resolve(answer ?? new Map<string, Date>());
    },
  };
  const requests = new WakeRequests();
  await pollWakeRequests(requests, { firestore, log: pino({ level: 'silent' }), intervalMs: 1 }, cachesOf(gaims.map((g) => [Resources.gaim, g])), (key) => { enqueued.push(key); }, stop.signal);
  return { asked, enqueued, requests };
}

describe('pollWakeRequests', () => {
  it('asks from the oldest sleep, then from the newest request seen less a minute; wakes a Gaim once per new request later than its sleep', async () => {
    const late = new Date('2026-12-07T11:00:00.000Z');
    const early = new Date('2026-12-07T09:00:00.000Z');
    const { asked, enqueued, requests } = await poll([
      new Map([[OTHER, new Date('2026-12-07T10:30:00.000Z')]]),
      new Map([[ID, late], [OTHER, new Date('2026-12-07T10:30:00.000Z')]]),
      new Map([[ID, late]]),
    ]);
    expect(asked).toEqual([asleepSince, '2026-12-07T10:29:00.000Z', '2026-12-07T10:59:00.000Z']);
    expect(enqueued).toEqual(['team/marvin']);
    expect(requests.get(ID)).toEqual(late);
    // A request from before the sleep wakes nothing.
    const before = await poll([new Map([[ID, early]])]);
    expect(before.enqueued).toEqual([]);
  });

  it('asks nothing while no Gaim sleeps by Auto, and keeps polling after a failure', async () => {
    const awake = testGaim({ gaimId: ID, hibernation: { mode: 'Auto' } });
    const stop = new AbortController();
    const asked: Date[] = [];
    setTimeout(() => { stop.abort(); }, 50);
    await pollWakeRequests(new WakeRequests(), { firestore: { wakeRequests: (after) => { asked.push(after); return Promise.resolve(new Map()); } }, log: pino({ level: 'silent' }), intervalMs: 1 },
      cachesOf([[Resources.gaim, awake]]), () => undefined, stop.signal);
    expect(asked).toEqual([]);
    const { asked: retried, enqueued } = await poll([new Error('PERMISSION_DENIED'), new Map([[ID, new Date('2026-12-07T11:00:00.000Z')]])]);
    expect(retried).toEqual([asleepSince, asleepSince]);
    expect(enqueued).toEqual(['team/marvin']);
  });
});
