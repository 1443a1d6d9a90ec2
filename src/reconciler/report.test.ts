import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { parseGaim } from '../api/v1alpha1/validate.js';
import type { ReconcileContext } from '../controller/result.js';
import { OperatorError } from '../errors.js';
import { KubeApiError } from '../kube/errors.js';
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
