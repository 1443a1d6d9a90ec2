import { Timestamp } from '@google-cloud/firestore';
import { describe, expect, it } from 'vitest';
import { parseGaim } from '../../api/v1alpha1/validate.js';
import type { PlatformFirestore } from '../../firestore/client.js';
import type { KnownDocument, SyncResult } from '../../firestore/sync.js';
import { FirestoreWriteBack } from './write-back.js';

const parsed = parseGaim({
  apiVersion: 'gaim.livingcontent.io/v1alpha1', kind: 'Gaim', metadata: { name: 'marvin', namespace: 'team', uid: 'u', generation: 1 },
  spec: { gaimId: '660e8400-e29b-41d4-a716-446655440001', displayName: 'M', environments: ['stage'], lancedb: { storage: { storageClassName: 'standard-rwx', size: '1Ti' } } },
});
if (!parsed.ok) throw parsed.error;
const gaim = parsed.gaim;
const signal = new AbortController().signal;

/** A Firestore whose answers the test scripts; it records the `known` each call was given. */
function scripted(answers: (() => Promise<SyncResult>)[]) {
  const given: (KnownDocument | undefined)[] = [];
  const firestore = {
    syncGaim: (_g: unknown, _r: unknown, known: KnownDocument | undefined) => {
      given.push(known);
      const next = answers.shift();
      if (next === undefined) throw new Error('no answer scripted');
      return next();
    },
  } as unknown as PlatformFirestore;
  return { given, writeBack: new FirestoreWriteBack(firestore, { baseMs: 100, capMs: 1000, jitter: 0 }, 'c', () => 1) };
}

describe('FirestoreWriteBack', () => {
  const known: KnownDocument = { updateTime: Timestamp.fromMillis(1000), entries: {} };
  const ledger = { retryCount: 0 };

  it('passes on what its last write left, and skips a report it wrote already', async () => {
    const { given, writeBack } = scripted([() => Promise.resolve<SyncResult>({ outcome: 'written', known }), () => Promise.resolve<SyncResult>({ outcome: 'written', known })]);
    await writeBack.write(gaim, { syncStatus: 'Progressing' }, ledger, signal);
    await writeBack.write(gaim, { syncStatus: 'Progressing' }, ledger, signal); // the same report: no call
    await writeBack.write(gaim, { syncStatus: 'Synced' }, ledger, signal);
    expect(given).toEqual([undefined, known]);
    expect(writeBack.wroteBefore(gaim)).toBe(true);
  });

  it('after a failed write, does not trust its copy: the next try reads first, and the same report is tried again', async () => {
    const { given, writeBack } = scripted([
      () => Promise.resolve<SyncResult>({ outcome: 'written', known }),
      () => Promise.reject(Object.assign(new Error('contended'), { code: 9 })),
      () => Promise.resolve<SyncResult>({ outcome: 'written', known }),
    ]);
    await writeBack.write(gaim, { syncStatus: 'Progressing' }, ledger, signal);
    const failed = await writeBack.write(gaim, { syncStatus: 'Synced' }, ledger, signal);
    expect(failed.state.ok).toBe(false);
    expect(failed.retryMs).toBeGreaterThan(0);
    await writeBack.write(gaim, { syncStatus: 'Synced' }, ledger, signal);
    expect(given).toEqual([undefined, known, undefined]);
    expect(writeBack.wroteBefore(gaim)).toBe(true);
  });
});
