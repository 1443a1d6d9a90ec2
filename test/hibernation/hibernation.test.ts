// Hibernation (spec.hibernation) on the stack, where each store pod is a real redis-server or
// FerretDB on the pod's volume (stack/store-runtime.ts): a pod scaled away is a store stopped, and
// one scaled back starts on the same data directory. On → the pods go, the claims, Secrets and
// every byte stay, Firestore says so; Off → Synced with the data intact and nothing reseeded. Auto
// hibernates a Gaim whose queues are idle, never while a consumer holds a pending entry, and each
// wake path wakes it: the annotation, a spec change, Firestore's wake_requested_at. A backup of a
// hibernated Gaim restores.
import { Timestamp } from '@google-cloud/firestore';
import { readFile } from 'node:fs/promises';
import { Redis } from 'ioredis';
import { describe, expect, it, onTestFailed } from 'vitest';
import type { KubeObject } from '../../src/kube/objects.js';
import { Resources } from '../../src/kube/resources.js';
import { backupObject, expectData, kubectlGaim, waitForBackup, waitForRecord, writeData } from '../support/backups.js';
import { createGaim, gaimManifest } from '../support/gaims.js';
import { metricValue } from '../support/operator-process.js';
import { condition, isSynced, recordGaim, settlesQuietly, waitForGaim, type GaimObject } from '../support/operator.js';
import { createNamespace, eventually, stackEnv } from '../support/stack.js';
import { useSuite } from '../support/suite.js';

type Event = KubeObject & { reason?: string; note?: string };
type StatefulSet = KubeObject & { spec?: { replicas?: number } };
type Pod = KubeObject & { status?: { conditions?: { type: string; status: string }[] } };
type Status = NonNullable<GaimObject['status']> & { hibernatedAt?: string; idleSince?: string; wakeHandled?: string };
const WAKE = 'gaim.livingcontent.io/wake';
const ENV = 'stage';

const hibernated = (g: GaimObject) => condition(g, 'Hibernated')?.status === 'True';
const awakeAndSynced = (g: GaimObject) => isSynced(g) && condition(g, 'Hibernated')?.reason === 'Awake' && (g.status as Status).hibernatedAt === undefined;

describe('hibernation', () => {
  const suite = useSuite();
  const storePods = async (ns: string) => (await suite.client.list(Resources.pod, { namespace: ns, labelSelector: 'app.kubernetes.io/component in (mongodb,redis)' })).items;
  const entry = async (gaimId: string) => ((await suite.firestore.doc(`gaims/${gaimId}`).get()).get(`sync_environments.${ENV}`) ?? {}) as { hibernated?: boolean; hibernated_at?: Timestamp | null; sync_status?: string };
  const reasons = async (ns: string) => (await suite.client.list<Event>(Resources.event, { namespace: ns })).items.map((e) => e.reason ?? '');
  /** A client of the apps: the Gaim's Redis with the apps' password alone (AUTH as `default`), at the address its Service has in the stack. */
  const appRedis = async (ns: string, gaim: string): Promise<Redis> => {
    const map = JSON.parse(await readFile(stackEnv().STORE_ADDRESS_MAP, 'utf8')) as Record<string, string>;
    const [host = '', port = ''] = (map[`${gaim}-redis.${ns}.svc.cluster.local:6379`] ?? '').split(':');
    const secret = await suite.client.get<KubeObject & { data?: Record<string, string> }>(Resources.secret, `${gaim}-redis-credentials`, ns);
    const field = (k: string) => Buffer.from(secret.data?.[k] ?? '', 'base64').toString('utf8');
    return new Redis({ host, port: Number(port), password: field('password'), lazyConnect: true, maxRetriesPerRequest: 1 });
  };

  it('On stops the stores keeping claims, Secrets and every byte, and says so in Firestore; Off wakes them Synced, nothing reseeded', async () => {
    const operator = await suite.operator('', { GAIM_QUEUE_SAMPLE_SECONDS: '2' });
    const ns = await createNamespace('hib-on');
    const manifest = gaimManifest(ns, 'hib', { environments: [ENV] });
    const gaimId = (manifest as { spec: { gaimId: string } }).spec.gaimId;
    await suite.client.create(Resources.gaim, manifest);
    const synced = await waitForGaim(suite.client, ns, 'hib', 'to be Synced', isSynced, 120_000);
    const marker = await writeData(suite.client, ns, 'hib', ENV);
    // A change the platform made to its config after the seed: no wake may overwrite it.
    const config = suite.firestore.doc(`gaims/${gaimId}/env/${ENV}/config/current`);
    await config.set({ edited_by_user: marker }, { merge: true });
    const claims = (await suite.client.list(Resources.persistentVolumeClaim, { namespace: ns })).items.map((c) => c.metadata?.uid).sort();
    const secrets = (await suite.client.list(Resources.secret, { namespace: ns })).items.map((s) => `${s.metadata?.name ?? ''}@${s.metadata?.resourceVersion ?? ''}`).sort();

    await suite.client.mergePatch(Resources.gaim, 'hib', ns, { spec: { hibernation: { mode: 'On' } } });
    const asleep = await waitForGaim(suite.client, ns, 'hib', 'to hibernate', hibernated, 90_000);
    expect(asleep.status).toMatchObject({ syncStatus: 'Synced' });
    expect(condition(asleep, 'Ready')).toMatchObject({ status: 'False', reason: 'Hibernated' });
    expect((asleep.status as Status).hibernatedAt).toMatch(/^\d{4}-/);
    expect(await storePods(ns)).toEqual([]);
    for (const sts of (await suite.client.list<StatefulSet>(Resources.statefulSet, { namespace: ns })).items) expect(sts.spec?.replicas, sts.metadata?.name).toBe(0);
    expect((await suite.client.list(Resources.persistentVolumeClaim, { namespace: ns })).items.map((c) => c.metadata?.uid).sort()).toEqual(claims);
    expect((await suite.client.list(Resources.secret, { namespace: ns })).items.map((s) => `${s.metadata?.name ?? ''}@${s.metadata?.resourceVersion ?? ''}`).sort()).toEqual(secrets);
    expect((await suite.client.list(Resources.service, { namespace: ns })).items.length).toBeGreaterThanOrEqual(2);
    await eventually('Firestore to say the Gaim hibernates', async () => ((await entry(gaimId)).hibernated === true ? true : undefined), 30_000);
    expect((await entry(gaimId)).hibernated_at?.toDate().toISOString()).toBe(new Date((asleep.status as Status).hibernatedAt ?? '').toISOString());
    expect(metricValue(await operator.metrics(), 'gaim_hibernated', { namespace: ns, gaim: 'hib' })).toBe(1);
    // Asleep and unchanged, it stays so: no reconcile goes round, nothing is written, no pod comes back.
    await settlesQuietly(operator, [`${ns}/hib`], 5_000);
    expect(await storePods(ns)).toEqual([]);
    const shown = await kubectlGaim(['status', 'hib', '-n', ns]);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toMatch(/Hibernation:\s+asleep for \S+ \(since .*, mode On\); set spec.hibernation.mode to Off to wake it/);
    expect(shown.stdout).toMatch(/stage\s+synced \(hibernated\)/);

    // Growth asked for while asleep waits for the wake, and the status says so.
    await suite.client.mergePatch(Resources.gaim, 'hib', ns, { spec: { redis: { storage: '3Gi' } } });
    const told = await waitForGaim(suite.client, ns, 'hib', 'to say the change waits for the wake', (g) => (g.status?.message ?? '').includes('are applied on wake'), 30_000);
    expect(hibernated(told)).toBe(true);
    const redisClaim = async () => (await suite.client.get<KubeObject & { spec?: { resources?: { requests?: { storage?: string } } } }>(Resources.persistentVolumeClaim, 'data-hib-redis-0', ns)).spec?.resources?.requests?.storage;
    expect(await redisClaim()).toBe('2Gi');

    await suite.client.mergePatch(Resources.gaim, 'hib', ns, { spec: { hibernation: { mode: 'Off' } } });
    const woken = await waitForGaim(suite.client, ns, 'hib', 'to wake and be Synced', awakeAndSynced, 120_000);
    // Synced means the stores run again: their pods are there and Ready.
    expect((await storePods(ns)).map((p) => (p as Pod).status?.conditions?.find((c) => c.type === 'Ready')?.status)).toEqual(['True', 'True']);
    expect(await redisClaim()).toBe('3Gi');
    await expectData(suite.client, ns, 'hib', ENV, marker);
    expect((await config.get()).get('edited_by_user')).toBe(marker);
    expect(woken.status?.seeded).toEqual(synced.status?.seeded);
    expect((await suite.client.list(Resources.persistentVolumeClaim, { namespace: ns })).items.map((c) => c.metadata?.uid).sort()).toEqual(claims);
    await eventually('Firestore to say the Gaim is awake', async () => ((await entry(gaimId)).hibernated === false ? true : undefined), 30_000);
    expect(await reasons(ns)).toEqual(expect.arrayContaining(['Hibernating', 'Waking']));
    const metrics = await operator.metrics();
    expect(metricValue(metrics, 'gaim_hibernation_transitions_total', { direction: 'hibernate' })).toBe(1);
    expect(metricValue(metrics, 'gaim_hibernation_transitions_total', { direction: 'wake' })).toBe(1);
    // Off: the Gaim no longer hibernates, and its series goes (an alert on it must not see a stale 1).
    expect(metricValue(metrics, 'gaim_hibernated', { namespace: ns, gaim: 'hib' })).toBeUndefined();
  }, 400_000);

  it('Auto hibernates idle queues, never while a consumer holds a pending entry, and wakes on the annotation, a spec change and Firestore', async () => {
    await suite.operator('', { GAIM_QUEUE_SAMPLE_SECONDS: '1', GAIM_WAKE_POLL_SECONDS: '1' });
    const ns = await createNamespace('hib-auto');
    const manifest = gaimManifest(ns, 'auto', { environments: [ENV], hibernation: { mode: 'Auto', idleAfter: '8s' } });
    const gaimId = (manifest as { spec: { gaimId: string } }).spec.gaimId;
    await suite.client.create(Resources.gaim, manifest);
    const history = recordGaim(suite.client, ns, 'auto');
    onTestFailed(() => {
      console.log(history.versions.map((g) => `${String(g.metadata?.generation)} ${g.status?.syncStatus ?? '-'} ${condition(g, 'Hibernated')?.reason ?? '-'} ${(g.status as Status | undefined)?.hibernatedAt ?? '-'} ${(g.status as Status | undefined)?.idleSince ?? '-'} | ${g.status?.message ?? ''}`).join('\n'));
    });
    await waitForGaim(suite.client, ns, 'auto', 'to be Synced', isSynced, 120_000);
    // Idle from the first samples on: the clock shows in status.
    await waitForGaim(suite.client, ns, 'auto', 'to show its idle clock', (g) => (g.status as Status).idleSince !== undefined, 30_000);

    // A consumer takes a task and leaves without acknowledging it: pending, so never idle.
    const app = await appRedis(ns, 'auto');
    await app.connect();
    await app.xadd('gaim:tasks:stage', '*', 'task', 'one');
    const read = await app.xreadgroup('GROUP', 'gaim:workers:stage', 'worker-1', 'COUNT', '1', 'STREAMS', 'gaim:tasks:stage', '>') as [string, [string, string[]][]][];
    const id = read[0]?.[1][0]?.[0] ?? '';
    expect(id).not.toBe('');
    await app.quit();
    // Three times idleAfter with a pending entry and no client: still awake.
    await new Promise((resolve) => setTimeout(resolve, 24_000));
    const held = await suite.client.get<GaimObject>(Resources.gaim, 'auto', ns);
    expect(hibernated(held)).toBe(false);
    expect((held.status as Status).idleSince).toBeUndefined();
    expect((await storePods(ns)).length).toBe(2);

    // Acknowledged: idle from the next sample on, asleep idleAfter later.
    const ack = await appRedis(ns, 'auto');
    await ack.connect();
    expect(await ack.xack('gaim:tasks:stage', 'gaim:workers:stage', id)).toBe(1);
    await ack.quit();
    await waitForGaim(suite.client, ns, 'auto', 'to hibernate once idle', hibernated, 90_000);
    await eventually('the store pods to go', async () => ((await storePods(ns)).length === 0 ? true : undefined), 60_000);

    // kubectl gaim wake (the annotation) wakes it; idle again, it goes back to sleep.
    const annotatedAt = Date.now();
    const woken = await kubectlGaim(['wake', 'auto', '-n', ns]);
    expect(woken.code, woken.stderr).toBe(0);
    expect(woken.stdout).toContain(`annotated ${WAKE}=`);
    await waitForGaim(suite.client, ns, 'auto', 'to wake on the annotation', awakeAndSynced, 120_000);
    const again = await waitForGaim(suite.client, ns, 'auto', 'to hibernate again', hibernated, 90_000);
    // It sleeps again no sooner than idleAfter (8 s) after the wake. (The race of a stale clock that
    // this bounds is proven in queue-samples.test.ts: restartIdle.)
    expect(Date.parse((again.status as Status).hibernatedAt ?? '') - annotatedAt).toBeGreaterThanOrEqual(8_000);

    // A spec change wakes it.
    await suite.client.mergePatch(Resources.gaim, 'auto', ns, { spec: { description: 'changed while asleep' } });
    await waitForGaim(suite.client, ns, 'auto', 'to wake on a spec change', awakeAndSynced, 120_000);
    await waitForGaim(suite.client, ns, 'auto', 'to hibernate again', hibernated, 90_000);

    // The platform sets wake_requested_at on the Gaim's document.
    await suite.firestore.doc(`gaims/${gaimId}`).update({ wake_requested_at: Timestamp.now() });
    await waitForGaim(suite.client, ns, 'auto', 'to wake on wake_requested_at', awakeAndSynced, 120_000);
    expect((await reasons(ns)).filter((r) => r === 'Waking').length).toBe(3);
    history.stop();
  }, 600_000);

  it('backs up a hibernated Gaim as its stores stopped, and the backup restores with its data', async () => {
    await suite.operator();
    const ns = await createNamespace('hib-backup');
    await createGaim(suite.client, ns, 'hbk', { environments: [ENV] });
    await waitForGaim(suite.client, ns, 'hbk', 'to be Synced', isSynced, 120_000);
    const marker = await writeData(suite.client, ns, 'hbk', ENV);
    await suite.client.mergePatch(Resources.gaim, 'hbk', ns, { spec: { hibernation: { mode: 'On' } } });
    await waitForGaim(suite.client, ns, 'hbk', 'to hibernate', hibernated, 90_000);

    await suite.client.create(Resources.gaimBackup, backupObject(ns, 'hbk-1', 'hbk'));
    const backup = await waitForBackup(suite.client, ns, 'hbk-1', 'Completed', 180_000);
    expect(backup.status?.notes?.some((n) => n.startsWith('the Gaim hibernates since'))).toBe(true);
    await waitForRecord(suite.client, `${ns}.hbk-1`);
    expect(await storePods(ns)).toEqual([]);

    const target = await createNamespace('hib-restored');
    const allowed = await kubectlGaim(['backup', 'allow', `${ns}.hbk-1`, '-n', target]);
    expect(allowed.code, allowed.stderr).toBe(0);
    const original = await suite.client.get<GaimObject>(Resources.gaim, 'hbk', ns);
    await suite.client.create(Resources.gaim, gaimManifest(target, 'hbk', { ...original.spec, hibernation: undefined, restoreFrom: { record: `${ns}.hbk-1` } }));
    await waitForGaim(suite.client, target, 'hbk', 'to be restored and Synced', isSynced, 240_000);
    await expectData(suite.client, target, 'hbk', ENV, marker);
  }, 600_000);
});
