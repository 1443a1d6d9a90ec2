import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { cachesOf } from '../../testing/caches-fake.js';
import { recordingClient } from '../../testing/client-fake.js';
import type { Gaim, GaimStatus } from '../../api/v1alpha1/gaim.js';
import type { ReconcileContext } from '../../controller/result.js';
import type { KubeObject } from '../../kube/objects.js';
import { Resources } from '../../kube/resources.js';
import { Metrics } from '../../observability/metrics.js';
import { tendMaintenance } from './maintenance.js';
import { testGaim } from '../../testing/gaims.js';

// The maintenance step on fake caches and a recording client: which slot starts a Job, when none
// does, and what a finished Job's termination message becomes in the status and the metrics.

const NOW = new Date('2026-12-06T03:30:00Z');
const seedJob = { image: 'gaim-operator:test', nodeSelector: {}, tolerations: [], storageUid: 1000, storageGid: 1000, prepareShares: true, imagePullSecrets: [] as string[], seedDeadlineSeconds: 900 };

function gaim(maintenance: Record<string, unknown> | undefined, status?: GaimStatus['maintenance']): Gaim {
  return testGaim({ lancedb: { storage: { storageClassName: 'enterprise-multishare-rwx', size: '100Gi' }, ...(maintenance === undefined ? {} : { maintenance }) } },
    status === undefined ? {} : { status: { maintenance: status } });
}
const labels = { 'app.kubernetes.io/managed-by': 'gaim-operator', 'gaim.livingcontent.io/gaim': 'marvin', 'app.kubernetes.io/component': 'maintenance' };
const job = (name: string, ended?: 'Complete' | 'Failed'): KubeObject => ({
  metadata: { name, namespace: 'team', labels, creationTimestamp: '2026-12-06T03:00:00Z' },
  status: ended === undefined ? { active: 1 } : { completionTime: '2026-12-06T03:10:00Z', conditions: [{ type: ended, status: 'True', message: ended === 'Failed' ? 'BackoffLimitExceeded' : '' }] },
});
const pod = (jobName: string, exitCode: number, message: string): KubeObject => ({
  metadata: { name: `${jobName}-abc`, namespace: 'team', labels: { 'job-name': jobName } },
  status: { containerStatuses: [{ name: 'maintain-storage', state: { terminated: { exitCode, message } } }] },
});
const summary = JSON.stringify({ cleanupOlderThanSeconds: 604800, missing: [], tables: { 'stage/knowledge': { rows: [10, 10], versions: [40, 2], fragments: [30, 1], bytes: [9000, 4000] } } });

function run(g: Gaim, options: { jobs?: KubeObject[]; pods?: KubeObject[]; storageReady?: boolean } = {}) {
  const caches = cachesOf((options.jobs ?? []).map((j) => [Resources.job, j] as const));
  const { client, writes } = recordingClient(Object.fromEntries((options.pods ?? []).map((p) => [`Pod team/${p.metadata?.name ?? ''}`, p])));
  const metrics = new Metrics();
  const context: ReconcileContext = { signal: AbortSignal.timeout(5000), stop: new AbortController().signal, attempt: 0, log: pino({ level: 'silent' }) };
  const result = tendMaintenance(g, options.storageReady ?? true, { caches, client, metrics, settings: { seedJob } }, context, NOW);
  return { result, writes, metrics };
}
const created = (writes: readonly { verb: string; target: string }[]) => writes.filter((w) => w.verb === 'create').map((w) => w.target);

describe('tendMaintenance', () => {
  const daily = { schedule: '0 3 * * *' };

  it('starts a new schedule with its next slot: the slot before now is recorded, no Job', async () => {
    const { result, writes } = run(gaim(daily));
    expect((await result).status).toEqual({ lastScheduleTime: '2026-12-06T03:00:00Z' });
    expect(writes).toEqual([]);
  });

  it('starts one Job for a slot that came, and records the slot', async () => {
    const { result, writes } = run(gaim(daily, { lastScheduleTime: '2026-12-05T03:00:00Z' }));
    const outcome = await result;
    expect(created(writes)).toEqual([expect.stringMatching(/^Job team\/marvin-maintain-/) as string]);
    expect(outcome.status?.lastScheduleTime).toBe('2026-12-06T03:00:00Z');
    // The next slot is tomorrow at 03:00: look again just after it.
    expect(outcome.recheckAfterMs).toBe(Math.min(3_600_000, Date.parse('2026-12-07T03:00:00Z') - NOW.getTime() + 500));
  });

  it.each<[string, { jobs?: KubeObject[]; storageReady?: boolean }]>([
    ['while another maintenance Job of the Gaim runs (and looks again within 15 s)', { jobs: [job('marvin-maintenance-old')] }],
    ['while the LanceDB volume is not ready', { storageReady: false }],
  ])('starts no Job %s, and keeps the slot for later', async (_name, options) => {
    const { result, writes } = run(gaim(daily, { lastScheduleTime: '2026-12-05T03:00:00Z' }), options);
    const outcome = await result;
    expect(created(writes)).toEqual([]);
    expect(outcome.status?.lastScheduleTime).toBe('2026-12-05T03:00:00Z');
    if (options.jobs !== undefined) expect(outcome.recheckAfterMs).toBeLessThanOrEqual(15_000);
  });

  it('reports a finished run once: its tables into the status and the gaim_lancedb_table_* metrics', async () => {
    const finished = job('marvin-maintenance-1', 'Complete');
    const { result, metrics } = run(gaim(daily, { lastScheduleTime: '2026-12-06T03:00:00Z' }), { jobs: [finished], pods: [pod('marvin-maintenance-1', 0, summary)] });
    const outcome = await result;
    expect(outcome.status?.lastRun).toEqual({ job: 'marvin-maintenance-1', completedAt: '2026-12-06T03:10:00Z', succeeded: true });
    expect(outcome.status?.tables).toEqual([{ table: 'stage/knowledge', rows: 10, versions: 2, fragments: 1, bytes: 4000, versionsBefore: 40, fragmentsBefore: 30 }]);
    expect(await metrics.registry.getSingleMetricAsString('gaim_lancedb_table_versions')).toContain('gaim_lancedb_table_versions{namespace="team",gaim="marvin",table="stage/knowledge"} 2');
    // Reported already: the pods are not read again.
    const again = run(gaim(daily, { lastScheduleTime: '2026-12-06T03:00:00Z', ...outcome.status }), { jobs: [finished] });
    expect((await again.result).status?.lastRun).toEqual(outcome.status?.lastRun); // read again without its pod, it would say the summary is missing
  });

  it.each([
    ['a failed Job, with its pod\'s words', 'Failed', 1, 'compaction failed: disk full', 'compaction failed: disk full'],
    ['a Job whose termination message is not a summary', 'Complete', 0, 'hello', 'its termination message is not a maintenance summary: hello'],
  ] as const)('reports %s as not succeeded', async (_name, ended, exitCode, message, expected) => {
    const { result } = run(gaim(daily, { lastScheduleTime: '2026-12-06T03:00:00Z' }), { jobs: [job('marvin-maintenance-1', ended)], pods: [pod('marvin-maintenance-1', exitCode, message)] });
    expect((await result).status?.lastRun).toMatchObject({ job: 'marvin-maintenance-1', succeeded: false, message: expected });
  });

  it('with the policy removed: keeps what the last run said, drops the schedule', async () => {
    const lastRun = { job: 'marvin-maintenance-1', completedAt: '2026-12-06T03:10:00Z', succeeded: true };
    const { result, writes } = run(gaim(undefined, { lastScheduleTime: '2026-12-06T03:00:00Z', lastRun }));
    expect((await result).status).toEqual({ lastRun });
    expect(writes).toEqual([]);
  });
});
