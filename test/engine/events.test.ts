// The event recorder against the real API server: events.k8s.io/v1 Events on the Gaim, and a
// repeating event aggregated into one Event with a rising series count instead of a flood.
import { pino } from 'pino';
import { beforeAll, describe, expect, it } from 'vitest';
import { KubeEventRecorder } from '../../src/kube/events.js';
import type { KubeObject } from '../../src/kube/objects.js';
import { Resources } from '../../src/kube/resources.js';
import { installCrd } from '../support/crd.js';
import { createGaim } from '../support/gaims.js';
import { createNamespace, eventually } from '../support/stack.js';
import { useSuite } from '../support/suite.js';

interface Event extends KubeObject {
  reason?: string;
  type?: string;
  note?: string;
  regarding?: { kind?: string; name?: string; uid?: string };
  series?: { count?: number };
}

describe('event recorder', () => {
  const suite = useSuite();
  beforeAll(async () => { await installCrd(); });

  it('records events on the Gaim and aggregates repeats into one series', async () => {
    const ns = await createNamespace('events');
    const gaim = await createGaim(suite.client, ns, 'noisy');
    const recorder = new KubeEventRecorder(suite.client, 'gaim.livingcontent.io/gaim-operator', 'test', pino({ level: 'silent' }), 0);

    recorder.record(gaim, 'Normal', 'Synced', 'Reconcile', 'all stores ready');
    recorder.record(gaim, 'Warning', 'RedisUnavailable', 'Reconcile', 'cannot reach redis');
    const events = async () => (await suite.client.list<Event>(Resources.event, { namespace: ns })).items;
    await eventually('two events', async () => ((await events()).length === 2 ? true : undefined));
    for (let i = 0; i < 20; i++) {
      recorder.record(gaim, 'Warning', 'RedisUnavailable', 'Reconcile', 'cannot reach redis');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const warning = await eventually('the warning series to count its repeats', async () => {
      const found = (await events()).find((e) => e.reason === 'RedisUnavailable');
      return (found?.series?.count ?? 0) >= 10 ? found : undefined;
    });
    expect(await events()).toHaveLength(2);
    expect(warning).toMatchObject({ type: 'Warning', note: 'cannot reach redis', regarding: { kind: 'Gaim', name: 'noisy', uid: gaim.metadata?.uid } });
  });
});
