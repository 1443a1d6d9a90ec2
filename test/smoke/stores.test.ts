// Proves the local stack's stores are real servers reached through the same client libraries the
// operator uses: FerretDB over the MongoDB wire protocol, redis-server, the Firestore emulator, and
// LanceDB on disk.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Timestamp } from '@google-cloud/firestore';
import * as lancedb from '@lancedb/lancedb';
import { Field, FixedSizeList, Float32, Schema, Utf8 } from 'apache-arrow';
import { Redis } from 'ioredis';
import { MongoClient } from 'mongodb';
import { afterAll, describe, expect, it } from 'vitest';
import { emulatorFirestore, stackEnv } from '../support/stack.js';

describe('stores in the local stack', () => {
  const env = stackEnv();

  it('creates a collection and named indexes over the MongoDB wire protocol and lists them back', async () => {
    const client = new MongoClient(env.MONGODB_URL, { serverSelectionTimeoutMS: 5000 });
    try {
      const db = client.db(`smoke-${Date.now()}`);
      await db.createCollection('content_sessions');
      await db.collection('content_sessions').createIndexes([
        { key: { userId: 1, lastAccessed: -1 }, name: 'userId_lastAccessed' },
        { key: { name: 1 }, name: 'name_unique', unique: true },
      ]);
      const collections = await db.listCollections({}, { nameOnly: true }).toArray();
      expect(collections.map((c) => c.name)).toEqual(['content_sessions']);
      const indexes = await db.collection('content_sessions').listIndexes().toArray() as { name: string; key: unknown }[];
      expect(indexes.map((i) => i.name).sort()).toEqual(['_id_', 'name_unique', 'userId_lastAccessed']);
      expect(indexes.find((i) => i.name === 'userId_lastAccessed')?.key).toEqual({ userId: 1, lastAccessed: -1 });
      // The unique index is enforced by the server.
      await db.collection('content_sessions').insertOne({ name: 'Mostly Harmless' });
      await expect(db.collection('content_sessions').insertOne({ name: 'Mostly Harmless' })).rejects.toMatchObject({ code: 11000 });
    } finally {
      await client.close();
    }
  });

  it('creates a Redis stream with a consumer group and delivers an entry to a consumer', async () => {
    const redis = new Redis(env.REDIS_URL);
    try {
      const stream = `smoke:tasks:${Date.now()}`;
      await redis.xgroup('CREATE', stream, 'smoke:workers', '$', 'MKSTREAM');
      const groups = (await redis.xinfo('GROUPS', stream)) as unknown[][];
      expect(groups).toHaveLength(1);
      expect(groups[0]?.[1]).toBe('smoke:workers');
      await redis.xadd(stream, '*', 'task_name', 'process_query');
      const delivered = await redis.xreadgroup('GROUP', 'smoke:workers', 'worker-1', 'COUNT', 1, 'STREAMS', stream, '>');
      expect(JSON.stringify(delivered)).toContain('process_query');
      await expect(redis.xgroup('CREATE', stream, 'smoke:workers', '$')).rejects.toThrow(/BUSYGROUP/);
    } finally {
      redis.disconnect();
    }
  });

  it('runs a Firestore transaction against the emulator', async () => {
    const firestore = emulatorFirestore();
    try {
      const ref = firestore.doc(`gaims/smoke-${Date.now()}`);
      await ref.create({ retry_count: 0, gaim_name: 'marvin' });
      await expect(ref.create({ retry_count: 9 })).rejects.toMatchObject({ code: 6 }); // ALREADY_EXISTS
      // Sequential on purpose: @firestore-emulator/server does not serialise concurrent transactions
      // on one document (real Firestore does), so contention is not something this emulator can prove.
      for (let i = 0; i < 3; i++) {
        await firestore.runTransaction(async (tx) => {
          const snapshot = await tx.get(ref);
          tx.update(ref, { retry_count: (snapshot.get('retry_count') as number) + 1, updated_at: Timestamp.now() });
        });
      }
      const after = await ref.get();
      expect(after.get('retry_count')).toBe(3);
      expect(after.get('gaim_name')).toBe('marvin');
      expect(after.get('updated_at')).toBeInstanceOf(Timestamp);
    } finally {
      await firestore.terminate();
    }
  });

  it('refuses a Firestore write whose update-time precondition is stale (the stack enforces what the emulator package ignores)', async () => {
    const firestore = emulatorFirestore();
    try {
      const ref = firestore.doc(`gaims/smoke-precondition-${Date.now()}`);
      const created = await ref.create({ retry_count: 0 });
      // Two writes in a row, as fast as they go: each is its own version, with its own update time.
      const first = await ref.update({ retry_count: 1 }, { lastUpdateTime: created.writeTime });
      const second = await ref.update({ retry_count: 2 });
      expect(second.writeTime.toMillis()).toBeGreaterThan(first.writeTime.toMillis());
      await expect(ref.update({ retry_count: 9 }, { lastUpdateTime: first.writeTime })).rejects.toMatchObject({ code: 9 }); // FAILED_PRECONDITION
      await expect(ref.delete({ lastUpdateTime: first.writeTime })).rejects.toMatchObject({ code: 9 });
      expect((await ref.get()).get('retry_count')).toBe(2);
      await ref.update({ retry_count: 3 }, { lastUpdateTime: second.writeTime });
      expect((await ref.get()).get('retry_count')).toBe(3);
    } finally {
      await firestore.terminate();
    }
  });

  describe('lancedb', () => {
    let dir = '';
    afterAll(async () => { if (dir !== '') await rm(dir, { recursive: true, force: true }); });

    it('creates and reopens a table with a 3072-dimension vector column on disk', async () => {
      dir = await mkdtemp(join(tmpdir(), 'gaim-lancedb-'));
      const schema = new Schema([
        new Field('chunk_id', new Utf8(), false),
        new Field('embedding', new FixedSizeList(3072, new Field('item', new Float32(), true)), false),
      ]);
      const db = await lancedb.connect(join(dir, 'knowledge'));
      const table = await db.createEmptyTable('knowledge_text', schema, { mode: 'create' });
      await table.add([{ chunk_id: 'doc-123-chunk-5', embedding: Array.from({ length: 3072 }, (_, i) => i / 3072) }]);
      table.close();
      db.close();

      const reopened = await (await lancedb.connect(join(dir, 'knowledge'))).openTable('knowledge_text');
      const field = (await reopened.schema()).fields.find((f) => f.name === 'embedding');
      // LanceDB returns its own apache-arrow copy's classes, so compare by value, not instanceof.
      expect(String(field?.type)).toBe('FixedSizeList[3072]<Float32>');
      expect(await reopened.countRows()).toBe(1);
    });
  });
});
