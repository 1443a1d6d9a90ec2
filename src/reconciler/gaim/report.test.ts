import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { parseGaim } from '../../api/v1alpha1/validate.js';
import type { ReconcileContext } from '../../controller/result.js';
import { OperatorError } from '../../errors.js';
import { KubeApiError } from '../../kube/errors.js';
import { StatusExpectations } from './expectations.js';
import { report, type ReportDeps } from './report.js';
import type { FirestoreWriteBack } from './write-back.js';

const parsed = parseGaim({
  apiVersion: 'gaim.livingcontent.io/v1alpha1', kind: 'Gaim', metadata: { name: 'marvin', namespace: 'team', uid: 'u', generation: 1 },
  spec: { gaimId: '660e8400-e29b-41d4-a716-446655440001', displayName: 'M', environments: ['stage'], lancedb: { storage: { storageClassName: 'standard-rwx', size: '1Ti' } } },
});
if (!parsed.ok) throw parsed.error;
const gaim = parsed.gaim;
const context = { signal: new AbortController().signal, stop: new AbortController().signal, log: pino({ level: 'silent' }) } as unknown as ReconcileContext;
/** Deps whose status write fails as `failure` says: the decision under test is what report returns then. */
const deps = (failure: Error): ReportDeps => ({
  client: { apply: () => Promise.reject(failure) } as unknown as ReportDeps['client'],
  events: { record: () => undefined },
  writeBack: {} as FirestoreWriteBack,
  expectations: new StatusExpectations(),
  backoff: { baseMs: 200, capMs: 60_000, jitter: 0 },
  fieldManager: 'test',
});
const failure = { error: new OperatorError('kubernetes', 'cannot update the gaim\'s finalizer: namespaces "team" not found') };

describe('report when the status cannot be written', () => {
  it('ends the reconcile when the Gaim or its namespace is gone (no hot retry at the first delay)', async () => {
    const result = await report(gaim, failure, deps(new KubeApiError(404, 'NotFound', 'namespaces "team" not found')), context, { toFirestore: false });
    expect(result).toEqual({ kind: 'done' });
  });

  it('leaves the delay to the work queue\'s growing backoff for any other failure, the ledger being unwritten', async () => {
    const result = await report(gaim, failure, deps(new KubeApiError(500, 'InternalError', 'etcd timeout')), context, { toFirestore: false });
    expect(result).toMatchObject({ kind: 'error' });
    expect(result).not.toHaveProperty('retryAfterMs');
  });
});

describe('report after a status write', () => {
  it('holds the Gaim until the cache shows the version the write made', async () => {
    const expectations = new StatusExpectations();
    const cached = { ...gaim, metadata: { ...gaim.metadata, resourceVersion: '41' } };
    const writing: ReportDeps = { ...deps(new Error('unused')), client: { apply: () => Promise.resolve({ metadata: { resourceVersion: '43' } }) } as unknown as ReportDeps['client'], expectations };
    await report(cached, failure, writing, context, { toFirestore: false });
    expect(expectations.satisfied('team/marvin', '41')).toBe(false); // still the version before the write
    expect(expectations.satisfied('team/marvin', '42')).toBe(false); // a version between (the finalizer's)
    expect(expectations.satisfied('team/marvin', '43')).toBe(true); // the write's
  });
});

describe('report of a Gaim whose Firestore document this process has written before', () => {
  const synced = { stores: { mongodb: { ready: true, reason: 'Ready', message: 'ok' }, redis: { ready: true, reason: 'Ready', message: 'ok' }, storage: { ready: true, reason: 'Ready', message: 'ok' } } } as const;
  /** A write-back whose write waits for `release`, and a client recording each status it applies and when. */
  const harness = (wroteBefore: boolean, result: Awaited<ReturnType<FirestoreWriteBack['write']>>) => {
    const steps: string[] = [];
    const applied: { conditions?: { type: string; status: string }[]; syncStatus?: string }[] = [];
    let release: () => void = () => undefined;
    const writeBack = {
      wroteBefore: () => wroteBefore,
      write: () => { steps.push('firestore started'); return new Promise((resolve) => { release = () => { steps.push('firestore done'); resolve(result); }; }); },
    } as unknown as FirestoreWriteBack;
    const client = { apply: (_r: unknown, object: { status: (typeof applied)[number] }) => {
      steps.push('status applied');
      applied.push(object.status);
      return Promise.resolve({ metadata: { resourceVersion: String(50 + applied.length) } });
    } } as unknown as ReportDeps['client'];
    const reportDeps: ReportDeps = { ...deps(new Error('unused')), client, writeBack };
    return { steps, applied, reportDeps, release: () => { release(); } };
  };
  const firestoreSynced = (status: (ReturnType<typeof harness>['applied'])[number] | undefined) => status?.conditions?.find((c) => c.type === 'FirestoreSynced')?.status;

  it('writes the status alongside the Firestore write, and once more only when the write changes FirestoreSynced', async () => {
    const h = harness(true, { state: { ok: false, message: 'Firestore is unavailable' }, retryMs: 1000 });
    const reporting = report(gaim, synced, h.reportDeps, context, { toFirestore: true });
    await new Promise((resolve) => setImmediate(resolve));
    expect(h.steps).toEqual(['firestore started', 'status applied']); // not waiting on Firestore
    h.release();
    expect(await reporting).toEqual({ kind: 'requeue', afterMs: 1000 });
    expect(h.applied.map((s) => s.syncStatus)).toEqual(['Synced', 'Synced']);
    expect(h.applied.map(firestoreSynced)).toEqual([undefined, 'False']);
  });

  it('writes the status once when the Firestore write leaves FirestoreSynced as it was', async () => {
    const h = harness(true, { state: { ok: true, message: 'gaims/660e8400-e29b-41d4-a716-446655440001 is up to date' } });
    const before = { ...gaim, status: { conditions: [{ type: 'FirestoreSynced', status: 'True', reason: 'FirestoreWritten', message: 'gaims/660e8400-e29b-41d4-a716-446655440001 is up to date', lastTransitionTime: '2026-01-01T00:00:00Z', observedGeneration: 1 }] } } as typeof gaim;
    const reporting = report(before, synced, h.reportDeps, context, { toFirestore: true });
    await new Promise((resolve) => setImmediate(resolve));
    h.release();
    await reporting;
    expect(h.applied).toHaveLength(1);
    expect(firestoreSynced(h.applied[0])).toBe('True');
  });

  it('waits for the first Firestore write, which may be refused as a conflict, before writing the status', async () => {
    const conflict = new OperatorError('conflict', 'gaims/660e8400-e29b-41d4-a716-446655440001 belongs to the Gaim "other"', { reason: 'GaimIdConflict' });
    const h = harness(false, { state: { ok: false, message: conflict.message }, conflict });
    const reporting = report(gaim, synced, h.reportDeps, context, { toFirestore: true });
    await new Promise((resolve) => setImmediate(resolve));
    expect(h.steps).toEqual(['firestore started']);
    h.release();
    expect(await reporting).toMatchObject({ kind: 'error' });
    expect(h.applied.map((s) => s.syncStatus)).toEqual(['Failed']); // never Synced for a moment
  });
});
