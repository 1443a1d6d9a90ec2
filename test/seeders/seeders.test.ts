// Seeders against the real stores: FerretDB (MongoDB wire protocol), redis-server, the Firestore
// emulator and LanceDB on a temp dir. Fresh seeds produce exactly the named things; re-seeds change
// nothing; what users and applications put there is never touched.
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Firestore } from '@google-cloud/firestore';
import * as lancedb from '@lancedb/lancedb';
import { Redis } from 'ioredis';
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OperatorError } from '../../src/errors.js';
import { initialConfig, seedFirestoreConfig } from '../../src/firestore/config-docs.js';
import { knowledgeSchema, seedLanceDB } from '../../src/seeders/lancedb.js';
import { seedMongoDB, type MongoTarget } from '../../src/seeders/mongodb.js';
import { seedRedis, type RedisTarget } from '../../src/seeders/redis.js';
import { emulatorFirestore, stackEnv } from '../support/stack.js';

/** The stack's FerretDB and Redis, as the seeders are given a GAIM's stores: an address and credentials. */
const mongoTarget = (): MongoTarget => {
  const url = new URL(stackEnv().MONGODB_URL);
  return { address: url.host, username: decodeURIComponent(url.username), password: decodeURIComponent(url.password) };
};
const redisTarget = (): RedisTarget => {
  const url = new URL(stackEnv().REDIS_URL);
  return { address: url.host, password: decodeURIComponent(url.password) };
};

describe('mongodb seeder', () => {
  let client: MongoClient;
  beforeAll(async () => {
    client = new MongoClient(stackEnv().MONGODB_URL, { serverSelectionTimeoutMS: 5000 });
    await client.connect();
  });
  afterAll(async () => { await client.close(); });
  const indexes = async (db: string, collection: string) =>
    ((await client.db(db).collection(collection).listIndexes().toArray()) as { name: string; key: unknown }[])
      .map((i) => `${i.name} ${JSON.stringify(i.key)}`).sort();

  it('creates each environment\'s database, collections and named indexes once, and keeps user data', async () => {
    await Promise.all(['lco-gaim-stage', 'lco-gaim-prod'].map((db) => client.db(db).dropDatabase()));
    const user = { username: `gaim-app-${randomUUID().slice(0, 8)}`, password: 'app-password' };
    const first = await seedMongoDB(mongoTarget(), ['stage', 'prod'], user);
    expect(first.created.filter((c) => !c.includes('/')).sort()).toEqual([
      'lco-gaim-prod.content_sessions', 'lco-gaim-prod.notifications', 'lco-gaim-stage.content_sessions', 'lco-gaim-stage.notifications',
    ]);
    for (const db of ['lco-gaim-stage', 'lco-gaim-prod']) {
      const collections = (await client.db(db).listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name).sort();
      expect(collections).toEqual(['content_sessions', 'notifications']);
      expect(await indexes(db, 'content_sessions')).toEqual(['_id_ {"_id":1}', 'sessions_by_user_recent {"userId":1,"lastAccessed":-1}']);
      expect(await indexes(db, 'notifications')).toEqual([
        '_id_ {"_id":1}', 'notifications_by_session {"contentSessionId":1}', 'notifications_by_user_unseen_recent {"userId":1,"seen":1,"createdAt":-1}',
      ]);
    }
    // FerretDB creates users only without roles: the seeder says so instead of claiming success.
    // (What it sends to a real MongoDB is covered by appUserPlan's unit test, src/seeders/mongodb.test.ts.)
    expect(first.appUser).toBe('unsupported');

    await client.db('lco-gaim-stage').collection('content_sessions').insertOne({ _id: 'session-1' as never, userId: 'dent42', name: 'Mostly Harmless' });
    await client.db('lco-gaim-stage').collection('notifications').createIndexes([{ key: { urgency: 1 }, name: 'by_urgency' }]);
    const second = await seedMongoDB(mongoTarget(), ['stage', 'prod'], user);
    expect(second.created).toEqual([]);
    expect(await client.db('lco-gaim-stage').collection('content_sessions').findOne({ _id: 'session-1' as never })).toMatchObject({ name: 'Mostly Harmless' });
    expect(await indexes('lco-gaim-stage', 'notifications')).toContain('by_urgency {"urgency":1}');
  });

  it('leaves an index it would name differently-keyed as it is, and says so', async () => {
    await client.db('lco-gaim-local').dropDatabase();
    await client.db('lco-gaim-local').collection('content_sessions').createIndexes([{ key: { userId: 1 }, name: 'sessions_by_user_recent' }]);
    const report = await seedMongoDB(mongoTarget(), ['local'], { username: 'gaim-app-local', password: 'x' });
    expect(report.notes).toEqual(['lco-gaim-local.content_sessions: index sessions_by_user_recent has keys {"userId":1}; left as it is']);
    expect(await indexes('lco-gaim-local', 'content_sessions')).toContain('sessions_by_user_recent {"userId":1}');
  });

  it('reports an unreachable server as a mongodb error, and wrong credentials too', async () => {
    await expect(seedMongoDB({ address: '127.0.0.1:1', username: 'a', password: 'b' }, ['stage'], { username: 'a', password: 'b' }))
      .rejects.toMatchObject({ errorType: 'mongodb', message: expect.stringMatching(/^cannot seed mongodb: /) as unknown });
    await expect(seedMongoDB({ ...mongoTarget(), password: 'not-the-password' }, ['stage'], { username: 'a', password: 'b' }))
      .rejects.toMatchObject({ errorType: 'mongodb' });
  });

  it('stops at once, as a timeout, when the reconcile runs out of time', async () => {
    const started = Date.now();
    const failure = await seedMongoDB(mongoTarget(), ['stage'], { username: 'a', password: 'b' }, AbortSignal.timeout(1))
      .then(() => undefined, (error: unknown) => error);
    expect(failure).toMatchObject({ errorType: 'timeout' });
    expect(Date.now() - started).toBeLessThan(10_000); // well inside the 10 s server selection timeout
  });
});

describe('redis seeder', () => {
  let redis: Redis;
  beforeAll(() => { redis = new Redis(stackEnv().REDIS_URL); });
  afterAll(() => { redis.disconnect(); });

  it('creates streams, groups and dead-letter streams once, and leaves entries and pending work alone', async () => {
    await redis.del('gaim:tasks', 'gaim:tasks:dlq', 'gaim:tasks:prod', 'gaim:tasks:prod:dlq');
    const first = await seedRedis(redisTarget(), ['local', 'prod']);
    expect(first.created).toEqual(['gaim:tasks group gaim:workers', 'gaim:tasks:dlq', 'gaim:tasks:prod group gaim:workers:prod', 'gaim:tasks:prod:dlq']);
    expect(await redis.type('gaim:tasks:prod:dlq')).toBe('stream');
    expect(await redis.xlen('gaim:tasks:prod:dlq')).toBe(0);
    const groups = (await redis.xinfo('GROUPS', 'gaim:tasks:prod')) as unknown[][];
    expect(groups.map((g) => g[1])).toEqual(['gaim:workers:prod']);

    // Work in flight: a task delivered to a worker and not acknowledged, and a dead letter.
    await redis.xadd('gaim:tasks:prod', '*', 'task_name', 'process_query', 'task_id', 'task-123');
    await redis.xreadgroup('GROUP', 'gaim:workers:prod', 'worker-1', 'COUNT', 1, 'STREAMS', 'gaim:tasks:prod', '>');
    await redis.xadd('gaim:tasks:prod:dlq', '*', 'task_id', 'task-99', 'error', 'Tool execution timeout');

    const second = await seedRedis(redisTarget(), ['local', 'prod']);
    expect(second.created).toEqual([]);
    expect(await redis.xlen('gaim:tasks:prod')).toBe(1);
    expect(await redis.xlen('gaim:tasks:prod:dlq')).toBe(1);
    const pending = (await redis.xpending('gaim:tasks:prod', 'gaim:workers:prod')) as [number, ...unknown[]];
    expect(pending[0]).toBe(1);
  });

  it('starts a new group at the beginning of an existing stream, so queued tasks are not skipped', async () => {
    await redis.del('gaim:tasks:stage', 'gaim:tasks:stage:dlq');
    await redis.xadd('gaim:tasks:stage', '*', 'task_id', 'queued-before-seed');
    await seedRedis(redisTarget(), ['stage']);
    const delivered = await redis.xreadgroup('GROUP', 'gaim:workers:stage', 'w', 'COUNT', 10, 'STREAMS', 'gaim:tasks:stage', '>');
    expect(JSON.stringify(delivered)).toContain('queued-before-seed');
  });
});

describe('firestore config seeder', () => {
  let firestore: Firestore;
  beforeAll(() => { firestore = emulatorFirestore(); });
  afterAll(async () => { await firestore.terminate(); });

  it('creates the config document of each environment from spec.config over the defaults, and never modifies one', async () => {
    const gaimId = randomUUID();
    const config = { settings: { tools: { image_generator: { enabled: true } } }, prompts: { persona: 'Brain the size of a planet' } };
    const first = await seedFirestoreConfig(firestore, gaimId, ['stage', 'prod'], config);
    expect(first.created).toEqual([`gaims/${gaimId}/env/stage/config/current`, `gaims/${gaimId}/env/prod/config/current`]);
    const stage = (await firestore.doc(`gaims/${gaimId}/env/stage/config/current`).get()).data();
    expect(stage).toEqual(initialConfig(config));
    expect(stage).toMatchObject({
      settings: { tools: { knowledge: { enabled: true, reindex: 'auto' }, image_generator: { enabled: true } }, llm_clients: { vertex_ai: { enabled: true } } },
      prompts: { persona: 'Brain the size of a planet' },
    });

    const stageDoc = firestore.doc(`gaims/${gaimId}/env/stage/config/current`);
    await stageDoc.update({ 'prompts.persona': 'Edited by a person', 'settings.tools': { knowledge: { enabled: false } } });
    const edited = (await stageDoc.get()).data();
    const second = await seedFirestoreConfig(firestore, gaimId, ['stage', 'prod', 'local'], { prompts: { persona: 'ignored for existing docs' } });
    expect(second.created).toEqual([`gaims/${gaimId}/env/local/config/current`]);
    expect((await stageDoc.get()).data()).toEqual(edited);
    expect(edited).toMatchObject({ prompts: { persona: 'Edited by a person' }, settings: { tools: { knowledge: { enabled: false } } } });
  });
});

describe('lancedb seeder', () => {
  let root = '';
  beforeAll(async () => { root = await mkdtemp(join(tmpdir(), 'gaim-seed-')); });
  afterAll(async () => { await rm(root, { recursive: true, force: true }); });

  const fields = async (dir: string, table: string) => {
    const db = await lancedb.connect(dir);
    const opened = await db.openTable(table);
    const result = (await opened.schema()).fields.map((f) => `${f.name}:${String(f.type)}`);
    opened.close();
    db.close();
    return result;
  };

  it('creates each environment\'s tables with the data model\'s schemas and vector sizes, once', async () => {
    const first = await seedLanceDB(root, ['stage'], { video: 1408, audio: 768 });
    expect(first.created.map((p) => p.slice(root.length))).toEqual([
      '/stage/tool_selector/tools.lance', '/stage/knowledge/knowledge_text.lance', '/stage/knowledge/knowledge_image.lance',
      '/stage/knowledge/knowledge_video.lance', '/stage/knowledge/knowledge_audio.lance',
    ]);
    expect(await fields(join(root, 'stage/tool_selector'), 'tools')).toEqual([
      'tool_id:Utf8', 'function_name:Utf8', 'description:Utf8', 'embedding:FixedSizeList[3072]<Float32>', 'created_at:Timestamp<MICROSECOND, UTC>',
    ]);
    expect(await fields(join(root, 'stage/knowledge'), 'knowledge_text')).toContain('embedding:FixedSizeList[3072]<Float32>');
    expect(await fields(join(root, 'stage/knowledge'), 'knowledge_image')).toContain('embedding:FixedSizeList[1408]<Float32>');
    expect(await fields(join(root, 'stage/knowledge'), 'knowledge_video')).toContain('embedding:FixedSizeList[1408]<Float32>');
    expect(await fields(join(root, 'stage/knowledge'), 'knowledge_audio')).toContain('embedding:FixedSizeList[768]<Float32>');
    expect(await fields(join(root, 'stage/knowledge'), 'knowledge_text')).toContain('metadata:Struct<{subject:Utf8, type:Utf8, content_date:Utf8}>');

    // Rows written by an application survive a re-seed.
    const db = await lancedb.connect(join(root, 'stage/knowledge'));
    const table = await db.openTable('knowledge_text');
    await table.add([{ chunk_id: 'doc-123-chunk-5', source: 'guide_entry_earth.pdf', content: 'Mostly harmless', embedding: Array.from({ length: 3072 }, () => 0.5), metadata: { subject: 'planetary', type: 'guide_entry', content_date: '2024-01-15' } }]);
    table.close();
    const second = await seedLanceDB(root, ['stage'], { video: 1408, audio: 768 });
    expect(second.created).toEqual([]);
    expect(second.existing).toHaveLength(5);
    const reopened = await db.openTable('knowledge_text');
    expect(await reopened.countRows()).toBe(1);
    reopened.close();
    db.close();
  });

  it('reports a table whose schema disagrees, naming table and field, and leaves it intact', async () => {
    const dir = join(root, 'prod/knowledge');
    const db = await lancedb.connect(dir);
    const wrong = await db.createEmptyTable('knowledge_text', knowledgeSchema(1536), { mode: 'create' });
    await wrong.add([{ chunk_id: 'kept', source: 's', content: 'c', embedding: Array.from({ length: 1536 }, () => 0), metadata: { subject: 'a', type: 'b', content_date: 'c' } }]);
    wrong.close();

    const failure = await seedLanceDB(root, ['prod'], { video: 1408, audio: 1408 }).then(() => undefined, (e: unknown) => e);
    expect(failure).toBeInstanceOf(OperatorError);
    expect((failure as OperatorError).errorType).toBe('storage');
    expect((failure as OperatorError).message).toContain(`table ${root}/prod/knowledge/knowledge_text.lance: field embedding is FixedSizeList[1536]<Float32>, expected FixedSizeList[3072]<Float32>`);
    const kept = await db.openTable('knowledge_text');
    expect(await kept.countRows()).toBe(1);
    kept.close();
    // The other tables of the environment were still created.
    expect(await db.tableNames()).toEqual(['knowledge_audio', 'knowledge_image', 'knowledge_text', 'knowledge_video']);
    db.close();
  });
});
