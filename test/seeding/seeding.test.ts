// Seeding through the real operator in the local stack: the seed-storage Job really runs (the
// stack's seed runner executes it against the directory behind the claim), Seeded=True means the
// tables exist, an unchanged Gaim is not seeded again, a new environment is seeded, and a failing
// seed fails the Gaim with errorType storage while the other stores are still seeded.
import { mkdir } from 'node:fs/promises';
import { chownTree } from '../support/files.js';
import { join } from 'node:path';
import * as lancedb from '@lancedb/lancedb';
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/kube/objects.js';
import { Resources } from '../../src/kube/resources.js';
import { knowledgeSchema } from '../../src/seeders/lancedb.js';
import { createGaim, gaimStores } from '../support/gaims.js';
import { condition, isSynced, reconcileCount, reconcilesOf, waitForGaim, type GaimObject } from '../support/operator.js';
import { SLOT_RECHECK_MS } from '../../src/reconciler/stores/seed-slots.js';
import { createNamespace, eventually, holdProvisioning, stackEnv } from '../support/stack.js';
import { useSuite } from '../support/suite.js';

type Job = KubeObject & { status?: { succeeded?: number } };

describe('seeding', () => {
  const suite = useSuite();
  const volume = (ns: string, gaim: string) => join(stackEnv().STACK_VOLUMES, ns, `${gaim}-lancedb`);
  const tableNames = async (dir: string) => {
    const db = await lancedb.connect(dir);
    const names = await db.tableNames();
    db.close();
    return names;
  };
  const seedJobs = async (ns: string) =>
    (await suite.client.list<Job>(Resources.job, { namespace: ns, labelSelector: 'app.kubernetes.io/component=seed' })).items;


  it('seeds every store per environment, once, and seeds an added environment', async () => {
    const ns = await createNamespace('seed');
    const operator = await suite.operator();
    const created = await createGaim(suite.client, ns, 'eddie', { environments: ['stage', 'prod'], config: { prompts: { persona: 'Shipboard computer' } } });
    const gaimId = (created['spec'] as { gaimId: string }).gaimId;
    const synced = await waitForGaim(suite.client, ns, 'eddie', 'to be Synced', isSynced, 90_000);
    expect(condition(synced, 'Seeded')).toMatchObject({ status: 'True', reason: 'AppUserUnsupported' });
    expect(condition(synced, 'Seeded')?.message).toContain('cannot create the mongodb app user');
    // The Event is written after the status, without waiting (as client-go's recorder does): wait for it; there is one.
    const appUserWarnings = async () => (await suite.client.list<KubeObject & { reason?: string; type?: string }>(Resources.event, { namespace: ns })).items
      .filter((e) => e.reason === 'AppUserUnsupported' && e.type === 'Warning');
    await eventually('the AppUserUnsupported warning event', async () => ((await appUserWarnings()).length > 0 ? true : undefined), 15_000);
    expect(await appUserWarnings()).toHaveLength(1);
    expect(Object.keys(synced.status?.seeded ?? {}).sort()).toEqual(['firestore', 'mongodb', 'redis', 'storage']);

    // LanceDB: the tables exist on the volume, because the Job really ran.
    for (const env of ['stage', 'prod']) {
      expect(await tableNames(join(volume(ns, 'eddie'), env, 'tool_selector'))).toEqual(['tools']);
      expect(await tableNames(join(volume(ns, 'eddie'), env, 'knowledge'))).toEqual(['knowledge_audio', 'knowledge_image', 'knowledge_text', 'knowledge_video']);
    }
    const [job] = await seedJobs(ns);
    expect(job?.status?.succeeded).toBe(1);
    // Firestore: each environment's config document, from spec.config over the defaults.
    const stageConfig = (await suite.firestore.doc(`gaims/${gaimId}/env/stage/config/current`).get()).data();
    expect(stageConfig).toMatchObject({ prompts: { persona: 'Shipboard computer' }, settings: { tools: { knowledge: { enabled: true } } } });
    expect((await suite.firestore.doc(`gaims/${gaimId}/env/prod/config/current`).get()).exists).toBe(true);
    // MongoDB and Redis: this Gaim's own (each a store of its own in the stack), opened with the
    // credentials the operator generated.
    const stores = await gaimStores(suite.client, ns, 'eddie');
    const { mongo, redis } = stores;
    try {
      for (const db of ['lco-gaim-stage', 'lco-gaim-prod']) {
        const names = (await mongo.db(db).listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name).sort();
        expect(names).toEqual(expect.arrayContaining(['content_sessions', 'notifications']));
      }
      expect(await redis.type('gaim:tasks:prod:dlq')).toBe('stream');
      expect(JSON.stringify(await redis.xinfo('GROUPS', 'gaim:tasks:stage'))).toContain('gaim:workers:stage');
      // FerretDB cannot create users with roles: the Gaim says so instead of being silently Synced.
      expect(condition(synced, 'Seeded')?.reason).toBe('AppUserUnsupported');
    } finally {
      await stores.close();
    }

    // Unchanged: more reconciles, no new Job.
    const reconciles = await reconcileCount(operator, `${ns}/eddie`);
    await suite.client.mergePatch(Resources.gaim, 'eddie', ns, { metadata: { annotations: { 'test/poke': '1' } } });
    await eventually('another reconcile of eddie', async () => ((await reconcileCount(operator, `${ns}/eddie`)) > reconciles ? true : undefined));
    expect(await seedJobs(ns)).toHaveLength(1);

    // Adding an environment seeds it; the others keep what they have.
    await suite.client.mergePatch(Resources.gaim, 'eddie', ns, { spec: { environments: ['stage', 'prod', 'local'] } });
    await waitForGaim(suite.client, ns, 'eddie', 'to be Synced with local', (g) => isSynced(g) && g.metadata?.generation === 2, 90_000);
    expect(await tableNames(join(volume(ns, 'eddie'), 'local', 'knowledge'))).toHaveLength(4);
    expect((await suite.firestore.doc(`gaims/${gaimId}/env/local/config/current`).get()).exists).toBe(true);
    expect(await seedJobs(ns)).toHaveLength(2);

    // Removing one seeds nothing and deletes nothing.
    await suite.client.mergePatch(Resources.gaim, 'eddie', ns, { spec: { environments: ['stage'] } });
    await waitForGaim(suite.client, ns, 'eddie', 'to be Synced with stage only', (g) => isSynced(g) && g.metadata?.generation === 3, 90_000);
    expect(await tableNames(join(volume(ns, 'eddie'), 'prod', 'knowledge'))).toHaveLength(4);
    expect((await suite.firestore.doc(`gaims/${gaimId}/env/prod/config/current`).get()).exists).toBe(true);
  });

  it('runs at most GAIM_MAX_CONCURRENT_SEEDS seed Jobs at once; the Gaims after them wait in line, say so, and are all seeded', async () => {
    const namespaces = await Promise.all(['seed-line-a', 'seed-line-b', 'seed-line-c'].map((prefix) => createNamespace(prefix)));
    await suite.operator(namespaces, { GAIM_MAX_CONCURRENT_SEEDS: '1' });
    await Promise.all(namespaces.map((ns) => createGaim(suite.client, ns, 'queued')));
    type Ended = Job & { status?: { conditions?: { type: string; status: string }[] } };
    const unfinished = (jobs: Ended[]) => jobs.filter((j) => !(j.status?.conditions ?? []).some((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True'));
    let most = 0;
    const waitingMessages = new Set<string>();
    await eventually('every Gaim Synced, one seed Job at a time', async () => {
      const [jobs, gaims] = await Promise.all([
        // One list of the whole cluster is one consistent read (lists per namespace could catch one Job ended and the next begun as two).
        suite.client.list<Ended>(Resources.job, { labelSelector: 'app.kubernetes.io/component=seed' }).then((list) => list.items.filter((j) => namespaces.includes(j.metadata?.namespace ?? ''))),
        Promise.all(namespaces.map(async (ns) => suite.client.get<GaimObject>(Resources.gaim, 'queued', ns))),
      ]);
      most = Math.max(most, unfinished(jobs).length);
      for (const gaim of gaims) {
        const message = condition(gaim, 'Seeded')?.message ?? '';
        if (message.includes('waiting for a seed slot')) waitingMessages.add(message);
      }
      return gaims.every(isSynced) ? true : undefined;
    }, 180_000);
    expect(most).toBe(1);
    expect([...waitingMessages].some((m) => m.includes('(1 of GAIM_MAX_CONCURRENT_SEEDS=1 seed Jobs running)'))).toBe(true);
  }, 240_000); // its wait for three seeds one at a time is 180 s, beyond the default 120 s

  it('wakes the next Gaim in line for a freed seed slot, not one suspended while it waited', async () => {
    // The only slot is held by a seed Job that gets no pod (its namespace enforces restricted, which
    // refuses the preparation step), so the line's order is the order the Gaims are created in.
    const holder = await createNamespace('seed-hold', 'restricted');
    const [first, next] = await Promise.all(['seed-first', 'seed-next'].map((prefix) => createNamespace(prefix)));
    const operator = await suite.operator([holder, first ?? '', next ?? ''], { GAIM_MAX_CONCURRENT_SEEDS: '1' });
    await createGaim(suite.client, holder, 'holder');
    await eventually('the holder\'s seed Job, which holds the only slot', async () => ((await seedJobs(holder)).length > 0 ? true : undefined), 90_000);
    const waitsInLine = (g: GaimObject) => (condition(g, 'Seeded')?.message ?? '').includes('waiting for a seed slot');
    for (const ns of [first ?? '', next ?? '']) {
      await createGaim(suite.client, ns, 'queued');
      await waitForGaim(suite.client, ns, 'queued', 'to wait in line for a seed slot', waitsInLine, 90_000);
    }
    await suite.client.mergePatch(Resources.gaim, 'queued', first ?? '', { spec: { suspend: true } });
    await waitForGaim(suite.client, first ?? '', 'queued', 'to report suspension', (g) => condition(g, 'Ready')?.reason === 'Suspended');

    // The slot frees. The suspended Gaim left the line when it was suspended, so the next one is woken
    // for it. Had it kept its place, it would be woken instead and not take the slot, and the next one,
    // asking again every minute, would be refused behind it until the line forgot it (four minutes).
    // The slot frees just after the next Gaim asked again, so its own recheck is a minute away: only
    // the wake can start its seed within a third of that.
    const asked = reconcilesOf(operator, [`${next ?? ''}/queued`]);
    await eventually('the next Gaim to ask again for a slot', async () => Promise.resolve(reconcilesOf(operator, [`${next ?? ''}/queued`]) > asked ? true : undefined), SLOT_RECHECK_MS + 30_000);
    const [held] = await seedJobs(holder);
    await suite.client.delete(Resources.job, held?.metadata?.name ?? '', holder, { propagationPolicy: 'Background' });
    await eventually('the next Gaim\'s seed Job, woken for the freed slot', async () => ((await seedJobs(next ?? '')).length > 0 ? true : undefined), SLOT_RECHECK_MS / 3);
    await waitForGaim(suite.client, next ?? '', 'queued', 'to be seeded with the freed slot', isSynced, 100_000);
    expect(await seedJobs(first ?? '')).toEqual([]);
  }, 480_000); // the sum of its waits' bounds, so the runner never cuts one short

  it('spends no seed attempt while its claim is still being provisioned, long past the seed\'s own deadline, and says why it waits', async () => {
    const ns = await createNamespace('seed-slow-claim');
    // A slow driver (a new Filestore instance takes minutes): the claim stays Pending, the seed pod with it.
    await holdProvisioning('hold', ns);
    try {
      await suite.operator(ns, { GAIM_SEED_DEADLINE_SECONDS: '30' });
      await createGaim(suite.client, ns, 'patient');
      const waiting = await waitForGaim(suite.client, ns, 'patient', 'to say its claim is being provisioned',
        (g) => condition(g, 'StorageReady')?.reason === 'ClaimPending' && /: (External)?Provisioning: /.test(condition(g, 'StorageReady')?.message ?? ''), 90_000);
      expect(waiting.status?.syncStatus).not.toBe('Failed');
      // Past the seed's 30 s (counted, before, from the Job's creation): still the first attempt, not failed.
      await new Promise((resolve) => setTimeout(resolve, 45_000));
      const jobs = await seedJobs(ns);
      expect(jobs.map((j) => j.metadata?.labels?.['gaim.livingcontent.io/seed-attempt'])).toEqual(['1']);
      expect((jobs[0] as Job & { status?: { failed?: number } }).status?.failed ?? 0).toBe(0);
      expect((await suite.client.get<GaimObject>(Resources.gaim, 'patient', ns)).status?.syncStatus).not.toBe('Failed');
    } finally {
      await holdProvisioning('release', ns);
    }
    await waitForGaim(suite.client, ns, 'patient', 'to be seeded once its claim is provisioned', isSynced, 120_000);
    expect((await seedJobs(ns)).map((j) => j.metadata?.labels?.['gaim.livingcontent.io/seed-attempt'])).toEqual(['1']);
  }, 360_000);

  it('fails with errorType storage when the seed Job fails, leaves the table intact, and still seeds the other stores', async () => {
    const ns = await createNamespace('seed-bad');
    // A knowledge_text table an app (as the storage uid) made with the wrong vector size, already on the volume.
    const dir = join(volume(ns, 'arthur'), 'stage', 'knowledge');
    await mkdir(dir, { recursive: true });
    const db = await lancedb.connect(dir);
    const table = await db.createEmptyTable('knowledge_text', knowledgeSchema(1536), { mode: 'create' });
    await table.add([{ chunk_id: 'precious', source: 's', content: 'c', embedding: Array.from({ length: 1536 }, () => 0), metadata: { subject: 'a', type: 'b', content_date: 'c' } }]);
    table.close();
    await chownTree(join(volume(ns, 'arthur'), 'stage'), 1000, 1000);

    await suite.operator();
    await createGaim(suite.client, ns, 'arthur');
    // The Job can fail before MongoDB is Ready (its pod starts slower): the other stores are seeded as
    // they come up, and the Gaim stays Failed with errorType storage meanwhile.
    const failed = await waitForGaim(suite.client, ns, 'arthur', 'to fail seeding storage with every other store seeded',
      (g) => g.status?.syncStatus === 'Failed' && g.status.errorType === 'storage' && ['firestore', 'mongodb', 'redis'].every((s) => s in (g.status?.seeded ?? {})), 90_000);
    expect(failed.status?.message).toContain('knowledge_text.lance: field embedding is FixedSizeList[1536]<Float32>, expected FixedSizeList[3072]<Float32>');
    expect(condition(failed, 'Seeded')).toMatchObject({ status: 'False', reason: 'SeedFailed' });
    expect(condition(failed, 'Ready')?.reason).toBe('TableSchemaMismatch');
    expect(Object.keys(failed.status?.seeded ?? {}).sort()).toEqual(['firestore', 'mongodb', 'redis']);

    const reopened = await db.openTable('knowledge_text');
    expect(await reopened.countRows()).toBe(1);
    reopened.close();
    db.close();
  });
});
